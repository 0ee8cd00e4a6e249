"""One way to dial a listener, for a waiting caller (ivr/queue.py) and a callback (ivr/callback_dial.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LegKind:
    """Where Twilio asks what the listener hears when they pick up, and where it reports how their leg ends."""

    answer: str
    status: str

    def urls(self, base: str, row_id: int) -> tuple[str, str]:
        return f"{base}{self.answer.format(id=row_id)}", f"{base}{self.status.format(id=row_id)}"


LEGS = {
    "caller": LegKind("/voice/listener/offer?offer={id}", "/voice/listener/status?offer={id}"),
    "callback": LegKind("/voice/callback/listener?attempt={id}", "/voice/callback/listener-status?attempt={id}"),
}


def place_call(client, kind: str, row_id: int, base: str, to: str, caller_id: str, ring_timeout: int):
    """Ring the listener through the REST API; their leg's webhooks name the offer or attempt ``row_id``.

    The line's number is shown. Twilio's refusals are raised: ivr/dispatcher tells a refused number from Twilio down."""
    answer, status = LEGS[kind].urls(base, row_id)
    return client.calls.create(to=to, from_=caller_id, url=answer, method="POST", status_callback=status,
                               status_callback_method="POST", timeout=ring_timeout)
