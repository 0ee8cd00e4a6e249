"""Console pages for cases: relaying a call, the list of cases to analyse, a case, its notes, status and call-back."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.audit import record
from console.blueprint import db, now
from console.cases.access import (audit_read, call_to_relay, line_of, may_manage, readable_case, target_name,
                                  targets_for)
from console.cases.forms import RelayForm, read_note, read_relay, windows
from console.cases.words import case_row, case_view
from console.texts import t
from ivr.case_relay import NumberUnavailable, caller_number, ring_referent
from routing.callbacks import window_open
from store.case_callbacks import CaseCallbackRefused, case_pool, start_case_callback
from store.cases import add_note, calls_to_relay, case_list, open_case, set_status
from store.categories import category_of
from store.extension import directory
from store.models import CaseFile

RELAY_WITHIN = timedelta(hours=12)  # a listener's calls offered for relay on their list: today's shift


def _relay_page(call, line, form: RelayForm, status: int = 200):
    return render_template("console/cases_relay.html", call=call, line=line, form=form,
                           targets=targets_for(line, call.department), windows=windows(line)), status


def relay_form(call_ref: str):
    call, line = call_to_relay(call_ref)
    existing = db().scalar(select(CaseFile.id).where(CaseFile.call_id == call.id).limit(1))
    if existing is not None:
        flash("case.already_relayed")
        return redirect(url_for("cases.case_page", case_ref=existing))
    targets = targets_for(line, call.department)
    if request.method == "GET":
        classified = category_of(db(), call.id)
        form = RelayForm(target=targets[0].key if targets else "", category=classified.category if classified else "",
                         department=call.department or "")
        return _relay_page(call, line, form)
    form, facts = read_relay(request.form, line, targets)
    if facts is None:
        return _relay_page(call, line, form, 400)
    number = None
    if form.consent == "yes":
        try:
            number = caller_number(call.sid, call.caller_hash, call.caller_withheld)
        except NumberUnavailable as problem:
            form.errors["consent"] = t(f"case.number.{problem.code}")
            return _relay_page(call, line, form, 409)
    moment = now()
    try:
        case = open_case(db(), current_app.config, facts=facts, line_id=call.line_id, call_id=call.id,
                         department=form.department or call.department, language=call.language or line.language,
                         number=number, account=g.account, now=moment)
    except IntegrityError:  # relayed a moment ago from another page: that case stands
        db().rollback()
        return relay_form(call_ref)
    # The audit says what was relayed where and whether a number went with it, never the number.
    record(db(), g.account, "case.relay", (facts.target_kind, facts.target_slug), None,
           {"call": call.id, "caller_role": facts.caller_role, "number_attached": number is not None}, now=moment,
           detail=f"dossier {case.id}")
    db().commit()
    flash("case.relayed" if number else "case.relayed_no_number")
    return redirect(url_for("cases.case_page", case_ref=case.id))


def case_list_page():
    snapshot = directory.get(db(), now())
    status = request.args.get("status") or None
    cases = case_list(db(), g.account, snapshot.line_ids, status)
    rows = [case_row(case, line_of(case.line_id), target_name(case.target_kind, case.target_slug)) for case in cases]
    audit_read("case.list", None, f"{len(rows)} dossier(s) : " + ", ".join(str(case.id) for case in cases)[:300])
    to_relay = []
    if g.account.role == "listener" and g.account.listener_id is not None:
        to_relay = calls_to_relay(db(), g.account.listener_id, now() - RELAY_WITHIN)
    return render_template("console/cases_list.html", rows=rows, status=status or "", to_relay=to_relay)


def case_page(case_ref: str, note_error: str | None = None, status: int = 200):
    case, line = readable_case(case_ref)
    audit_read("case.read", (case.target_kind, case.target_slug), f"dossier {case.id}")
    view = case_view(db(), current_app.config, case, line, target_name(case.target_kind, case.target_slug))
    can_call = (may_manage(case) and view.callback_possible and g.account.listener_id is not None
                and line is not None and window_open(case.callback_window, line.schedule, now()))
    return render_template("console/cases_case.html", case=view, manage=may_manage(case), can_call=can_call,
                           has_phone=g.account.listener_id is not None, note_error=note_error), status


def add_note_page(case_ref: str):
    case, _ = readable_case(case_ref)
    text, problem = read_note(request.form)
    if problem:
        return case_page(case_ref, note_error=problem, status=400)
    moment = now()
    add_note(db(), current_app.config, case, text, g.account.email, moment)
    record(db(), g.account, "case.note", (case.target_kind, case.target_slug), now=moment, detail=f"dossier {case.id}")
    db().commit()
    flash("case.note_added")
    return redirect(url_for("cases.case_page", case_ref=case.id))


def status_page(case_ref: str):
    case, _ = readable_case(case_ref)
    if not may_manage(case):
        return redirect(url_for("cases.case_page", case_ref=case.id))
    moment = now()
    before = case.status
    if set_status(db(), case, request.form.get("status", ""), g.account.email, moment):
        record(db(), g.account, "case.status", (case.target_kind, case.target_slug), {"status": before},
               {"status": case.status}, now=moment, detail=f"dossier {case.id}")
        db().commit()
        flash(f"case.status_saved.{case.status}")
    return redirect(url_for("cases.case_page", case_ref=case.id))


def call_back_page(case_ref: str):
    """Ring the referent's own phone first; on their 1 the caller is dialled showing the line's number."""
    case, line = readable_case(case_ref)
    moment = now()
    if not may_manage(case) or line is None:
        flash("case.callback.refused.not_allowed")
        return redirect(url_for("cases.case_page", case_ref=case.id))
    if not window_open(case.callback_window, line.schedule, moment):
        flash("case.callback.refused.window")
        return redirect(url_for("cases.case_page", case_ref=case.id))
    try:
        attempt, listener = start_case_callback(db(), case, g.account, moment, line.queue)
    except CaseCallbackRefused as refused:
        db().rollback()
        flash(f"case.callback.refused.{refused.code}")
        return redirect(url_for("cases.case_page", case_ref=case.id))
    record(db(), g.account, "case.callback", (case.target_kind, case.target_slug), now=moment,
           detail=f"dossier {case.id}")
    attempt_id, phone = attempt.id, listener.phone
    db().commit()
    rung = ring_referent(attempt_id, phone, case_pool(case), line)
    flash("case.callback.ringing" if rung else "case.callback.failed")
    return redirect(url_for("cases.case_page", case_ref=case.id))
