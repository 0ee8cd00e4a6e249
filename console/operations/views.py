"""Console pages for call categories and nuisance callers: the call log, flags, category lists and the report."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.accounts.records import scope_allows
from console.audit import record
from console.blueprint import db, now, require_scope
from console.operations.call_log import call_log, call_row
from console.operations.categories import form_from_line, line_categories, read_form, save_categories
from console.operations.flags import FlagForm, flag_caller, flag_view, lift, read_flag_form
from routing.nuisance import MAX_FLAG_DAYS
from console.operations.report import build_report, read_period, report_csv, share_chart_svg
from console.overview import visible_lines
from store.categories import category_of, classify, talked_to_a_listener
from store.extension import directory
from store.flags import active_flag_for_call, flags_on_lines
from store.models import Call, CallerFlag


def _allowed(kind: str, slug: str) -> bool:
    return scope_allows(g.account, kind, slug)


def _lines_in_scope():
    """The snapshot, and the lines this account may see by their row id."""
    snapshot = directory.get(db(), now())
    return snapshot, {snapshot.line_ids[l.slug]: l for l in visible_lines(snapshot, _allowed) if l.slug in snapshot.line_ids}


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        abort(404)
    return int(raw)


def _call(call_ref: str):
    """The call and its line, 404 for a call that is not there, 403 outside the account's lines."""
    call = db().get(Call, _number(call_ref))
    snapshot = directory.get(db(), now())
    slug = next((s for s, i in snapshot.line_ids.items() if call is not None and i == call.line_id), None)
    line = snapshot.lines_by_slug.get(slug) if slug else None
    if line is None:
        abort(404)
    require_scope("line", line.slug)
    return call, line


def call_log_page():
    _, every_line = _lines_in_scope()
    chosen = request.args.get("line", "")
    if chosen:
        require_scope("line", chosen)
    lines = {i: l for i, l in every_line.items() if not chosen or l.slug == chosen}
    unclassified = request.args.get("unclassified") == "1"
    page = call_log(db(), lines, request.args.get("page", 1, type=int) or 1, unclassified)
    return render_template("console/call_log.html", page=page, lines=sorted(every_line.values(), key=lambda l: l.name),
                           chosen=chosen, unclassified=unclassified)


def _call_page(call: Call, line, flag_form: FlagForm | None = None, status: int = 200):
    moment = now()
    category = category_of(db(), call.id)
    expected = bool(db().scalar(select(talked_to_a_listener()).where(Call.id == call.id)))
    flag = active_flag_for_call(db(), call, moment)
    return render_template("console/call_log_call.html", call=call_row(call, category, line, expected), line=line,
                           current=category.category if category else "", flag=flag_view(flag, line, moment) if flag else None,
                           flag_form=flag_form or FlagForm(), withheld=call.caller_withheld,
                           flaggable=call.caller_hash is not None, max_days=MAX_FLAG_DAYS), status


def call_page(call_ref: str):
    call, line = _call(call_ref)
    return _call_page(call, line)


def classify_call(call_ref: str):
    call, line = _call(call_ref)
    chosen = next((c for c in line.categories if c.slug == request.form.get("category", "")), None)
    if chosen is None:
        abort(400)
    before, _ = classify(db(), call, chosen, now(), "console", account_id=g.account.id)
    record(db(), g.account, "category.classify", ("line", line.slug), {"category": before},
           {"category": chosen.label.fr}, now=now(), detail=f"appel {call.id}")
    db().commit()
    flash("category.saved")
    return redirect(url_for("operations.call_page", call_ref=call.id))


def flag_call(call_ref: str):
    call, line = _call(call_ref)
    if call.caller_hash is None:
        abort(400)  # the page offers no form: withheld (or no longer known) callers cannot be flagged
    moment = now()
    form, expires_at = read_flag_form(request.form, line.schedule.timezone, moment)
    if form.errors:
        db().rollback()
        return _call_page(call, line, form, 400)
    flag_caller(db(), g.account, line, call, form, expires_at, moment)
    db().commit()
    flash("flag.created")
    return redirect(url_for("operations.call_page", call_ref=call.id))


def flags_page():
    moment = now()
    _, lines = _lines_in_scope()
    flags = flags_on_lines(db(), list(lines), moment, include_ended=request.args.get("ended") == "1")
    return render_template("console/flags.html", flags=[flag_view(f, lines.get(f.line_id), moment) for f in flags],
                           ended=request.args.get("ended") == "1")


def lift_flag_page(flag_ref: str):
    flag = db().get(CallerFlag, _number(flag_ref))
    snapshot = directory.get(db(), now())
    slug = next((s for s, i in snapshot.line_ids.items() if flag is not None and i == flag.line_id), None)
    if flag is None or slug is None:
        abort(404)
    require_scope("line", slug)
    if lift(db(), g.account, snapshot.lines_by_slug[slug], flag, now()):
        db().commit()
        flash("flag.lifted")
    else:
        db().rollback()
        flash("flag.already_ended")
    if request.form.get("back") == "call" and flag.call_id is not None:
        return redirect(url_for("operations.call_page", call_ref=flag.call_id))
    return redirect(url_for("operations.flags_page"))


def line_categories_page(slug: str):
    require_scope("line", slug)
    row, categories = line_categories(db(), slug)
    line = directory.get(db(), now()).lines_by_slug.get(slug)
    if row is None or line is None:
        abort(404)
    if request.method == "GET":
        return render_template("console/categories.html", line=line, form=form_from_line(categories))
    form, typed = read_form(request.form)
    if form.errors:
        db().rollback()
        return render_template("console/categories.html", line=line, form=form), 400
    if save_categories(db(), g.account, row, typed, now()):
        db().commit()
        directory.invalidate()
        flash("categories.saved")
    else:
        db().rollback()
        flash("categories.unchanged")
    return redirect(url_for("operations.line_categories_page", slug=slug))


def _report():
    snapshot, lines = _lines_in_scope()
    chosen = request.args.get("line", "")
    if chosen:
        require_scope("line", chosen)
    selected = [l for l in lines.values() if not chosen or l.slug == chosen]
    period, problem = read_period(request.args.get("from"), request.args.get("to"), now())
    return build_report(db(), snapshot, selected, period), period, problem, chosen, lines


def category_report():
    report, period, problem, chosen, lines = _report()
    return render_template("console/categories_report.html", report=report, period=period, problem=problem,
                           chosen=chosen, lines=sorted(lines.values(), key=lambda l: l.name),
                           query=request.query_string.decode("latin-1"))


def category_report_csv():
    report, period, _, chosen, _ = _report()
    name = f"categories-{chosen or 'lignes'}-{period.first}-{period.last}.csv"
    return Response(report_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def category_report_svg():
    report, *_ = _report()
    return Response(share_chart_svg(report), mimetype="image/svg+xml")
