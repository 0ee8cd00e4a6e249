"""A caller back to the head of the queue when their listener's line drops, or the conference ends under them:
a short sentence, then their own Twilio queue again (music), never hung up on.

Also the helpers the conference's webhooks share: the conversation named in the URL, under its row lock taken
after the caller's and the offer's."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts
from ivr.call_control import leg_gone
from ivr.queue import twilio_queue_name
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, public, row_id, say, twiml
from store import conference as records
from store import dispatch as offers
from store.calls import CALL_ENDED
from store.extension import database, directory
from store.models import CallbackAttempt, Conversation, Offer, QueuedCaller

conference_requeue = Blueprint("conference_requeue", __name__, url_prefix="/voice/conference")
REQUEUED_PRIORITY = 1000  # a caller whose listener's line dropped is offered before anyone else
# app.extensions hooks (the transfer feature's): fn(session, conversation, now) called when the main listener's line
# drops (a list of tasks = the caller is taken care of, do not requeue; None = requeue as usual), and when the
# conference ends (a list of tasks to run once committed).
LISTENER_LEFT_HOOKS = "ivr.listener_left"
ENDED_HOOKS = "ivr.conversation_ended"


def conversation_from_url(session, lock: bool = True) -> Conversation | None:
    conversation_id = row_id(request.args.get("cv"))
    if conversation_id is None:
        return None
    return locked_in_order(session, conversation_id) if lock else session.get(Conversation, conversation_id)


def locked_in_order(session, conversation_id: int) -> Conversation | None:
    """The conversation under its row lock, taken after the caller's and the offer's: one lock order everywhere
    (caller, offer, listener, then conversation), as the listener's webhooks take them."""
    found = session.get(Conversation, conversation_id)
    if found is None:
        return None
    offers.locked(session, QueuedCaller, found.queued_caller_id)
    offers.locked(session, Offer, found.offer_id)
    offers.locked(session, CallbackAttempt, found.callback_attempt_id)  # a callback's, as its webhooks take it
    return records.locked_conversation(session, conversation_id)


def line_of(session, conversation: Conversation | None, now: datetime):
    """The line whose music and language the conversation has: its pool's, else (a case's call-back) its own."""
    if conversation is None:
        return None
    snapshot = directory.get(session, now)
    found = snapshot.line_for_pool(conversation.pool)
    slug = next((s for s, i in snapshot.line_ids.items() if i == conversation.line_id), None)
    return found or (snapshot.lines_by_slug.get(slug) if slug else None)



@conference_requeue.route("/caller-after", methods=("GET", "POST"))
@twilio_only
@never_fail
def caller_after():
    """The caller's <Dial> ended without their hanging up: the call was ended for everyone (goodbye), or the
    conference ended under them (their listener gone): back to the head of the queue, never hung up on."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        conversation = conversation_from_url(session)
        line = line_of(session, conversation, now)
        if field("CallStatus") in CALL_ENDED or conversation is None or conversation.caller_sid != field("CallSid"):
            return twiml(VoiceResponse())
        if conversation.status == "ended":
            response = VoiceResponse()
            language = line.language if line is not None else "fr"
            say(response, prompts.render("conf_caller_goodbye", language), language, line)
            response.hangup()
            return twiml(response)
        tasks = send_back_to_queue(session, conversation, now, "conference ended under the caller") \
            if conversation.status in records.LIVE else []
        if conversation.status == "dropping":
            conversation.status = "requeued"
        document = requeue_document(session, conversation, line)
        session.commit()
    for task in tasks:
        task()
    return twiml(document)


@conference_requeue.route("/requeue", methods=("GET", "POST"))
@twilio_only
@never_fail
def requeue():
    """The caller's leg, moved out of the conference when their listener's line dropped (or the conference ended
    under them): a sentence, then the head of their queue."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        conversation = conversation_from_url(session)
        line = line_of(session, conversation, now)
        tasks = []
        if conversation is not None and conversation.status in records.LIVE:
            tasks = send_back_to_queue(session, conversation, now, "conference left")
        elif conversation is not None and conversation.status == "dropping":
            conversation.status = "requeued"  # the caller's leg is out of the conference
        document = requeue_document(session, conversation, line)
        session.commit()
    for task in tasks:
        task()
    return twiml(document)


def send_back_to_queue(session, conversation: Conversation, now: datetime, why: str, status: str = "requeued") -> list:
    """The caller waits again, at the head of their pool's queue; returns the dispatch to run once committed.
    ``status`` "dropping": their leg is still to be moved out of the conference (the REST redirect follows)."""
    present = records.legs(session, conversation.id)
    records.close(session, conversation, now, status, "dropped")
    records.note(session, conversation, now, "conv_requeued", why)
    for leg in present:
        leg_gone(session, leg, now)
    caller_row = offers.locked(session, QueuedCaller, conversation.queued_caller_id)
    if caller_row is None:
        return []
    caller_row.status, caller_row.enqueued_at, caller_row.last_heard_at = "waiting", now, now
    caller_row.offered_to = caller_row.bridged_to = caller_row.ended_at = None
    caller_row.best_position = caller_row.best_wait = None
    caller_row.priority = max(caller_row.priority, REQUEUED_PRIORITY)
    offers.record_event(session, caller_row, caller_row.pool, now, "requeued", conversation.listener_id, 0, why)
    pool = caller_row.pool
    app = current_app._get_current_object()
    return [lambda: app.extensions["dispatcher"].trigger(pool)]


def listener_dropped(session, conversation: Conversation, now: datetime) -> list:
    """The main listener's leg has ended while the caller is still there: the caller waits again at the head of the
    queue at once, and their leg is moved out of the conference by the REST API (the sweep tries again if that
    fails); returns what to do once committed."""
    if conversation.status == "connecting":
        return send_back_to_queue(session, conversation, now, "listener's line dropped before the caller joined")
    records.note(session, conversation, now, "conv_listener_dropped")
    for hook in current_app.extensions.get(LISTENER_LEFT_HOOKS, ()):
        taken_over = hook(session, conversation, now)  # a transfer under way may put the caller through instead
        if taken_over is not None:
            return taken_over
    # A binôme still in the call is told why it ends for them, before the caller leaves (which ends the conference).
    binomes = [leg.call_sid for leg in records.legs(session, conversation.id) if leg.role == "binome" and leg.call_sid]
    tasks = send_back_to_queue(session, conversation, now, "listener's line dropped", status="dropping")
    url, sid = public(f"/voice/conference/requeue?cv={conversation.id}"), conversation.caller_sid
    released = public(f"/voice/conference/binome-released?cv={conversation.id}")
    dispatcher = current_app.extensions["dispatcher"]
    return [*(lambda binome=binome: dispatcher.redirect(binome, released) for binome in binomes),
            lambda: dispatcher.redirect(sid, url), *tasks]


@conference_requeue.route("/binome-released", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
def binome_released():
    """A binôme's leg, moved out of the call when the main listener's line dropped: why, then goodbye."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        line = line_of(session, conversation_from_url(session, lock=False), now)
    response = VoiceResponse()
    language = line.language if line is not None else "fr"
    say(response, prompts.render("conf_binome_released", language), language, line)
    response.hangup()
    return twiml(response)


def requeue_document(session, conversation: Conversation | None, line) -> VoiceResponse:
    """A short sentence, then the caller's own Twilio queue again (its wait document plays music)."""
    response = VoiceResponse()
    caller_row = session.get(QueuedCaller, conversation.queued_caller_id) if conversation is not None and \
        conversation.queued_caller_id else None
    language = caller_row.language if caller_row is not None else (line.language if line else "fr")
    say(response, prompts.render("conf_listener_dropped", language), language, line)
    if caller_row is None or caller_row.status not in offers.WAITING:
        response.redirect(public("/voice/incoming"), method="POST")
        return response
    response.enqueue(twilio_queue_name(caller_row),
                     action=public(url_for("voice.queue_result")) + f"?{caller_row.resume_query}&qc={caller_row.id}",
                     wait_url=public(f"/voice/queue/wait?qc={caller_row.id}"), wait_url_method="POST")
    return response
