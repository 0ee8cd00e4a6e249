"""Twilio webhook signatures checked against the public URL; no switch turns the check off."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache, wraps
from itertools import chain
from urllib.parse import urlparse

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator, add_port, compare, remove_port
from werkzeug.datastructures import ImmutableMultiDict, MultiDict


def signature_is_valid(req: Request) -> bool:
    config = current_app.config
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = _validator(config["TWILIO_AUTH_TOKEN"])
    base = config.get("PUBLIC_URL")
    params = _Signed(req.form) if req.method == "POST" else {}  # GET webhooks sign the URL alone
    # Twilio signs the URL as the number is configured, usually without a port; the form with the default port
    # is tried only when that one does not match (RequestValidator.validate computes both HMACs every time).
    return any(compare(validator.compute_signature(candidate, params), signature)
               for candidate in _candidate_urls(req, base))


def _candidate_urls(req: Request, base: str | None) -> Iterator[str]:
    """The URL Twilio signed without its port, then with the default port (twilio's remove_port, add_port).

    With HELPLINE_PUBLIC_URL (always in production) the base's two forms are worked out once per worker and the
    path and query appended: parsing and rebuilding the whole URL on every webhook cost ~5 µs."""
    if not base:
        url = urlparse(req.url)
        yield from (remove_port(url), add_port(url))
        return
    query = req.query_string.decode("latin-1")
    rest = req.path + (f"?{query}" if query else "")
    for origin in _base_forms(base):
        yield origin + rest


@lru_cache(maxsize=4)
def _base_forms(base: str) -> tuple[str, str]:
    parsed = urlparse(base.rstrip("/"))
    return remove_port(parsed), add_port(parsed)


class _Signed:
    """The form as twilio's validator reads it: by ``getall``, which werkzeug's MultiDict calls ``getlist`` (the
    validator then fell back through an AttributeError for every parameter of every webhook)."""

    __slots__ = ("_form", "getall")

    def __init__(self, form: MultiDict):
        self._form = form
        self.getall = form.getlist

    def __iter__(self) -> Iterator[str]:
        return iter(self._form)

    def __len__(self) -> int:
        return len(self._form)


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def twilio_only(view):
    """Refuse (403) any request not signed by Twilio with our auth token; there is no switch to turn it off."""

    @wraps(view)
    def checked(*args, **kwargs):
        req = request._get_current_object()  # the request itself: each read through the proxy is a lookup
        if not signature_is_valid(req):
            current_app.logger.warning("webhook refused: bad or missing signature on %s", req.path)
            abort(403)
        _strip_nul_bytes(req)
        return view(*args, **kwargs)

    return checked


def _without_nul(values: MultiDict, storage: type[ImmutableMultiDict]) -> ImmutableMultiDict:
    return storage([(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in values.items(multi=True)])


def _has_nul(values: MultiDict) -> bool:
    # The names, then every value of every name, each joined in C (a generator over the items took ~3 µs).
    return "\x00" in "".join(values) or "\x00" in "".join(chain.from_iterable(dict.values(values)))


def _strip_nul_bytes(req: Request) -> None:
    """NUL bytes out of every parameter, once the signature (made over them) is checked: PostgreSQL refuses
    them in text, and a call must not fall back because a CallSid or a status carried one. Almost no request
    carries one: the form and the arguments are rebuilt only when one does (~9 µs on every webhook otherwise)."""
    if _has_nul(req.form) or _has_nul(req.args):
        storage = req.parameter_storage_class
        req.form, req.args = _without_nul(req.form, storage), _without_nul(req.args, storage)
        req.__dict__.pop("values", None)  # rebuilt from the cleaned form and arguments when next read
