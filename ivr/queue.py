"""The caller's wait in a pool's queue: their own Twilio queue, honest announcements, music, the keys, max wait.

The listener's side (whisper, press 1, the conference, wrap-up) is ivr/listener_call.py."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy import select
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts, screening
from ivr.hold_music import CLIP_SECONDS, loops_for
from ivr.security import twilio_only
from ivr.state import CallState
from ivr.twiml import field, never_fail, public, row_id, say, twiml
from routing.queueing import announcement, estimated_wait
from store import conference as conversations
from store import bridging, dispatch as offers
from store.extension import database, directory
from store.listeners import handle_seconds, pool_state
from store.models import QueuedCaller

queue = Blueprint("queue", __name__, url_prefix="/voice")
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
        if conversations.live_conversation_for_caller(session, caller.call_sid) is not None:
            # A listener took this caller but the REST API did not move them into the conference: leaving the
            # queue takes them there (the Enqueue action answers with the conference).
            response.leave()
            return twiml(response)
        settings = line.queue
        state = pool_state(session, caller.pool, now)
        waited = offers.waited(caller, now)
        if state.logged_in == 0:
            caller.status = "moved_on"  # every listener logged out: never leave a caller in an unstaffed queue
            offers.record_event(session, caller, caller.pool, now, caller.status, None, waited)
            response.leave()
        elif waited >= settings.max_wait and not bridging.being_bridged(session, caller):
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
