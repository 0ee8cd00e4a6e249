"""The caller's wait in a pool's queue and the listener's leg: whisper, press 1, bridge, wrap-up."""
# Over 300 lines: the caller's wait and the listener's leg meet on the same offer and lock it in the same order.

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, current_app, request
from sqlalchemy import select
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr import prompts, screening, wrapup
from ivr.hold_music import CLIP_SECONDS, loops_for
from ivr.listener_leg import leg_spoken_to, not_taken, whisper
from ivr.security import twilio_only
from ivr.spoken import caller_type_words
from ivr.state import CallState
from ivr.twiml import field, never_fail, public, row_id, say, twiml
from routing.queueing import announcement, estimated_wait
from store import dispatch as offers
from store.calls import CALL_ENDED
from store.desk_calls import wrapup_after
from store.extension import database, directory
from store.listeners import handle_seconds, pool_state
from store.models import Listener, Offer, QueuedCaller

queue = Blueprint("queue", __name__, url_prefix="/voice")
DEQUEUE_TIMEOUT = 5  # seconds a listener's <Dial><Queue> waits for their caller to be in the queue
GATHER_SECONDS = 1  # the wait document's Gather listens this long for the leave key after its pause
SPOKEN_CHARACTERS_PER_SECOND = 10
# Under this many seconds before max_wait no announcement is made (position, wait and the leave key take 10 to
# 20 s to say): the document just lasts what is left, so the caller leaves the queue at the limit.
FINAL_STRETCH_SECONDS = 30
MUSIC_OVERRUN = 4  # seconds the last play of the hold music may run past max_wait: the wait still ends within 5 s
# --- the caller's side --------------------------------------------------------------------------------------


def enqueue(turn, step, after: CallState) -> None:
    """Put the caller in the pool's queue, tracked in the database, and dial a listener once committed."""
    pool = step.action.target or turn.line.pool
    caller = turn.session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == turn.call.sid)
                                 .with_for_update())
    if caller is None:
        caller = QueuedCaller(call_sid=turn.call.sid, call_id=turn.call.id, line_id=turn.call.line_id, pool=pool,
                              enqueued_at=turn.now, language=turn.language, caller_type=turn.state.caller_type,
                              department=turn.state.department, resume_query=after.query())
        turn.session.add(caller)
        turn.session.flush()
        offers.record_event(turn.session, caller, pool, turn.now, "joined")
    elif caller.status not in offers.WAITING:
        # A later rule queues the same call again (another pool): a new wait, told afresh.
        caller.status, caller.pool, caller.enqueued_at = "waiting", pool, turn.now
        caller.resume_query, caller.best_position, caller.best_wait = after.query(), None, None
        caller.offered_to = caller.bridged_to = None
        caller.ended_at = None
        offers.record_event(turn.session, caller, pool, turn.now, "joined")
    caller.last_heard_at = turn.now
    caller.priority = screening.queue_priority(turn)
    turn.response.enqueue(
        twilio_queue_name(caller),
        action=turn.url("queue_result", after, qc=caller.id),
        wait_url=public(f"/voice/queue/wait?qc={caller.id}"),
        wait_url_method="POST",
    )
    app = current_app._get_current_object()
    turn.after_commit.append(lambda: app.extensions["dispatcher"].trigger(pool))


def twilio_queue_name(caller: QueuedCaller) -> str:
    """Each caller waits in a Twilio queue of their own, so a listener is bridged with exactly the caller
    they were offered (language, skills, the whisper's facts) — not whoever is at the head of the pool."""
    return f"{caller.pool[:40]}.{caller.id}"


def _waiting_caller(session) -> QueuedCaller | None:
    qc = request.args.get("qc", "")
    caller = session.get(QueuedCaller, row_id(qc)) if row_id(qc) is not None else None
    if caller is None or caller.call_sid != field("CallSid"):
        return None
    return caller


@queue.route("/queue/wait", methods=("GET", "POST"))
@twilio_only
@never_fail("leave")
def wait():
    """The waitUrl, looped by Twilio: honest position and wait, only ever better; leave at max wait."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    with database.session() as session:
        caller = _waiting_caller(session)
        snapshot = directory.get(session, now)
        line = snapshot.line_for_pool(caller.pool) if caller else None
        if caller is None or line is None or caller.status not in offers.WAITING:
            response.leave()
            return twiml(response)
        settings = line.queue
        state = pool_state(session, caller.pool, now)
        waited = offers.waited(caller, now)
        if state.logged_in == 0:
            caller.status = "moved_on"  # every listener logged out: never leave a caller in an unstaffed queue
            offers.record_event(session, caller, caller.pool, now, caller.status, None, waited)
            response.leave()
        elif waited >= settings.max_wait and not offers.being_bridged(session, caller):
            caller.status = "left_max_wait"
            offers.record_event(session, caller, caller.pool, now, caller.status, None, waited)
            response.leave()
        elif settings.max_wait - waited <= FINAL_STRETCH_SECONDS:
            _wait_out_the_limit(response, caller, line, settings.max_wait - waited)
        else:
            _announce(session, response, caller, line, state, now, settings.max_wait - waited)
        # The caller's heartbeat (one who hung up unheard stops fetching this), written last: the UPDATE locks
        # the row, and a dispatch claiming callers meanwhile (SKIP LOCKED) would pass this caller over.
        caller.last_heard_at = now
        session.commit()
    return twiml(response)


def spoken_seconds(texts) -> int:
    """How long Twilio takes to say ``texts``, rounded up on the slow side (a voice says 12 to 16 characters a
    second): a wait document that speaks longer than planned would end the wait late."""
    return sum(-(-len(text) // SPOKEN_CHARACTERS_PER_SECOND) for text in texts)


def _wait_out_the_limit(response, caller, line, remaining: int) -> None:
    """The last seconds before max_wait: too short for an announcement, so the document lasts what is left
    (music, the key to leave still works) and the next fetch, at the limit, leaves the queue."""
    gather = Gather(num_digits=1, timeout=GATHER_SECONDS, action=public(f"/voice/queue/key?qc={caller.id}"),
                    action_on_empty_result=False)
    _hold(gather, line, remaining - GATHER_SECONDS)
    response.append(gather)


def _hold(gather, line, seconds: int) -> None:
    """Music, not silence, for about ``seconds`` until the next fetch (the next announcement, or max_wait).

    With time for a full cadence: the line's own music (its length is the line's to choose), or the engine's
    ten-second loop repeated to fill announce_every. Cut short by max_wait: the engine's loop, whose length is
    known, the last play ending at most MUSIC_OVERRUN late, a gap under 6 s left silent."""
    every = line.queue.announce_every
    if seconds >= every and line.hold_music:
        gather.play(line.hold_music)
        return
    if seconds >= loops_for(every) * CLIP_SECONDS:
        gather.play(public("/media/hold-music.wav"), loop=loops_for(every))
        return
    loops = int((max(0, seconds) + MUSIC_OVERRUN) // CLIP_SECONDS)
    if loops:
        gather.play(public("/media/hold-music.wav"), loop=loops)
    if seconds - loops * CLIP_SECONDS >= 1:
        gather.pause(length=int(seconds - loops * CLIP_SECONDS))


def _announce(session, response, caller, line, state, now, remaining: int) -> None:
    settings, language = line.queue, caller.language
    position = _position(session, caller)
    # With every listener on a break nobody can say how long it will be: no figure rather than a wrong one.
    wait_seconds = (estimated_wait(position, state.staffed, state.available, handle_seconds(session, caller.pool))
                    if state.staffed else 0)
    news = announcement(settings, position, wait_seconds, caller.best_position, caller.best_wait)
    caller.best_position, caller.best_wait = news.best_position, news.best_wait
    said = []
    if news.position is not None:
        said.append(prompts.render("queue_position", language, line.country, position=news.position))
    if news.wait_minutes is not None:
        said.append(prompts.render("queue_wait", language, line.country, minutes=news.wait_minutes))
    if said:
        offers.record_event(session, caller, caller.pool, now, "announced", None, offers.waited(caller, now),
                            " ".join(said))
    elif settings.message:
        said.append(settings.message.get(language) or settings.message.get("fr"))
    else:
        said.append(prompts.render("queue_still_waiting", language, line.country))
    for text in said:
        say(response, text, language, line)
    gather = Gather(num_digits=1, timeout=GATHER_SECONDS, action=public(f"/voice/queue/key?qc={caller.id}"),
                    action_on_empty_result=False)
    if settings.leave_key:
        said.append(prompts.render("queue_leave_key", language, line.country, key=settings.leave_key))
        say(gather, said[-1], language, line)
    # Twilio fetches this document again only once it has played: its speech, the music and the key's second
    # must end by max_wait, or the caller would stay past it (600 s became 645 s with a 45 s cadence).
    _hold(gather, line, remaining - GATHER_SECONDS - spoken_seconds(said))
    response.append(gather)


def _position(session, caller: QueuedCaller) -> int:
    """1 + callers of the pool ahead of this one, by priority then arrival (each Twilio queue holds one)."""
    from sqlalchemy import func

    ahead = session.scalar(
        select(func.count()).select_from(QueuedCaller).where(
            QueuedCaller.pool == caller.pool, QueuedCaller.status.in_(offers.WAITING),
            (QueuedCaller.priority > caller.priority)
            | ((QueuedCaller.priority == caller.priority) & (QueuedCaller.enqueued_at < caller.enqueued_at))
            | ((QueuedCaller.priority == caller.priority) & (QueuedCaller.enqueued_at == caller.enqueued_at)
               & (QueuedCaller.id < caller.id)))
    )
    return (ahead or 0) + 1


@queue.route("/queue/key", methods=("GET", "POST"))
@twilio_only
@never_fail("leave")
def key():
    now = current_app.config["CLOCK"]()
    digits = field("Digits")[:4]
    response = VoiceResponse()
    with database.session() as session:
        caller = _waiting_caller(session)
        line = directory.get(session, now).line_for_pool(caller.pool) if caller else None
        if caller is not None and line is not None and caller.status in offers.WAITING:
            if line.quick_exit_key and line.quick_exit_key in digits:
                response.hangup()
                return twiml(response)
            if line.queue.leave_key and digits == line.queue.leave_key:
                caller.status = "left_key"
                offers.record_event(session, caller, caller.pool, now, "left_key", None, offers.waited(caller, now))
                session.commit()
                response.leave()
                return twiml(response)
    # Only the digits of an id go back into the TwiML: anything else (a control character) would break the XML.
    qc = request.args.get("qc", "")[:12]
    response.redirect(public(f"/voice/queue/wait?qc={qc if qc.isdigit() else ''}"), method="POST")
    return twiml(response)


@queue.route("/queue/bridging", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
def bridging():
    """Runs on the queued caller's leg just before the bridge: the records follow what Twilio did."""
    now = current_app.config["CLOCK"]()
    listener_leg = field("DequeingCallSid") or field("DequeueingCallSid")
    response = VoiceResponse()
    with database.session() as session:
        caller = offers.caller_bridged(session, field("CallSid"), listener_leg, now)
        session.commit()
        language = caller.language if caller else "fr"
        # In the line's own voice, like everything else the caller heard before.
        line = directory.get(session, now).line_for_pool(caller.pool) if caller else None
    say(response, prompts.render("queue_connecting", language), language, line)
    return twiml(response)


# --- the listener's side ------------------------------------------------------------------------------------


def offer_turn(handler):
    """Load the offer named in the URL with its listener, caller and line; run ``handler``; commit."""

    @wraps(handler)
    def view():
        now = current_app.config["CLOCK"]()
        offer_id = request.args.get("offer", "")
        after: list = []
        with database.session() as session:
            offer = session.get(Offer, row_id(offer_id)) if row_id(offer_id) is not None else None
            if offer is not None:
                # One lock order everywhere: the caller, then the offer, then the listener.
                offers.locked(session, QueuedCaller, offer.queued_caller_id)
                offer = offers.locked(session, Offer, offer.id)
            if offer is None:
                response = VoiceResponse()
                say(response, prompts.render("listener_caller_gone", "fr"), "fr")
                response.hangup()
                return twiml(response)
            snapshot = directory.get(session, now)
            line = snapshot.line_for_pool(offer.pool)
            caller = session.get(QueuedCaller, offer.queued_caller_id)
            listener = offers.locked(session, Listener, offer.listener_id)
            response = handler(session, now, offer, caller, listener, line, after)
            leg_spoken_to(session, offer.listener_id, offer.call_sid, now)
            session.commit()
        for task in after:
            task()
        return twiml(response)

    return view


def _caller_gone(response, session, now, offer, line) -> VoiceResponse:
    offers.release_offer(session, offer, now, line.queue, missed=False, why="caller gone before the offer was taken")
    say(response, prompts.render("listener_caller_gone", line.language, line.country), line.language, line)
    response.hangup()
    return response


@queue.route("/listener/offer", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_offer(session, now, offer, caller, listener, line, after):
    """The listener picked up: whisper who is waiting, and wait for 1."""
    response = VoiceResponse()
    if offer.status not in ("dialling", "ringing") or caller is None or caller.status not in offers.WAITING:
        return _caller_gone(response, session, now, offer, line)
    offer.status = "answered"
    offer.call_sid = offer.call_sid or field("CallSid")[:64] or None
    minutes = max(1, offers.waited(caller, now) // 60)
    text = prompts.render("listener_whisper", line.language, line.country, line_name=line.name, minutes=minutes,
                          caller_type=caller_type_words(caller.caller_type, line.language), department=caller.department or "")
    return whisper(text, f"/voice/listener/accept?offer={offer.id}", line)


@queue.route("/listener/accept", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_accept(session, now, offer, caller, listener, line, after):
    response = VoiceResponse()
    if field("Digits")[:1] == "1" and (caller is None or caller.status not in offers.WAITING):
        # Whether the caller's hang-up was processed before this key (and cancelled the offer) or not.
        return _caller_gone(response, session, now, offer, line)
    if field("Digits")[:1] != "1" or offer.status != "answered":
        return not_taken(response, line)
    if field("CallStatus") in CALL_ENDED:
        # 1 pressed as the phone hung up: a missed offer, as when the leg's status callback is processed first.
        offers.release_offer(session, offer, now, line.queue, missed=True, why="hung up after pressing 1")
        return not_taken(response, line)
    others = offers.accept_offer(session, offer, now)
    for other in others:
        offers.release_offer(session, other, now, line.queue, missed=False, why="another listener took the call")
    app = current_app._get_current_object()
    after.append(lambda: app.extensions["dispatcher"].hang_up([o.call_sid for o in others]))
    # The caller is in their own queue when 1 is pressed, so the dequeue is at once; if the queue is empty, the
    # Dial would wait for someone to join it (30 s by default) with the listener hearing silence.
    dial = Dial(action=public(f"/voice/listener/after?offer={offer.id}"), timeout=DEQUEUE_TIMEOUT)
    dial.queue(twilio_queue_name(caller), url=public(f"/voice/queue/bridging?offer={offer.id}"), method="POST")
    response.append(dial)
    return response


@queue.route("/listener/after", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_after(session, now, offer, caller, listener, line, after):
    """The bridged conversation is over (or the queue was empty): tell the listener what comes next."""
    response = VoiceResponse()
    duration = field("DialCallDuration")
    talk_seconds = int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else 0
    if field("DialCallStatus") == "completed" and talk_seconds > 0:
        # Twilio's own word that the caller was bridged and talked: it stands whatever the caller's side has
        # reported so far (the <Queue url>, the Enqueue action, their status callback come in no fixed order).
        offers.bridge_reported(session, offer, caller, now - timedelta(seconds=talk_seconds))
    talked = offer.status == "bridged"
    if offer.status == "accepted" and field("CallStatus") == "in-progress" \
            and field("DialCallDuration") in ("", "0") and caller is not None and caller.status in offers.WAITING:
        # The listener is still on the line and their <Dial><Queue> ended with no bridge and no talk: the caller's
        # own Twilio queue was empty or gone, so they are no longer in it — they hung up unheard, or were put
        # through to the emergency number while the database was down. Offered again, they would ring listener
        # after listener for nobody. (A listener who hung up before the bridge says nothing about the caller.)
        offers.caller_left(session, caller.call_sid, "not in their queue when a listener took the call", now,
                           line.queue)
    # The Dial's end is reported here reliably: the status callback may be lost, the listener must not
    # stay "on call" (listener_leg_ended is idempotent when the status callback comes too).
    offers.listener_leg_ended(session, offer, now, line.queue, "completed", None)
    app = current_app._get_current_object()
    after.append(lambda: app.extensions["dispatcher"].trigger(offer.pool))
    if talked and wrapup.ask_to_classify(response, session, now, offer, caller, listener, line):
        return response
    if talked:
        seconds = wrapup_after(session, line.queue, caller)
        say(response, prompts.render("listener_call_over", line.language, line.country, seconds=seconds),
            line.language, line)
    else:
        say(response, prompts.render("listener_caller_gone", line.language, line.country), line.language, line)
    response.hangup()
    return response


@queue.route("/listener/status", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
@offer_turn
def listener_status(session, now, offer, caller, listener, line, after):
    """Status callback of the listener's leg: keeps the listener's status true, then dispatches again."""
    status = field("CallStatus")
    if status in CALL_ENDED:
        duration = field("CallDuration")
        offers.listener_leg_ended(session, offer, now, line.queue, status,
                                  int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else None)
        wrapup.leg_over(session, now, offer, caller, listener, line)
        app = current_app._get_current_object()
        after.append(lambda: app.extensions["dispatcher"].trigger(offer.pool))
    return VoiceResponse()


# The wrap-up menu's route runs on an offer too; wrapup.py holds the menu, this blueprint serves it.
queue.add_url_rule("/listener/wrapup", endpoint="listener_wrapup", methods=("GET", "POST"),
                   view_func=twilio_only(never_fail("listener")(offer_turn(wrapup.listener_wrapup))))
