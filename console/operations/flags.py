"""Flagging the caller of a call from the console: the form's checks, the audit, and the flags' words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.audit import record
from console.texts import t
from routing.model import Line
from routing.nuisance import MAX_FLAG_DAYS, FlagAction, expiry_problem
from store.flags import create_flag, lift_flag
from store.models import Call, CallerFlag, ConsoleAccount

MAX_REASON = 200
ACTIONS = tuple(action.value for action in FlagAction)


@dataclass
class FlagForm:
    action: str = FlagAction.MESSAGE_THEN_END.value
    until: str = ""  # the last day the flag applies, "2026-12-24", in the line's time zone
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FlagView:
    id: int
    line_name: str
    action: str
    until: str
    reason: str
    who: str
    active: bool
    ended: str  # "levé par …" / "expiré" for ended flags


def read_flag_form(values: Mapping[str, str], timezone: str, now: datetime) -> tuple[FlagForm, datetime | None]:
    """The form as typed and, when valid, the moment the flag ends: the end of its last day, in the line's zone."""
    form = FlagForm(action=values.get("action", ""), until=values.get("until", "").strip()[:10],
                    reason=" ".join(values.get("reason", "").split()))
    if form.action not in ACTIONS:
        form.errors["action"] = t("flag.action_missing")
        form.action = FlagAction.MESSAGE_THEN_END.value
    if not form.reason:
        form.errors["reason"] = t("flag.reason_missing")
    elif len(form.reason) > MAX_REASON:
        form.errors["reason"] = t("flag.reason_too_long", n=MAX_REASON)
    expires_at = None
    try:
        last_day = date.fromisoformat(form.until) if form.until else None
    except ValueError:
        last_day = None
        form.errors["until"] = t("flag.until_invalid")
    if last_day is not None:
        expires_at = datetime.combine(last_day + timedelta(days=1), time(0), ZoneInfo(timezone))
    if "until" not in form.errors:
        problem = expiry_problem(expires_at, now)
        if problem:
            form.errors["until"] = t(f"flag.until_{problem}", days=MAX_FLAG_DAYS)
    return form, expires_at if not form.errors else None


def flag_caller(session: Session, account: ConsoleAccount, line: Line, call: Call, form: FlagForm,
                expires_at: datetime, now: datetime) -> CallerFlag:
    flag = create_flag(session, call=call, action=FlagAction(form.action), reason=form.reason, expires_at=expires_at,
                       now=now, created_by=account.email, account_id=account.id)
    # The audit names the call the caller was flagged from, never the number nor its hash.
    record(session, account, "flag.create", ("line", line.slug), None,
           {"action": form.action, "expires_at": expires_at.isoformat(), "reason": form.reason}, now=now,
           detail=f"drapeau {flag.id} : appelant de l'appel {call.id}")
    return flag


def lift(session: Session, account: ConsoleAccount, line: Line, flag: CallerFlag, now: datetime) -> bool:
    before = {"action": flag.action, "expires_at": flag.expires_at.isoformat(), "reason": flag.reason}
    if not lift_flag(session, flag, now, account.email):
        return False
    record(session, account, "flag.lift", ("line", line.slug), before, {"lifted_at": now.isoformat()}, now=now,
           detail=f"drapeau {flag.id}")
    return True


def flag_view(flag: CallerFlag, line: Line | None, now: datetime) -> FlagView:
    zone = ZoneInfo(line.schedule.timezone if line else "Europe/Paris")
    last_day = (flag.expires_at.astimezone(zone) - timedelta(seconds=1)).strftime("%Y-%m-%d")
    active = flag.lifted_at is None and flag.expires_at > now
    if flag.lifted_at is not None:
        ended = t("flag.lifted_by", who=flag.lifted_by or "—", at=flag.lifted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
    else:
        ended = "" if active else t("flag.expired")
    return FlagView(flag.id, line.name if line else "—", t(f"flag.action.{flag.action}"), last_day, flag.reason,
                    flag.created_by or "—", active, ended)
