"""Twilio's side of HTTP: webhooks signed as Twilio signs them, and media fetched as Twilio fetches it."""

from __future__ import annotations

import array
import base64
import hashlib
import hmac
import io
import urllib.error
import urllib.parse
import urllib.request
import wave

from checks.call_record import PLAY_SECONDS


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented algorithm: the full URL, then each POST parameter sorted by name as name+value."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def media_heard(url: str) -> tuple[float, bool] | None:
    """(seconds, audible) of an audio file served on this machine; None if it cannot be fetched."""
    if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        return PLAY_SECONDS, True  # never fetched: the check stays on this machine
    try:  # Twilio fetches media with a plain GET, without its webhook parameters
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
    except (urllib.error.URLError, OSError):
        return None
    try:
        with wave.open(io.BytesIO(body)) as audio:
            seconds = audio.getnframes() / audio.getframerate()
            frames, width = audio.readframes(audio.getnframes()), audio.getsampwidth()
    except (wave.Error, EOFError):
        return PLAY_SECONDS, True  # another format (MP3...): its length and loudness are not read here
    if width != 2:
        return seconds, True
    samples = array.array("h", frames[: len(frames) - len(frames) % 2])
    # A file whose loudest sample is under 1 % of full scale is silence to a caller, whatever its name says.
    return seconds, bool(samples) and max(abs(v) for v in samples) > 327


def signed_request(auth_token: str, url: str, params: dict[str, str], method: str = "POST") -> tuple[int, bytes]:
    """A webhook as Twilio sends it: form-encoded POST (or GET with the parameters in the query), signed."""
    method = (method or "POST").upper()
    if method == "GET":
        split = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(split.query, keep_blank_values=True) + sorted(params.items())
        url = urllib.parse.urlunsplit(split._replace(query=urllib.parse.urlencode(query)))
        body, signed = None, {}
    else:
        body, signed = urllib.parse.urlencode(params).encode(), params
    headers = {"X-Twilio-Signature": twilio_signature(auth_token, url, signed),
               "User-Agent": "TwilioProxy/1.1 (independent emulator)"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as response:  # Twilio waits 15 s for a webhook
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
