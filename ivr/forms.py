"""The request class: Twilio's urlencoded forms read in one step, and parameters looked up without exceptions —
as werkzeug reads and looks them up."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401 — registers the "werkzeug.url_quote" error handler used below
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

FORM = "application/x-www-form-urlencoded"


class Parameters(ImmutableMultiDict):
    """The form and the URL's arguments, whose ``get`` answers a missing name without raising: werkzeug's raises
    and catches a BadRequestKeyError (an HTTP exception, ~2 µs to build) for it, and an incoming call's first
    webhook asks about fifteen names it does not carry (its call state, then each field in the arguments first).
    Same answers: the first value, ``default`` when the name is missing or ``type`` cannot convert it."""

    def get(self, key: Any, default: Any = None, type: Callable | None = None) -> Any:  # noqa: A002 — werkzeug's name
        values = dict.get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default


class WebhookRequest(Request):
    """Flask's request, with a urlencoded body (every Twilio webhook) parsed without werkzeug's form parser
    machinery: the parser object and the limits it is built with (three config reads through ``current_app``,
    each a proxy lookup) took ~30 µs of a webhook to read a few hundred bytes. The result is the same: the
    stream limited to MAX_CONTENT_LENGTH (413 beyond), the body decoded as UTF-8 with werkzeug's error handler
    for bad percent-escapes, blank values kept, a body that is not UTF-8 read as an empty form (werkzeug's parser
    is silent), no files. Any other body (multipart, none) goes to werkzeug's parser as before."""

    parameter_storage_class = Parameters

    def _load_form_data(self) -> None:
        if "form" in self.__dict__ or self.mimetype != FORM:
            super()._load_form_data()
            return
        stream = self._get_stream_for_parsing()
        try:
            items = parse_qsl(stream.read().decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:  # UnicodeDecodeError among them
            items = []
        cls = self.parameter_storage_class
        self.__dict__.update(stream=stream, form=cls(items), files=cls())
