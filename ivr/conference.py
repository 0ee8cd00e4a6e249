"""Every answered call is a Twilio conference: the caller's and the listener's <Dial><Conference>, the music while
on hold, and the conference's status callback that keeps the participant registry true.

The caller's leg is the anchor (endConferenceOnExit): when the caller hangs up, the conference ends and everyone
else is freed. When the listener's leg drops, the caller hears a sentence and goes back to the head of the queue."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr import prompts
from ivr.call_control import EVENTS, events_url, leg_gone, resume
from ivr.hold_music import CLIP_SECONDS
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, public, row_id, say, twiml
from store import conference as records
from store import dispatch as offers
from store.calls import CALL_ENDED
from store.extension import database, directory
from store.models import ConferenceLeg, Conversation, Offer, QueuedCaller

conference = Blueprint("conference", __name__, url_prefix="/voice/conference")
# app.extensions hooks (the transfer feature's): fn(session, conversation, now) called when the main listener's line
# drops (a list of tasks = the caller is taken care of, do not requeue; None = requeue as usual), and when the
# conference ends (a list of tasks to run once committed).
LISTENER_LEFT_HOOKS = "ivr.listener_left"
ENDED_HOOKS = "ivr.conversation_ended"
REQUEUED_PRIORITY = 1000  # a caller whose listener's line dropped is offered before anyone else
HOLD_LOOPS = 3  # the engine's ten-second loop, three times, then the document is fetched again


def _conversation_from_url(session, lock: bool = True) -> Conversation | None:
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
    return records.locked_conversation(session, conversation_id)


def _line(session, conversation: Conversation | None, now: datetime):
    return directory.get(session, now).line_for_pool(conversation.pool) if conversation is not None else None


# --- the TwiML of each leg ---------------------------------------------------------------------------------------


def caller_join(conversation: Conversation, line, language: str) -> VoiceResponse:
    """The caller's document once a listener pressed 1: into the conference, which ends when the caller leaves."""
    response = VoiceResponse()
    say(response, prompts.render("queue_connecting", language), language, line)
    dial = Dial(action=public(f"/voice/conference/caller-after?cv={conversation.id}"), method="POST")
    dial.conference(conversation.name, start_conference_on_enter=True, end_conference_on_exit=True, beep="false",
                    wait_url=public(f"/voice/conference/wait?cv={conversation.id}"), wait_method="POST",
                    status_callback=events_url(conversation.id), status_callback_method="POST",
                    status_callback_event=EVENTS, participant_label="caller")
    response.append(dial)
    return response


def move_caller_in(conversation_id: int) -> None:
    """Move the caller out of their queue into the conference (REST). If Twilio says their call is already over (a
    hang-up lost while the database was down), the listener waiting in the conference is told at once; if Twilio
    cannot be reached, the caller's next wait document leaves the queue for the conference instead."""
    dispatcher = current_app.extensions["dispatcher"]
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        offer = session.get(Offer, conversation.offer_id) if conversation and conversation.offer_id else None
    if conversation is None or conversation.status != "connecting":
        return
    if dispatcher.redirect(conversation.caller_sid, public(f"/voice/conference/caller?cv={conversation_id}")):
        return
    if not dispatcher.call_has_ended(conversation.caller_sid):
        return
    with database.session() as session:
        conversation = locked_in_order(session, conversation_id)
        if conversation is None or conversation.status != "connecting":
            return
        records.close(session, conversation, current_app.config["CLOCK"](), "ended", "caller")
        session.commit()
    if offer is not None and offer.call_sid:
        dispatcher.redirect(offer.call_sid, public(f"/voice/listener/over?offer={offer.id}"))


def listener_join(conversation: Conversation, offer: Offer, line, speak: str | None = None) -> VoiceResponse:
    """The listener's document: into the same conference, leaving it with * (the keypad menu) without ending it.

    startConferenceOnEnter is false (a change from the first design): until the caller is in, the listener hears
    the wait music rather than the silence of a conference started by them alone."""
    response = VoiceResponse()
    if speak:
        say(response, speak, line.language, line)
    dial = Dial(action=public(f"/voice/listener/after?offer={offer.id}"), method="POST", hangup_on_star=True)
    dial.conference(conversation.name, start_conference_on_enter=False, end_conference_on_exit=False, beep="false",
                    wait_url=public(f"/voice/conference/wait?cv={conversation.id}&who=listener"), wait_method="POST",
                    status_callback=events_url(conversation.id), status_callback_method="POST",
                    status_callback_event=EVENTS, participant_label="listener")
    response.append(dial)
    return response


def music(response, line, seconds: float) -> None:
    """The line's hold music, or the engine's own loop for about ``seconds``."""
    if line is not None and line.hold_music:
        response.play(line.hold_music)
    else:
        response.play(public("/media/hold-music.wav"), loop=max(1, round(seconds / CLIP_SECONDS)))


@conference.route("/caller", methods=("GET", "POST"))
@twilio_only
@never_fail
def caller():
    """Fetched on the caller's leg when the engine moves it out of its queue (REST redirect)."""
    now = current_app.config["CLOCK"]()
    tasks: list = []
    with database.session() as session:
        conversation = _conversation_from_url(session)
        document = join_document(session, conversation, field("CallSid"), now, tasks)
        session.commit()
    for task in tasks:
        task()
    return twiml(document)


def join_document(session, conversation: Conversation | None, call_sid: str, now: datetime,
                  tasks: list) -> VoiceResponse:
    """The conference for a caller a listener took; the records say they are bridged (Twilio's own word follows
    in the status callback). Their listener gone meanwhile: back to the head of the queue. The call ended: goodbye.
    The caller commits; ``tasks`` run after."""
    if conversation is not None and conversation.caller_sid == call_sid and conversation.status in ("requeued",
                                                                                                   "dropping"):
        conversation.status = "requeued"
        return requeue_document(session, conversation, _line(session, conversation, now))
    if conversation is None or conversation.caller_sid != call_sid or conversation.status not in records.LIVE:
        response = VoiceResponse()
        line = _line(session, conversation, now)
        say(response, prompts.render("conf_caller_goodbye", line.language if line else "fr"),
            line.language if line else "fr", line)
        response.hangup()
        return response
    caller_row = session.get(QueuedCaller, conversation.queued_caller_id) if conversation.queued_caller_id else None
    offer = session.get(Offer, conversation.offer_id) if conversation.offer_id else None
    if offer is not None and offer.call_sid:
        offers.caller_bridged(session, call_sid, offer.call_sid, now)
    if conversation.status == "connecting":
        conversation.status = "live"
        records.note(session, conversation, now, "conv_bridged")
    language = caller_row.language if caller_row is not None else "fr"
    return caller_join(conversation, _line(session, conversation, now), language)


def conference_join(turn) -> VoiceResponse | None:
    """For the Enqueue action (ivr/conversation.HoldingSteps): a caller who left their queue because a listener
    took them goes into the conference; None when no conversation awaits them."""
    conversation = records.live_conversation_for_caller(turn.session, turn.call.sid)
    if conversation is None:
        return None
    conversation = locked_in_order(turn.session, conversation.id)
    tasks: list = []
    document = join_document(turn.session, conversation, turn.call.sid, turn.now, tasks)
    turn.after_commit.extend(tasks)
    return document


@conference.route("/wait", methods=("GET", "POST"))
@twilio_only
@never_fail("music")
def wait():
    """The conference's waitUrl: music (and, for the listener, that the caller is being connected)."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    with database.session() as session:
        conversation = _conversation_from_url(session, lock=False)
        line = _line(session, conversation, now)
    if request.args.get("who") == "listener":
        language = line.language if line is not None else "fr"
        say(response, prompts.render("conf_listener_connecting", language), language, line)
    music(response, line, 30)
    return twiml(response)


@conference.route("/hold", methods=("GET", "POST"))
@twilio_only
@never_fail("music")
def hold_music_document():
    """The holdUrl: the line's music, again and again; past the hold limit, a word to the caller and another try
    to bring them back (the desk may be closed, or the REST API was down when they were resumed)."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    due = False
    with database.session() as session:
        conversation = _conversation_from_url(session, lock=False)
        line = _line(session, conversation, now)
        language = line.language if line is not None else "fr"
        if conversation is not None and conversation.held_since is not None:
            held = (now - conversation.held_since).total_seconds()
            due = held >= records.HOLD_LIMIT_SECONDS and not conversation.in_menu
            if held < 2 or due:
                say(response, prompts.render("conf_on_hold", language), language, line)
    music(response, line, HOLD_LOOPS * CLIP_SECONDS)
    response.redirect(public(f"/voice/conference/hold?cv={row_id(request.args.get('cv')) or ''}"), method="POST")
    if due:
        resume(conversation.id, by="limit", now=now)
    return twiml(response)


@conference.route("/caller-after", methods=("GET", "POST"))
@twilio_only
@never_fail
def caller_after():
    """The caller's <Dial> ended without their hanging up: the call was ended for everyone (goodbye), or the
    conference ended under them (their listener gone): back to the head of the queue, never hung up on."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        conversation = _conversation_from_url(session)
        line = _line(session, conversation, now)
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


@conference.route("/requeue", methods=("GET", "POST"))
@twilio_only
@never_fail
def requeue():
    """The caller's leg, moved out of the conference when their listener's line dropped (or the conference ended
    under them): a sentence, then the head of their queue."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        conversation = _conversation_from_url(session)
        line = _line(session, conversation, now)
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
    tasks = send_back_to_queue(session, conversation, now, "listener's line dropped", status="dropping")
    url, sid = public(f"/voice/conference/requeue?cv={conversation.id}"), conversation.caller_sid
    dispatcher = current_app.extensions["dispatcher"]
    return [lambda: dispatcher.redirect(sid, url), *tasks]


def requeue_document(session, conversation: Conversation | None, line) -> VoiceResponse:
    """A short sentence, then the caller's own Twilio queue again (its wait document plays music)."""
    from ivr.queue import twilio_queue_name

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


# --- the conference's status callback: the participant registry ----------------------------------------------


@conference.route("/events", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
def events():
    now = current_app.config["CLOCK"]()
    event = field("StatusCallbackEvent")
    with database.session() as session:
        conversation = _conversation_from_url(session)
        if conversation is None or field("FriendlyName") not in ("", conversation.name):
            return twiml(VoiceResponse())
        if field("ConferenceSid").startswith("CF"):
            conversation.conference_sid = field("ConferenceSid")[:64]
        leg = records.leg_of(session, conversation, field("CallSid")) if field("CallSid") else None
        tasks = _apply(session, conversation, leg, event, now)
        session.commit()
    for task in tasks:
        task()
    return twiml(VoiceResponse())


def _apply(session, conversation: Conversation, leg: ConferenceLeg | None, event: str, now: datetime) -> list:
    """One status callback event on the registry; returns what to ask of Twilio once committed."""
    if event == "conference-end":
        present = records.legs(session, conversation.id)
        if conversation.status in records.LIVE:
            records.close(session, conversation, now, "ended", "caller")
            records.note(session, conversation, now, "conv_ended", "caller")
        for other in present:
            leg_gone(session, other, now)
        return [task for hook in current_app.extensions.get(ENDED_HOOKS, ()) for task in hook(session, conversation, now)]
    if leg is None:
        return []
    flags = {"Muted": "muted", "Hold": "on_hold", "Coaching": "coaching"}
    for name, attribute in flags.items():
        if field(name) in ("true", "false"):
            setattr(leg, attribute, field(name) == "true")
    if event == "participant-join":
        leg.joined_at, leg.left_at = leg.joined_at or now, None
        if leg.role == "binome":
            records.note(session, conversation, now, "conv_binome_joined")
        return []
    if event != "participant-leave":
        return []
    was_present = leg.left_at is None
    if was_present:
        leg_gone(session, leg, now)
    if leg.role == "caller" and conversation.status in records.LIVE:
        # Hung up (a redirect out of the conference has already changed the status): the call is over.
        records.close(session, conversation, now, "ended", "caller")
        records.note(session, conversation, now, "conv_ended", "caller")
    return []


@conference.route("/participant-status", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
def participant_status():
    """A participant dialled by the REST API: their call's end (or no answer) frees their leg."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        conversation = _conversation_from_url(session)
        leg_id = row_id(request.args.get("leg"))
        leg = records.leg_by_id(session, conversation, leg_id) if conversation is not None else None
        if leg is not None and field("CallStatus") in CALL_ENDED:
            leg_gone(session, leg, now)
            session.commit()
    return twiml(VoiceResponse())
