"""An offer played to its end as the webhooks play it (ivr/queue.py), one step a transaction with the offer row
locked first, as ``offer_turn`` does: dialled, answered, accepted, bridged, then the listener's leg ended; or, as
tests/store/test_dispatch_concurrency.py plays it, dialled..bridged in one transaction. For _dispatch_support.py."""

from __future__ import annotations

from routing.queueing import PoolSettings
from store.bridging import caller_bridged, listener_leg_ended
from store.dispatch import WAITING, OfferPlan, accept_offer, locked, offer_dialled
from store.models import Offer, QueuedCaller


class StateError(RuntimeError):
    """An offer or a caller was not in the state the step expects (reported as an error)."""


def leg_sid(offer_id: int) -> str:
    return f"CL{offer_id:032d}"


class WebhookSteps:
    """The steps of one dispatcher's offers, on its shared clock and its race's settings."""

    def __init__(self, ticker, talk_ms: float, settings: PoolSettings):
        self.ticker = ticker
        self.talk_ms = talk_ms
        self.settings = settings

    def locked_offer(self, session, plan: OfferPlan) -> Offer:
        """As ivr.queue.offer_turn: one lock order everywhere, the caller, then the offer (then the listener)."""
        offer = session.get(Offer, plan.offer_id)
        if offer is None:
            raise StateError("offer vanished")
        locked(session, QueuedCaller, offer.queued_caller_id)
        return locked(session, Offer, offer.id)

    def dial(self, session, plan: OfferPlan) -> None:
        offer_dialled(session, plan.offer_id, leg_sid(plan.offer_id))

    def answer(self, session, plan: OfferPlan) -> None:
        offer = self.locked_offer(session, plan)
        caller = session.get(QueuedCaller, offer.queued_caller_id)
        if offer.status not in ("dialling", "ringing") or caller is None or caller.status not in WAITING:
            raise StateError(f"answered but offer is {offer.status}, caller {caller.status if caller else None}")
        offer.status = "answered"

    def accept(self, session, plan: OfferPlan) -> None:
        offer = self.locked_offer(session, plan)
        caller = session.get(QueuedCaller, offer.queued_caller_id)
        if offer.status != "answered" or caller is None or caller.status not in WAITING:
            raise StateError(f"pressed 1 but offer is {offer.status}, caller {caller.status if caller else None}")
        others = accept_offer(session, offer, self.ticker.now())
        if others:
            raise StateError(f"other live offers for the same caller: {[o.id for o in others]}")

    def bridge(self, session, plan: OfferPlan) -> None:
        caller = caller_bridged(session, plan.caller_sid, leg_sid(plan.offer_id), self.ticker.now())
        offer = session.get(Offer, plan.offer_id)
        if caller is None or caller.status != "bridged" or offer.status != "bridged" \
                or offer.queued_caller_id != caller.id:
            raise StateError(f"bridge left caller {caller.status if caller else None}, offer {offer.status}")

    def all_to_bridge(self, session, plan: OfferPlan) -> tuple[int, int] | None:
        """tests/store/test_dispatch_concurrency.py's play, in one transaction."""
        offer_dialled(session, plan.offer_id, leg_sid(plan.offer_id))
        offer = session.get(Offer, plan.offer_id)
        offer.status = "answered"
        accept_offer(session, offer, self.ticker.now())
        caller_bridged(session, plan.caller_sid, leg_sid(plan.offer_id), self.ticker.now())
        if not self.talk_ms:
            return self.end_leg(session, offer)
        return None

    def end(self, session, plan: OfferPlan) -> tuple[int, int]:
        return self.end_leg(session, self.locked_offer(session, plan))

    def end_leg(self, session, offer: Offer) -> tuple[int, int]:
        talk = max(1, round(self.talk_ms / 1000))
        listener_leg_ended(session, offer, self.ticker.now(), self.settings, "completed", talk)
        if offer.status != "ended":
            raise StateError(f"leg ended but offer is {offer.status}")
        return offer.id, self.ticker.stamp()  # stamped while the listener's row lock is still held
