"""Calls in a conversation, for the conversation tests: a caller and a listener in their conference, and the records."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.extension import database
from store.models import CallEvent, ConferenceLeg, Conversation
from tests.support.calls import Caller, ListenerLeg, add_listener, bridge, rung


def said(document) -> str:
    return " ".join((s.text or "") for s in document.iter("Say"))


def conversation(app) -> Conversation:
    with app.app_context(), database.session() as session:
        return session.scalars(select(Conversation).order_by(Conversation.id.desc())).first()


def registry(app) -> dict[str, ConferenceLeg]:
    with app.app_context(), database.session() as session:
        return {leg.role: leg for leg in session.scalars(select(ConferenceLeg).order_by(ConferenceLeg.id))}


def call_events(app) -> list[str]:
    with app.app_context(), database.session() as session:
        return [e.kind for e in session.scalars(select(CallEvent).order_by(CallEvent.id)) if e.kind.startswith("conv_")]


def connected(qapp, tw, rest, clock):
    """Camille takes a caller: both in the conference."""
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    clock.now += timedelta(seconds=5)
    dial = leg.press("1")
    joined = bridge(tw, caller, dial, leg)
    return camille, caller, leg, dial, joined
