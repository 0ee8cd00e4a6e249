"""The checks of benchmarks/dispatch_burst.py: inside a claim, no other live offer for the listeners and callers
just offered; after the race, every caller done with exactly one offer, no listener's offers overlapping in commit
order, and each listener's statuses the chain available -> ringing -> on_call -> wrap_up -> available."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict

from sqlalchemy import func, or_, select

from store.dispatch import LIVE_OFFERS
from store.models import Listener, ListenerStatusChange, Offer, QueuedCaller

EXPECTED_NEXT = {  # a listener's statuses in this benchmark, in commit order
    "offline": ("available",),
    "available": ("ringing",),
    "ringing": ("on_call",),
    "on_call": ("wrap_up",),
    "wrap_up": ("available",),
}


def live_elsewhere(session, mine: list[Offer]) -> list[str]:
    """Inside the claiming transaction: any other live offer for a listener or a caller just offered."""
    if not mine:
        return []
    found = set()
    for key in ("listener_id", "queued_caller_id"):
        counts = Counter(getattr(o, key) for o in mine)
        found.update(f"one claim made two offers for {key} {k}" for k, n in counts.items() if n > 1)
    by_listener = {o.listener_id: o for o in mine}
    by_caller = {o.queued_caller_id: o for o in mine}
    others = session.execute(
        select(Offer.id, Offer.listener_id, Offer.queued_caller_id, Offer.status).where(
            Offer.id.not_in([o.id for o in mine]), Offer.status.in_(LIVE_OFFERS + ("bridged",)),
            or_(Offer.listener_id.in_(list(by_listener)), Offer.queued_caller_id.in_(list(by_caller))))
    ).all()
    for other in others:
        for offer in (by_listener.get(other.listener_id), by_caller.get(other.queued_caller_id)):
            if offer is not None:
                found.add(f"offer {offer.id} (L{offer.listener_id} C{offer.queued_caller_id}) vs live offer "
                          f"{other.id} (L{other.listener_id} C{other.queued_caller_id} {other.status})")
    return sorted(found)


CHECK_KINDS = ("callers_not_done", "callers_without_offer", "callers_offered_twice", "offers_not_ended",
               "offers_unaccounted", "listener_overlaps", "claim_order_differs_from_id_order",
               "status_chain_breaks", "ringing_rows_not_offers", "clock_inversions")


class Report(dict):
    """The figures of check_database, counting each kind of problem and keeping the first eight as examples."""

    def __init__(self):
        super().__init__(examples=[])
        self.update(dict.fromkeys(CHECK_KINDS, 0))

    def note(self, kind: str, text: str) -> None:
        self[kind] = self.get(kind, 0) + 1
        if len(self["examples"]) < 8:
            self["examples"].append(f"{kind}: {text}")


def check_database(session_factory, results: list[dict], callers: int) -> dict:
    """What the database says once the race is over, joined with the stamps the dispatchers took."""
    with session_factory() as session:
        queued = session.execute(select(QueuedCaller.id, QueuedCaller.status).order_by(QueuedCaller.id)).all()
        offers = session.execute(select(Offer.id, Offer.listener_id, Offer.queued_caller_id, Offer.status,
                                        Offer.created_at, Offer.ended_at).order_by(Offer.id)).all()
        changes = session.execute(select(ListenerStatusChange.listener_id, ListenerStatusChange.status,
                                         ListenerStatusChange.previous).order_by(ListenerStatusChange.id)).all()
        busy_listeners = session.scalar(select(func.count()).select_from(Listener).where(
            Listener.status.in_(("ringing", "on_call"))))
        session.rollback()
    claim = {o: (l, c, s, at) for r in results for o, l, c, s, at in r.get("claim_stamps", ())}
    ended = {o: s for r in results for o, s in r.get("end_stamps", ())}
    report = Report()
    report["callers"] = len(queued)
    _check_callers_done(report, queued, callers)
    per_caller, per_listener = _check_offers_ended(report, offers, claim, ended)
    _check_one_offer_per_caller(report, queued, per_caller)
    report["offers"] = len(offers)
    _check_listener_offers_in_turn(report, per_listener, claim, ended)
    _check_status_chains(report, changes, per_listener)
    report["listeners_still_busy"] = busy_listeners or 0
    report["callers_overtaken"], report["most_overtaken_by"] = _stragglers(claim)
    starts = [r["started"] for r in results if r.get("started")]
    if starts and claim:
        t0 = min(starts)
        waits = sorted(at - t0 for _, (_, _, _, at) in claim.items())
        report["offer_wait_p50"] = waits[len(waits) // 2]
        report["offer_wait_max"] = waits[-1]
    report["double_offers"] = (sum(len(r.get("overlaps", ())) for r in results) + report["callers_offered_twice"]
                               + report["listener_overlaps"])
    return dict(report)


def _check_callers_done(report: Report, queued, callers: int) -> None:
    if len(queued) != callers:
        report.note("callers_not_done", f"{len(queued)} callers in the database, {callers} seeded")
    for caller_id, status in queued:
        if status != "done":
            report.note("callers_not_done", f"caller {caller_id} is {status}")


def _check_offers_ended(report: Report, offers, claim: dict, ended: dict) -> tuple[dict, dict]:
    """Every offer ended, with both stamps taken; returns the offers' ids per caller and the offers per listener."""
    per_caller = defaultdict(list)
    per_listener = defaultdict(list)
    for offer in offers:
        per_caller[offer.queued_caller_id].append(offer.id)
        per_listener[offer.listener_id].append(offer)
        if offer.status != "ended" or offer.ended_at is None:
            report.note("offers_not_ended", f"offer {offer.id} is {offer.status}")
        if offer.id not in claim or offer.id not in ended:
            report.note("offers_unaccounted", f"offer {offer.id}: claim stamp {offer.id in claim}, end stamp "
                                              f"{offer.id in ended}")
    return per_caller, per_listener


def _check_one_offer_per_caller(report: Report, queued, per_caller: dict) -> None:
    for caller_id, _ in queued:
        if caller_id not in per_caller:
            report.note("callers_without_offer", f"caller {caller_id}")
        elif len(per_caller[caller_id]) > 1:
            report.note("callers_offered_twice", f"caller {caller_id}: offers {per_caller[caller_id]}")


def _check_listener_offers_in_turn(report: Report, per_listener: dict, claim: dict, ended: dict) -> None:
    """Per listener, each offer claimed (in commit order) only after the one before it ended."""
    for listener_id, own in per_listener.items():
        for before, after in zip(own, own[1:]):  # id order: ids are drawn under the listener's row lock
            if before.id in claim and after.id in claim and claim[before.id][2] > claim[after.id][2]:
                report.note("claim_order_differs_from_id_order", f"L{listener_id}: offers {before.id}, {after.id}")
            end_stamp = ended.get(before.id)
            if end_stamp is None or after.id not in claim or end_stamp > claim[after.id][2]:
                report.note("listener_overlaps", f"L{listener_id}: offer {after.id} claimed (stamp "
                                                 f"{claim.get(after.id, (0, 0, None))[2]}) before offer {before.id} "
                                                 f"ended (stamp {end_stamp})")
            if before.ended_at is not None and after.created_at < before.ended_at:
                report["clock_inversions"] += 1  # informational: instants read before the locks


def _check_status_chains(report: Report, changes, per_listener: dict) -> None:
    """Each listener's statuses follow EXPECTED_NEXT, with one "ringing" per offer."""
    last = {}
    ringing = Counter()
    for listener_id, status, previous in changes:
        expected_previous = last.get(listener_id, previous)
        if previous != expected_previous or status not in EXPECTED_NEXT.get(previous, ()):
            report.note("status_chain_breaks", f"L{listener_id}: {previous} -> {status} after {expected_previous}")
        last[listener_id] = status
        ringing[listener_id] += status == "ringing"
    for listener_id in set(ringing) | set(per_listener):
        if ringing[listener_id] != len(per_listener.get(listener_id, ())):
            report.note("ringing_rows_not_offers", f"L{listener_id}: rung {ringing[listener_id]} times, "
                                                   f"{len(per_listener.get(listener_id, ()))} offers")


def _stragglers(claim: dict) -> tuple[int, int]:
    """Callers offered after callers who came later (commit order of the claims): how many, and the most
    later callers one of them was overtaken by."""
    order = sorted((c, s) for _, (l, c, s, at) in claim.items())
    overtaken = []
    seen: list[int] = []
    for _, stamp in reversed(order):  # later callers first
        overtaken.append(bisect.bisect_left(seen, stamp))
        bisect.insort(seen, stamp)
    return sum(1 for n in overtaken if n), max(overtaken, default=0)
