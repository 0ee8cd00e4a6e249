"""Finding a call to relay or a case to read, with who may do so, and the audit of every read."""

from __future__ import annotations

from flask import abort, current_app, g, request
from sqlalchemy import select

from console.blueprint import db, now
from console.cases.forms import Target
from routing.model import Line
from store.accounts import scope_allows
from store.audit import record
from store.cases import may_read
from store.extension import database, directory
from store.models import Call, CaseFile, QueuedCaller

# Who may change a case (notes aside): its centre's people and the national line's staff, not the relaying listener.
MANAGERS = ("admin", "coordinator", "referent")


def number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        abort(404)
    return int(raw)


def line_of(line_id: int | None) -> Line | None:
    snapshot = directory.get(db(), now())
    slug = next((s for s, i in snapshot.line_ids.items() if i == line_id), None) if line_id else None
    return snapshot.lines_by_slug.get(slug) if slug else None


def took_the_call(call: Call) -> bool:
    """A listener's account relays only a call their listener was bridged to."""
    listener_id = g.account.listener_id
    return listener_id is not None and db().scalar(
        select(QueuedCaller.id).where(QueuedCaller.call_id == call.id, QueuedCaller.bridged_to == listener_id)
        .limit(1)) is not None


def call_to_relay(call_ref: str) -> tuple[Call, Line]:
    """The call and its line; 404 for no such call, 403 for an account that may not relay it."""
    call = db().get(Call, number(call_ref))
    line = line_of(call.line_id) if call is not None else None
    if call is None or line is None:
        abort(404)
    role = g.account.role
    allowed = (role in ("admin", "coordinator") and scope_allows(g.account, "line", line.slug)) or \
              (role == "listener" and took_the_call(call))
    if not allowed:
        abort(403)
    return call, line


def targets_for(line: Line, department: str | None) -> list[Target]:
    """Where this line relays: the centres of its hand-off network (3977), else the local associations that take
    cases by referral (116 006); the caller's département's first."""
    snapshot = directory.get(db(), now())
    if line.handoff_network:
        centres = {c.slug: c for (network, _), c in snapshot.centres.items() if network == line.handoff_network}
        serving = snapshot.centres.get((line.handoff_network, department or ""))
        found = [Target("centre", c.slug, c.name) for c in sorted(centres.values(), key=lambda c: c.name)]
        first = serving.slug if serving else None
    else:
        associations = snapshot.associations.associations
        found = [Target("association", a.slug, a.name) for a in sorted(associations, key=lambda a: a.name)]
        nearest = snapshot.associations.nearest(department, now()) if department else None
        first = nearest.association.slug if nearest else None
    return sorted(found, key=lambda target: target.slug != first)


def target_name(kind: str, slug: str) -> str:
    snapshot = directory.get(db(), now())
    if kind == "centre":
        return next((c.name for c in snapshot.centres.values() if c.slug == slug), slug)
    return next((a.name for a in snapshot.associations.associations if a.slug == slug), slug)


def readable_case(case_ref: str) -> tuple[CaseFile, Line | None]:
    """The case if this account may read it; 404 otherwise, whether it exists or not."""
    case = db().get(CaseFile, number(case_ref))
    line = line_of(case.line_id) if case is not None else None
    if case is None or not may_read(g.account, case, line.slug if line else None):
        abort(404)
    return case, line


def may_manage(case: CaseFile) -> bool:
    return g.account.role in MANAGERS


def audit_read(action: str, target: tuple[str, str] | None, detail: str) -> None:
    """Every read of a case is in the audit log before it is shown; written in its own short transaction (a page
    that reads keeps its read-only session, which never holds SQLite's write lock). A form shown again after a
    POST writes it in the request's own transaction, which already holds that lock."""
    if request.method not in ("GET", "HEAD"):
        record(db(), g.account, action, target, detail=detail, now=now())
        db().commit()
        return
    with database.session() as session:
        record(session, g.account, action, target, detail=detail, now=current_app.config["CLOCK"]())
        session.commit()
