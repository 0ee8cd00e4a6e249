"""A line set to offer every call to a pair of listeners, and a listener's phone found by its number."""

from __future__ import annotations

from sqlalchemy import select

from store.directory import bump_revision
from store.extension import database, directory
from store.models import LineRow
from tests.support.calls import ListenerLeg, rung

EVC = "ecoute-violences-conjugales"


def offer_to_pairs(app, on: bool = True, slug: str = EVC) -> None:
    with app.app_context(), database.session() as session:
        row = session.scalar(select(LineRow).where(LineRow.slug == slug))
        row.settings = {**row.settings, "queue": {**row.settings.get("queue", {}), "offer_to_pair": on}}
        bump_revision(session, app.config["CLOCK"]())
        session.commit()
        directory.invalidate()


def leg_to(tw, rest, number) -> ListenerLeg:
    return ListenerLeg(tw, rest, next(sid for sid in rung(rest) if rest.calls[sid]["to"] == number))
