"""gunicorn's threaded worker, with a deadline for a request to arrive in full, so slow clients cannot hold it;
and gunicorn's logger, with an access line that costs what its format asks for."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

# Twilio sends a webhook's few hundred bytes at once; a browser its form in well under a second. A request
# still incomplete after this long comes from a slow (or deliberately slow) client: it is dropped, as if the
# client had gone, and the thread serves someone else. Well under Twilio's 15 s.
REQUEST_ARRIVAL_SECONDS = 5.0


class _DeadlineSocket:
    """The client socket as the request parser sees it: reads end (as at end of stream) past the deadline."""

    def __init__(self, sock):
        self._sock = sock
        self.deadline: float | None = None  # set by the request's first read (data is there by then)

    def recv(self, size: int, *flags) -> bytes:
        if self.deadline is None:
            self.deadline = time.monotonic() + REQUEST_ARRIVAL_SECONDS
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return b""
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return b""
        finally:
            self._sock.settimeout(None)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class WholeRequestThreadWorker(ThreadWorker):
    """gthread: a thread is given a connection once data arrives, and keeps it only while the request keeps
    arriving within REQUEST_ARRIVAL_SECONDS of its first bytes (each keep-alive request gets its own time).

    Plain gthread would let a client that sends one header line every two seconds hold a thread for as long
    as it likes; with a few such clients every thread of every worker waits and no webhook is answered."""

    def handle(self, conn):
        if isinstance(conn.sock, _DeadlineSocket):
            conn.sock.deadline = None
        else:
            conn.sock = _DeadlineSocket(conn.sock)
        return super().handle(conn)


def _status(resp, _environ, _took) -> Any:
    status = resp.status
    return status.split(None, 1)[0] if isinstance(status, str) else status


# The atoms gunicorn.conf.py's access_log_format names, as gunicorn's Logger.atoms works them out.
_CHEAP_ATOMS = {
    "h": lambda _resp, environ, _took: environ.get("REMOTE_ADDR", "-"),
    "m": lambda _resp, environ, _took: environ.get("REQUEST_METHOD"),
    "U": lambda _resp, environ, _took: environ.get("PATH_INFO"),
    "s": _status,
    "B": lambda resp, _environ, _took: getattr(resp, "sent", None),
    "M": lambda _resp, _environ, took: took.seconds * 1000 + int(took.microseconds / 1000),
}


class _Atoms(Mapping):
    """An access line's atoms, each worked out when the format asks for it. gunicorn builds all of them first
    (every request header, response header and WSGI variable, each escaped): ~35 µs of the ~60 µs an access line
    took in every request. The atoms of our format come from _CHEAP_ATOMS, escaped as gunicorn's SafeAtoms
    escapes them; any other is read from gunicorn's own atoms, built once when one is asked for."""

    __slots__ = ("_logger", "_request", "_all")

    def __init__(self, logger: Logger, resp, req, environ, request_time):
        self._logger, self._request, self._all = logger, (resp, req, environ, request_time), None

    def __getitem__(self, key: str) -> Any:
        cheap = _CHEAP_ATOMS.get(key)
        if cheap is None:
            return self._everything()[key]
        resp, _req, environ, took = self._request
        value = cheap(resp, environ, took)
        return value.replace('"', '\\"') if isinstance(value, str) else value

    def _everything(self) -> Mapping:
        if self._all is None:
            self._all = self._logger.atoms_wrapper_class(self._logger.atoms(*self._request))
        return self._all

    def __bool__(self) -> bool:
        return True  # logging formats with a mapping only when it is truthy: without building them all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


class EngineLogger(Logger):
    """gunicorn's logger (gunicorn.conf.py's logger_class): the same lines, the access line built lazily."""

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        try:
            self.access_log.info(self.cfg.access_log_format, _Atoms(self, resp, req, environ, request_time))
        except Exception:  # noqa: BLE001 — as gunicorn: a broken access line is reported, never raised
            import traceback

            self.error(traceback.format_exc())
