"""The Twilio side on an app: its blueprints, and the steps the conversation hands calls to (see HoldingSteps)."""

from __future__ import annotations

from flask import Flask

from ivr.call_control import HOLD_LIMIT_HOOKS
from ivr.callback_conference import callback_conference
from ivr.callback_dial import callback_dial
from ivr.callbacks import callback, offer_callback
from ivr.conference import ENDED_HOOKS, LISTENER_LEFT_HOOKS, conference, conference_join
from ivr.conference_events import conference_events
from ivr.conference_requeue import conference_requeue
from ivr.coordinator import coordinator
from ivr.health import health
from ivr.hold_music import hold_music
from ivr.keypad import TRANSFER_HOOK
from ivr.listener_call import listener_call
from ivr.pair_offer import call_ended as pair_call_ended
from ivr.orientation import orientation_blueprint, play_association_step
from ivr.presence import presence
from ivr.queue import enqueue, queue
from ivr.transfer_calls import conversation_ended, listener_left, transfer_calls
from ivr.transfer_keypad import transfer_keypad, transfer_menu
from ivr.transfer_limit import hold_limit_reached
from ivr.turn import HOLDING_STEPS, HoldingSteps
from ivr.webhooks import voice


def register_ivr(app: Flask) -> None:
    app.extensions[HOLDING_STEPS] = HoldingSteps(association=play_association_step, enqueue=enqueue,
                                                 offer_callback=offer_callback, conference_join=conference_join)
    for blueprint in (health, voice, coordinator, orientation_blueprint, queue, listener_call, conference,
                      conference_requeue, conference_events, callback, callback_dial, callback_conference, presence,
                      hold_music, transfer_calls, transfer_keypad):
        app.register_blueprint(blueprint)
    # Transfers sit on the conference: the keypad's 4, and what happens to a transfer when the listener's line
    # drops or the call ends.
    app.extensions[TRANSFER_HOOK] = transfer_menu
    app.extensions.setdefault(LISTENER_LEFT_HOOKS, []).append(listener_left)
    app.extensions.setdefault(ENDED_HOOKS, []).append(conversation_ended)
    app.extensions[ENDED_HOOKS].append(pair_call_ended)  # a pair's second still ringing is stopped
    # The caller's hold limit must never bring them into a warm transfer's consultation.
    app.extensions.setdefault(HOLD_LIMIT_HOOKS, []).append(hold_limit_reached)
