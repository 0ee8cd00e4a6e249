"""Listeners and their presence: one service for phone, console and dispatcher, with every change recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from collections.abc import Mapping
from typing import Iterable

import phonenumbers
from sqlalchemy import Integer, String, bindparam, func, literal, null, select, union_all
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from phones.numbers import e164
from routing.model import Line, LiveState, PoolState
from store import direct
from routing.queueing import LOGGED_IN, ListenerStatus, average_handle_time, estimated_wait
from store.accounts import password_hash_method
from store.calls import CALL_ENDED
from store.models import Listener, ListenerPool, ListenerStatusChange, QueuedCaller, QueueEvent

# Statuses a person may choose; ringing, on call and wrap-up are set by the engine.
CHOSEN = (ListenerStatus.AVAILABLE, ListenerStatus.PAUSED, ListenerStatus.OFFLINE)
HANDLE_TIME_SAMPLE = 20
BUSY = (ListenerStatus.RINGING.value, ListenerStatus.ON_CALL.value)
PIN_FAILURES_BEFORE_LOCK = 5
PIN_LOCK = timedelta(minutes=15)


class ListenerError(ValueError):
    pass


def normalised_phone(number: str, country: str = "FR") -> str:
    read = e164(number, country)
    if read is None:
        raise ListenerError("not a phone number")
    return read


def create_listener(session: Session, name: str, phone: str, pools: Iterable[str], pin: str, now: datetime,
                    languages: Iterable[str] = ("fr",), skills: Iterable[str] = (),
                    follows_shifts: bool = False) -> Listener:
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ListenerError("the PIN must be 4 to 8 digits")
    listener = Listener(
        name=name.strip(),
        phone=normalised_phone(phone),
        languages=list(languages),
        skills=list(skills),
        pin_hash=generate_password_hash(pin, method=password_hash_method()),
        status=ListenerStatus.OFFLINE.value,
        status_since=now,
        follows_shifts=follows_shifts,
        pools=[ListenerPool(pool=p) for p in dict.fromkeys(pools)],
    )
    session.add(listener)
    session.flush()
    return listener


def set_pin(listener: Listener, pin: str) -> None:
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ListenerError("the PIN must be 4 to 8 digits")
    listener.pin_hash = generate_password_hash(pin, method=password_hash_method())


def pin_matches(listener: Listener, pin: str) -> bool:
    return bool(listener.pin_hash) and check_password_hash(listener.pin_hash, pin)


def check_pin(session: Session, listener: Listener, pin: str, now: datetime) -> str:
    """"ok", "wrong" or "locked". Wrong PINs count across calls: a 4-digit PIN cannot be tried by redialling."""
    # Re-read under a row lock: calls made in parallel each count their failure, none slips past the lockout.
    session.refresh(listener, with_for_update=True)
    if listener.pin_locked_until is not None and listener.pin_locked_until > now:
        return "locked"
    if not pin:
        return "wrong"  # silence is not a guess
    if pin_matches(listener, pin):
        listener.pin_failures = 0
        return "ok"
    listener.pin_failures = (listener.pin_failures or 0) + 1
    if listener.pin_failures >= PIN_FAILURES_BEFORE_LOCK:
        listener.pin_failures = 0
        listener.pin_locked_until = now + PIN_LOCK
        return "locked"
    return "wrong"


def masked_phone(number: str) -> str:
    """`+33 6 •• •• •• 78`: the country, the kind of line and the last two digits, enough to tell people apart."""
    try:
        parsed = phonenumbers.parse(number, None)
        shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return "••"
    country, _, national = shown.partition(" ")
    total = sum(c.isdigit() for c in national)
    seen, out = 0, []
    for char in national:
        if char.isdigit():
            seen += 1
            out.append(char if seen == 1 or seen > total - 2 else "•")
        else:
            out.append(char)
    return f"{country} {''.join(out)}"


def find_by_phone(session: Session, number: str) -> Listener | None:
    try:
        phone = normalised_phone(number)
    except ListenerError:
        return None
    return session.scalar(select(Listener).where(Listener.phone == phone, Listener.active.is_(True)))


def set_status(session: Session, listener: Listener, status: ListenerStatus, now: datetime,
               reason: str = "") -> bool:
    """Change a listener's status and record it; False when it was already so."""
    previous = listener.status
    if previous == status.value:
        return False
    session.add(ListenerStatusChange(listener_id=listener.id, at=now, status=status.value, previous=previous,
                                     reason=reason[:120]))
    listener.status = status.value
    listener.status_since = now
    if status is ListenerStatus.AVAILABLE:
        listener.idle_since = listener.idle_since if previous == ListenerStatus.WRAP_UP.value else now
        listener.wrapup_until = None
    if status in (ListenerStatus.AVAILABLE, ListenerStatus.OFFLINE) and reason.startswith("chosen"):
        listener.missed_in_row = 0
    return True


def choose_status(session: Session, listener: Listener, status: ListenerStatus, now: datetime,
                  how: str) -> str:
    """A person's own choice (phone keypad, console, CLI). While their phone rings or they are on a call the
    choice is refused ("busy"): they choose again when the call is over."""
    if status not in CHOSEN:
        raise ListenerError(f"{status.value} cannot be chosen")
    session.refresh(listener, with_for_update=True)  # a dispatcher may be offering them a call right now
    if listener.status in BUSY:
        return "busy"
    set_status(session, listener, status, now, f"chosen by {how}")
    if status is ListenerStatus.AVAILABLE:
        listener.idle_since = now if listener.idle_since is None else listener.idle_since
    return status.value


def deactivate_listener(session: Session, listener: Listener, now: datetime) -> bool:
    """Take a listener off the roster: never offered a call again, their history kept. True when they are
    ringing or on a call: that call goes on, and nothing after it."""
    listener.active = False
    busy = listener.status in BUSY
    if not busy:
        set_status(session, listener, ListenerStatus.OFFLINE, now, "deactivated")
    return busy


# The longest a listener's leg goes on after our last answer to it, outside a conversation: the wrap-up menu read
# in full (about 30 s) and its seconds to press a key, or a goodbye (about 8 s), with room for a slow voice. Only a
# lost status callback makes a listener wait this long: Twilio's word that the leg completed frees them at once.
LEG_LIVE_SECONDS = 60


def leg_answered(listener: Listener, call_sid: str, call_status: str, now: datetime) -> None:
    """A webhook on the listener's leg ``call_sid``: live for our answer's length at most, or over if Twilio says
    so. A status callback processed before the leg's last webhook (Twilio does not order them) stays the last word."""
    if not call_sid:
        return
    if call_status in CALL_ENDED:
        listener.leg_sid, listener.leg_live_until = call_sid[:64], None
    elif listener.leg_sid != call_sid or listener.leg_live_until is not None:
        listener.leg_sid, listener.leg_live_until = call_sid[:64], now + timedelta(seconds=LEG_LIVE_SECONDS)


def legs_over(session: Session, call_sid: str) -> list[str]:
    """Twilio reports ``call_sid`` over (a status callback): any listener whose leg it was is free to be dialled.
    Returns their pools, to dispatch again."""
    listeners = session.scalars(select(Listener).where(Listener.leg_sid == call_sid[:64],
                                                      Listener.leg_live_until.is_not(None)).with_for_update()).all()
    for listener in listeners:
        listener.leg_live_until = None
    return [membership.pool for listener in listeners for membership in listener.pools]


def phone_free(now: datetime):
    """The SQL condition "no leg of theirs may still be live": who may be dialled."""
    return (Listener.leg_live_until.is_(None)) | (Listener.leg_live_until <= now)


def end_wrapups(session: Session, now: datetime) -> list[Listener]:
    """Listeners whose wrap-up time is over become available again."""
    # Locked and re-checked: a dispatcher may have just made one of them ringing (no lost update).
    due = session.scalars(
        select(Listener).where(Listener.status == ListenerStatus.WRAP_UP.value, Listener.wrapup_until <= now)
        .with_for_update(skip_locked=True)
    ).all()
    for listener in due:
        set_status(session, listener, ListenerStatus.AVAILABLE, now, "wrap-up over")
    return list(due)


def _pool_state_statement():
    """pool_state's three questions (listeners by status, callers waiting, the last talks' lengths) as one
    UNION ALL built once with a parameter: the chain asks it on most incoming calls, and three statements
    built on every call were a quarter of an incoming webhook's CPU and two more round trips."""
    pool, none_text, none_number = bindparam("pool", type_=String()), null().cast(String()), null().cast(Integer())
    statuses = (select(literal("status").label("part"), Listener.status.label("status"), func.count().label("n"),
                       none_number.label("seconds"))
                .join(ListenerPool, ListenerPool.listener_id == Listener.id)
                .where(ListenerPool.pool == pool, Listener.active.is_(True)).group_by(Listener.status))
    waiting = (select(literal("waiting"), none_text, func.count(), none_number).select_from(QueuedCaller)
               .where(QueuedCaller.pool == pool, QueuedCaller.status.in_(("waiting", "offered"))))
    recent = (select(QueueEvent.wait_seconds.label("seconds")).where(QueueEvent.pool == pool, QueueEvent.kind == "talk")
              .order_by(QueueEvent.id.desc()).limit(HANDLE_TIME_SAMPLE).subquery())
    talks = select(literal("talk"), none_text, none_number, recent.c.seconds)
    return union_all(statuses, waiting, talks)


POOL_STATE = _pool_state_statement()
POOL_STATE_DIRECT = direct.DirectStatement(POOL_STATE, ("pool",))  # a first webhook's read (store/direct.py)


POOLS_READ = "helpline.pools_read"  # session.info: pool states read ahead with the call's id (read_ahead)


def read_ahead(line: Line, now: datetime) -> tuple[direct.DirectStatement, dict] | None:
    """An open line's first queue rule's pool state, asked by its chain on most calls (a turn ending before reads it
    for nothing): sent with the call's id (open_call_screened's ``also``: one round trip); kept by keep_read_ahead."""
    from schedules import status_at

    queues = [r.action for r in line.rules if r.action.kind.value == "queue"]
    if not queues or not status_at(line.schedule, now).is_open:
        return None
    return POOL_STATE_DIRECT, {"pool": queues[0].target or line.pool}


def keep_read_ahead(session: Session, asked: tuple[direct.DirectStatement, dict] | None, rows) -> None:
    if asked is not None:
        session.info.setdefault(POOLS_READ, {})[asked[1]["pool"]] = _pool_state_of(rows)


def pool_state(session: Session, pool: str, now: datetime) -> PoolState:
    return _pool_state_of(direct.rows(session, POOL_STATE_DIRECT, {"pool": pool}))


def _pool_state_of(rows) -> PoolState:
    counts, waiting, talks = {}, 0, []
    for part, status, n, seconds in rows:
        if part == "status":
            counts[status] = n
        elif part == "waiting":
            waiting = n or 0
        elif seconds is not None:
            talks.append(seconds)
    logged_in = sum(n for s, n in counts.items() if s in LOGGED_IN)
    available = counts.get(ListenerStatus.AVAILABLE.value, 0)
    staffed = logged_in - counts.get(ListenerStatus.PAUSED.value, 0)
    wait = estimated_wait(waiting + 1, staffed, available, average_handle_time(talks))
    return PoolState(logged_in=logged_in, available=available, staffed=staffed, queue_length=waiting,
                     estimated_wait=wait)


def handle_seconds(session: Session, pool: str) -> int:
    """Average handle time of the pool's last calls (talk time), from the queue's 'ended' events."""
    recent = session.scalars(select(QueueEvent.wait_seconds).where(QueueEvent.pool == pool, QueueEvent.kind == "talk")
                             .order_by(QueueEvent.id.desc()).limit(HANDLE_TIME_SAMPLE)).all()
    return average_handle_time([t for t in recent if t is not None])


class _PoolsOnDemand(Mapping[str, PoolState]):
    """Pool states read from the database the first time the chain asks: a closed line, a menu or the
    département question never pays for the three queries a pool costs."""

    def __init__(self, session: Session, pools: set[str], now: datetime):
        self._session, self._pools, self._now = session, pools, now
        self._read: dict[str, PoolState] = {}

    def __getitem__(self, pool: str) -> PoolState:
        if pool not in self._pools:
            raise KeyError(pool)
        if pool not in self._read:
            ahead = self._session.info.get(POOLS_READ, {})
            self._read[pool] = ahead[pool] if pool in ahead else pool_state(self._session, pool, self._now)
        return self._read[pool]

    def __iter__(self):
        return iter(self._pools)

    def __len__(self) -> int:
        return len(self._pools)


def live_state(session: Session, line: Line, now: datetime) -> LiveState:
    pools = {line.pool} | {r.action.target for r in line.rules if r.action.target and r.action.kind.value == "queue"}
    return LiveState(_PoolsOnDemand(session, pools, now))


