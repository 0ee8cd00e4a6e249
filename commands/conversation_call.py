"""`helpline call --listener`: the call taken by a fictitious listener in a throwaway copy of the engine, and a
transfer from their keypad (`--transfer KEY --then leave|together|cancel`, or `--cold`): what each of the three parties hears."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ivr.sandbox import sandbox
from ivr.simulated_conversation import LISTENER_PHONE, OTHER_LINE_LISTENER_PHONE, ConversationSimulator, Plan
from ivr.simulated_twilio import SimulatedTwilio
from ivr.simulator import SimulatedClock, Transcript
from routing.queueing import ListenerStatus
from store.calls import find_call
from store.extension import database, directory
from store.listeners import create_listener, set_status

# How the three parties' lines of the transcript are marked (the caller's are the call's usual marks).
CONVERSATION_MARKS = {"listener": "  listener", "lpress": "  l-press ", "third": "  3rd pty ", "note": "  caller  "}


def play_conversation(line, start: datetime, clock: SimulatedClock, caller: str, presses: list[str],
                      outcomes: dict[str, str], transfer: str | None, then: str,
                      cold: bool = False) -> tuple[Transcript, list]:
    """Play the call in a sandbox with one listener available in the line's pool; returns the transcript and the
    events the sandbox recorded for the call (gone with it)."""
    with database.session() as real_session:
        with sandbox(current_app._get_current_object(), real_session, clock, start) as app:
            twilio = SimulatedTwilio(app.config["TWILIO_ACCOUNT_SID"])
            dispatcher = app.extensions["dispatcher"]
            dispatcher.inline, dispatcher._client = True, twilio.client()
            app.config["DISPATCH_MODE"] = "inline"  # the fictitious listener is dialled, in process
            with app.app_context(), database.session() as session:
                listener = create_listener(session, "Camille (fictive)", LISTENER_PHONE, (line.pool,), "1234", start,
                                           languages=line.languages)
                set_status(session, listener, ListenerStatus.AVAILABLE, start, "simulated call")
                _other_line_listener(session, transfer, start)
                session.commit()
            simulator = ConversationSimulator(app, line.numbers[0], Plan(transfer, then, outcomes, cold=cold), twilio,
                                              caller=caller, presses=presses, outcomes=outcomes, clock=clock)
            transcript = simulator.run()
            with app.app_context(), database.session() as session:
                call = find_call(session, transcript.call_sid)
                events = [(e.kind, e.detail) for e in call.events] if call is not None else []
    return transcript, events


def _other_line_listener(session, transfer: str | None, start: datetime) -> None:
    """A transfer to another line reaches one of its listeners: a fictitious one waits, free, in that line's pool."""
    slug = transfer.removeprefix("line:") if transfer and transfer.startswith("line:") else None
    other = directory.get(session, start).lines_by_slug.get(slug) if slug else None
    if other is not None:
        listener = create_listener(session, "Inès (fictive)", OTHER_LINE_LISTENER_PHONE, (other.pool,), "1234", start,
                                   languages=other.languages)
        set_status(session, listener, ListenerStatus.AVAILABLE, start, "simulated call")
