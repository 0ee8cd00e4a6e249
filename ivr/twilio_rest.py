"""The twilio REST client, pointed at a configurable base URL (a Twilio-compatible provider, or tests)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

DEFAULT_BASE_URL = "https://api.twilio.com"
# Seconds to wait for Twilio's REST API (connecting, then each read). Without it the twilio library waits for
# ever, and one hung request would stall a dispatch thread — and with it every listener it should dial.
REST_TIMEOUT = 10.0


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


def make_client(config) -> Client:
    """A REST client from the app's settings; the default base URL talks to Twilio itself."""
    base_url = config.get("TWILIO_API_BASE_URL") or DEFAULT_BASE_URL
    if base_url.rstrip("/") == DEFAULT_BASE_URL:
        http_client = TwilioHttpClient(timeout=REST_TIMEOUT)
    else:
        http_client = RebasedHttpClient(base_url)
    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client)
