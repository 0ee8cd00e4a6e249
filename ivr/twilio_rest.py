"""The twilio REST client, pointed at a configurable base URL (a Twilio-compatible provider, or tests)."""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

DEFAULT_BASE_URL = "https://api.twilio.com"
# Seconds to wait for Twilio's REST API (connecting, then each read). Without it the twilio library waits for
# ever, and one hung request would stall a dispatch thread — and with it every listener it should dial.
REST_TIMEOUT = 10.0
# Answers that mean Twilio itself is failing us (beside 5xx): refused credentials, rate limiting.
FAILING_STATUSES = (401, 429)


class RebasedHttpClient(TwilioHttpClient):
    """Sends every request meant for https://*.twilio.com to ``base_url`` instead, keeping path and query."""

    def __init__(self, base_url: str, timeout: float = REST_TIMEOUT):
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith(".twilio.com"):
            url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


class ObservedHttpClient(RebasedHttpClient):
    """Tells ``observer(ok, detail)`` whether Twilio itself answered each request: no answer, a server error, rate
    limiting or refused credentials are Twilio failing (the live board says so); any other answer, a refused
    number included, is Twilio working."""

    def __init__(self, base_url: str, observer: Callable[[bool, str], None], timeout: float = REST_TIMEOUT):
        super().__init__(base_url, timeout)
        self.observer = observer

    def request(self, method, url, *args, **kwargs):
        try:
            response = super().request(method, url, *args, **kwargs)  # to Twilio itself, rebased onto itself
        except Exception as error:
            self._tell(False, type(error).__name__)
            raise
        status = response.status_code
        self._tell(not (status >= 500 or status in FAILING_STATUSES), f"HTTP {status}")
        return response

    def _tell(self, ok: bool, detail: str) -> None:
        try:
            self.observer(ok, detail)
        except Exception:  # noqa: BLE001 — telling must never cost the request its answer
            pass


def make_client(config, observer: Callable[[bool, str], None] | None = None) -> Client:
    """A REST client from the app's settings; the default base URL talks to Twilio itself. With ``observer``,
    each request tells it whether Twilio answered (ObservedHttpClient)."""
    base_url = config.get("TWILIO_API_BASE_URL") or DEFAULT_BASE_URL
    if observer is not None:
        http_client = ObservedHttpClient(base_url, observer)
    elif base_url.rstrip("/") == DEFAULT_BASE_URL:
        http_client = TwilioHttpClient(timeout=REST_TIMEOUT)
    else:
        http_client = RebasedHttpClient(base_url)
    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client)
