"""gunicorn's threaded worker, with a deadline for a request to arrive in full, so slow clients cannot hold it."""

from __future__ import annotations

import time

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
