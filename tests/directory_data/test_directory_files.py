"""The directory files (lines/*.yaml, centres.yaml): validation messages, atomic idempotent loads, prune, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from app import cli
from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory, write_directory
from directory_data.reference import load_departments
from schedules import Reason, status_at
from commands.database import load_directory_files
from store.directory import current_revision
from store.documents import export_documents
from store.snapshot import build_snapshot
from store.extension import database
from store.models import (
    Call,
    CentreDepartment,
    CentreRow,
    LineNumber,
    LineRow,
    OverflowRuleRow,
    WeeklyShift,
)
from tests.conftest import at_paris
from tests.support.directory_files import UPP, copy_directory, edit, problems_of

FV = "lines/france-victimes.yaml"
L3977 = "lines/3977.yaml"
CENTRES = "centres.yaml"
TUESDAY_1730 = at_paris(2026, 11, 24, 17, 30)  # after Un premier pas closes (17:00), before 18:00
EVERYTHING = 22  # 4 lines, 7 centres, 10 local associations and the coordinators' service number


# --- helpers -----------------------------------------------------------------------------------------------


def load(app, root: Path, prune: bool = False):
    with app.app_context():
        return load_directory_files(root, prune)


def run_cli(app, *args: str):
    # The `helpline` group is given explicitly: its commands live there, the test app is handed in as obj.
    return app.test_cli_runner().invoke(cli, args=list(args))


def row_ids(app) -> dict[str, list[int]]:
    with app.app_context(), database.session() as session:
        return {
            model.__tablename__: sorted(session.scalars(select(model.id)))
            for model in (LineRow, LineNumber, OverflowRuleRow, WeeklyShift, CentreRow, CentreDepartment)
        }


def revision(app) -> int:
    with app.app_context(), database.session() as session:
        return current_revision(session)


def status_of(app, slug: str, now: datetime):
    with app.app_context(), database.session() as session:
        snapshot = build_snapshot(session, now)
        if slug in snapshot.lines_by_slug:
            return status_at(snapshot.lines_by_slug[slug].schedule, now)
        centre = next(c for c in snapshot.centres.values() if c.slug == slug)
        return status_at(centre.schedule, now)


def exported(app):
    with app.app_context(), database.session() as session:
        return export_documents(session)


def without_source(docs: list[dict]) -> list[dict]:
    return [{k: v for k, v in doc.items() if k != "source_file"} for doc in docs]


# --- the shipped directory ---------------------------------------------------------------------------------


def test_shipped_directory_has_the_four_seed_lines_and_seven_3977_centres(shipped_directory):
    assert sorted(doc["id"] for doc in shipped_directory.lines) == [
        "3977", "ecoute-violences-conjugales", "france-victimes", "un-premier-pas",
    ]  # fmt: skip
    assert len(shipped_directory.centres) == 7
    assert {centre["network"] for centre in shipped_directory.centres} == {"3977"}


def test_every_departement_a_shipped_centre_serves_is_a_real_french_departement(shipped_directory):
    departments = load_departments()
    served = [code for centre in shipped_directory.centres for code in centre["departments"]]
    assert served, "the 3977 centres serve no département"
    for code in served:
        assert code in departments and departments[code].country == "FR", code
    assert len(served) == len(set(served)), "a département is served by two centres"


def test_shipped_directory_loads_into_an_empty_database(empty_app):
    report = load(empty_app, DATA_DIR)
    assert len(report.created) == EVERYTHING
    assert "line un-premier-pas" in report.created and "centre 3977-974" in report.created
    assert report.updated == report.removed == report.kept == []
    assert revision(empty_app) == 1
    assert status_of(empty_app, "un-premier-pas", at_paris(2026, 11, 24, 10, 0)).is_open


def test_check_command_accepts_the_shipped_directory(empty_app):
    result = run_cli(empty_app, "directory", "check", "--from", str(DATA_DIR))
    assert result.exit_code == 0, result.output
    assert "ok: 4 lines, 7 centres" in result.output


# --- idempotent and atomic loads ---------------------------------------------------------------------------


def test_loading_the_same_files_twice_changes_nothing(app):
    ids, before = row_ids(app), revision(app)
    report = load(app, DATA_DIR)
    assert len(report.unchanged) == EVERYTHING
    assert report.created == report.updated == report.removed == report.kept == []
    assert revision(app) == before, "an unchanged load must not make every worker rebuild its cache"
    assert row_ids(app) == ids


def test_loading_twice_through_the_cli_reports_everything_unchanged(app):
    result = run_cli(app, "directory", "load", "--from", str(DATA_DIR))
    assert result.exit_code == 0, result.output
    assert f"unchanged: {EVERYTHING}" in result.output
    assert "created" not in result.output and "updated" not in result.output


def test_new_hours_in_a_file_update_that_line_only_and_take_effect(app, tmp_path):
    assert not status_of(app, "un-premier-pas", TUESDAY_1730).is_open
    before = revision(app)
    root = copy_directory(tmp_path)
    edit(root, UPP, 'mon-fri: "09:00-17:00"', 'mon-fri: "09:00-18:00"')

    report = load(app, root)

    assert report.updated == ["line un-premier-pas"]
    assert len(report.unchanged) == EVERYTHING - 1
    assert report.created == report.removed == []
    assert revision(app) == before + 1
    status = status_of(app, "un-premier-pas", TUESDAY_1730)
    assert status.is_open and status.changes_at == at_paris(2026, 11, 24, 18, 0)
    assert not status_of(app, "un-premier-pas", at_paris(2026, 11, 24, 18, 0)).is_open


def test_new_hours_of_a_centre_take_effect(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, CENTRES, 'hours: {mon-fri: "09:00-17:00"}', 'hours: {mon-fri: "08:00-17:00"}')  # Val-de-Marne
    report = load(app, root)
    assert report.updated == ["centre 3977-94"]
    assert status_of(app, "3977-94", at_paris(2026, 11, 24, 8, 30)).is_open


def test_a_broken_file_stops_the_whole_load_and_the_database_keeps_the_old_directory(app, tmp_path):
    ids, before, documents = row_ids(app), revision(app), exported(app)
    root = copy_directory(tmp_path)
    edit(root, UPP, 'mon-fri: "09:00-17:00"', 'mon-fri: "09:00-18:00"')  # a good change...
    edit(root, FV, "timezone: Europe/Paris", "timezone: Europe/Lutece")  # ...next to a broken file

    with pytest.raises(DirectoryError) as caught:
        load(app, root)

    assert caught.value.problems == [
        "directory_data/lines/france-victimes.yaml: timezone: 'Europe/Lutece' is not a time zone (e.g. Europe/Paris)"
    ]
    assert not status_of(app, "un-premier-pas", TUESDAY_1730).is_open, "the good edit was half-applied"
    assert revision(app) == before
    assert row_ids(app) == ids
    assert exported(app) == documents


def test_cli_load_of_a_broken_directory_exits_1_names_every_problem_and_loads_nothing(app, tmp_path):
    before = revision(app)
    root = copy_directory(tmp_path)
    edit(root, UPP, 'mon-fri: "09:00-17:00"', 'mon-fri: "09:00-18:00"')
    edit(root, FV, "timezone: Europe/Paris", "timezone: Europe/Lutece")
    edit(root, L3977, 'emergency_fallback: "+33199003900"', 'emergency_fallback: "0800 PAS UN NUMERO"')

    result = run_cli(app, "directory", "load", "--from", str(root))

    assert result.exit_code == 1
    assert "Nothing was loaded: 2 problem(s)" in result.output
    assert "directory_data/lines/france-victimes.yaml: timezone: 'Europe/Lutece'" in result.output
    assert "directory_data/lines/3977.yaml: emergency_fallback: '0800 PAS UN NUMERO'" in result.output
    assert revision(app) == before
    assert not status_of(app, "un-premier-pas", TUESDAY_1730).is_open


# --- what a coordinator reads when a file is wrong ---------------------------------------------------------

CLOSURE = '\nclosures:\n  - {from: "2026-12-24T12:00", to: "2026-12-24T09:00", reason: formation}\n'
LUNCH_RULE = 'overflow:\n  - when: "closed:lunch"\n    end: true\n'

MISTAKES = {
    "bad YAML syntax gives the line": (
        UPP, "name: Un premier pas, Val-de-Marne", "name: [Un premier pas",
        "directory_data/lines/un-premier-pas.yaml: line 8: not valid YAML",
    ),
    "unknown setting": (
        UPP, "danger_notice: true", "danger_notice: true\nopening_hours: 9-17",
        "directory_data/lines/un-premier-pas.yaml: opening_hours: unknown setting",
    ),
    "bad phone number": (
        UPP, 'numbers: ["+33199009494"]', 'numbers: ["+33199009494", "01 23"]',
        "directory_data/lines/un-premier-pas.yaml: numbers[1]: '01 23' is not a phone number",
    ),
    "bad time zone": (
        UPP, "timezone: Europe/Paris", "timezone: Paris",
        "directory_data/lines/un-premier-pas.yaml: timezone: 'Paris' is not a time zone",
    ),
    "hours written 9h-17h": (
        UPP, 'mon-fri: "09:00-17:00"', 'mon-fri: "9h-17h"',
        "directory_data/lines/un-premier-pas.yaml: hours.mon-fri: '9h-17h' is not a time range like 09:00-17:00",
    ),
    "unknown holiday subdivision": (
        UPP, "holidays: {country: FR, closes: true}", 'holidays: {country: FR, subdivision: "94", closes: true}',
        "directory_data/lines/un-premier-pas.yaml: holidays.subdivision: '94' is not a subdivision of FR",
    ),
    "misspelt holiday setting": (
        UPP, "holidays: {country: FR, closes: true}", "holidays: {country: FR, close: false}",
        "directory_data/lines/un-premier-pas.yaml: holidays.close: unknown setting",
    ),
    "closure ending before it starts": (
        UPP, "alternatives: [fr-3919, fr-115]\n", "alternatives: [fr-3919, fr-115]" + CLOSURE,
        "directory_data/lines/un-premier-pas.yaml: closures[0].to: must be after from",
    ),
    "unknown alternative service": (
        UPP, "alternatives: [fr-3919, fr-115]", "alternatives: [fr-3920, fr-115]",
        "directory_data/lines/un-premier-pas.yaml: alternatives[0]: unknown service 'fr-3920'",
    ),
    "forward to an unknown service": (
        L3977, 'forward: "+33199003901"', "forward: fr-3978",
        "directory_data/lines/3977.yaml: overflow[2].forward: 'fr-3978' is neither a known service nor a phone number",
    ),
    "forward to garbage": (
        L3977, 'forward: "+33199003901"', 'forward: "la plateforme"',
        "directory_data/lines/3977.yaml: overflow[2].forward: 'la plateforme' is neither a known service nor a phone",
    ),
    "forward to a service that cannot be dialled": (
        L3977, 'forward: "+33199003901"', "forward: fr-115",
        "directory_data/lines/3977.yaml: overflow[2].forward: service 'fr-115' has no number that can be dialled",
    ),
    "rule with two actions": (
        UPP, "    queue: un-premier-pas\n", "    queue: un-premier-pas\n    end: true\n",
        "directory_data/lines/un-premier-pas.yaml: overflow[0]: needs exactly one action",
    ),
    "unknown condition": (
        UPP, "  - when: open\n    queue:", "  - when: lunchtime\n    queue:",
        "directory_data/lines/un-premier-pas.yaml: overflow[0].when[0]: unknown condition 'lunchtime'",
    ),
    "queue_length without threshold": (
        UPP, "  - when: open\n    queue:", "  - when: [open, queue_length]\n    queue:",
        "directory_data/lines/un-premier-pas.yaml: overflow[0].when[1]: queue_length needs a threshold",
    ),
    "closed for an unknown reason": (
        UPP, "overflow:\n", LUNCH_RULE,
        "directory_data/lines/un-premier-pas.yaml: overflow[0].when[0]: unknown reason 'lunch' for closed",
    ),
    "number of another line": (
        UPP, 'numbers: ["+33199009494"]', 'numbers: ["+33199000116"]',
        "directory_data/lines/un-premier-pas.yaml: numbers[0]: +33199000116 already belongs to line france-victimes",
    ),
    "id of another line": (
        UPP, "id: un-premier-pas", "id: france-victimes",
        "directory_data/lines/un-premier-pas.yaml: id: 'france-victimes' is already used by "
        "directory_data/lines/france-victimes.yaml",
    ),
    "centre serving an unknown département": (
        CENTRES, 'departments: ["94"]', 'departments: ["20"]',
        "directory_data/centres.yaml: centres[0].departments[0]: unknown département or province '20'",
    ),
    "two centres serving one département": (
        CENTRES, 'departments: ["75"]', 'departments: ["94"]',
        "directory_data/centres.yaml: centres[1].departments[0]: 94 is already served by 3977-94",
    ),
    "centre without a network": (
        CENTRES, '    network: "3977"\n    departments: ["94"]', '    departments: ["94"]',
        "directory_data/centres.yaml: centres[0].network: required",
    ),
    "hand-off to a network without centres": (
        L3977, 'handoff_network: "3977"', 'handoff_network: "3977-bis"',
        "directory_data/lines/3977.yaml: handoff_network: no centre belongs to network '3977-bis'",
    ),
    "forward to the line's own number": (
        UPP, 'forward: "+33199009495"', 'forward: "+33199009494"',
        "directory_data/lines/un-premier-pas.yaml: overflow[1]: forwards to the line's own number",
    ),
    "emergency fallback to the line's own number": (
        UPP, 'emergency_fallback: "+33199009400"', 'emergency_fallback: "01 99 00 94 94"',
        "directory_data/lines/un-premier-pas.yaml: emergency_fallback: the emergency fallback is the line's own",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_is_reported_with_its_file_and_key_path(tmp_path, mistake):
    relative, old, new, expected = mistake
    root = copy_directory(tmp_path)
    edit(root, relative, old, new)
    problems = problems_of(root)
    assert any(problem.startswith(expected) for problem in problems), problems
    assert len(problems) == 1, problems


def test_a_loop_between_two_lines_names_both_files_rule_and_lines(tmp_path):
    root = copy_directory(tmp_path)
    edit(root, UPP, 'forward: "+33199009495"', 'forward: "+33199000116"')
    edit(root, FV, 'forward: "+33199000101"', 'forward: "+33199009494"')
    assert problems_of(root) == [
        "directory_data/lines/france-victimes.yaml: overflow[1]: forwarding loop between lines: "
        "france-victimes → un-premier-pas → france-victimes"
    ]


def test_every_problem_of_one_run_is_reported_across_files(tmp_path):
    root = copy_directory(tmp_path)
    edit(root, UPP, "timezone: Europe/Paris", "timezone: Europe/Lutece")
    edit(root, UPP, "alternatives: [fr-3919, fr-115]", "alternatives: [fr-3919, fr-116]")
    edit(root, L3977, 'numbers: ["+33199003977"]', 'numbers: ["+33199000108"]')  # France Victimes' second
    edit(root, L3977, "  - when: [open, forward_failed]", "  - timeout: 5\n    when: [open, forward_failed]")
    edit(root, CENTRES, 'departments: ["94"]', 'departments: ["94", "99"]')
    problems = problems_of(root)
    assert sorted(problems) == sorted([
        "directory_data/lines/un-premier-pas.yaml: timezone: 'Europe/Lutece' is not a time zone (e.g. Europe/Paris)",
        "directory_data/lines/un-premier-pas.yaml: alternatives[1]: unknown service 'fr-116'",
        "directory_data/lines/3977.yaml: overflow[3].timeout: only forward and handoff ring for a time",
        "directory_data/centres.yaml: centres[0].departments[1]: unknown département or province '99'",
        "directory_data/lines/france-victimes.yaml: numbers[1]: +33199000108 already belongs to line 3977",
    ])  # fmt: skip


def test_problems_name_the_files_of_the_directory_actually_read(tmp_path):
    root = copy_directory(tmp_path, "helpline-files")
    edit(root, UPP, 'numbers: ["+33199009494"]', 'numbers: ["+33199000116"]')
    edit(root, CENTRES, 'departments: ["94"]', 'departments: ["99"]')
    assert sorted(problems_of(root)) == [
        "helpline-files/centres.yaml: centres[0].departments[0]: unknown département or province '99'",
        "helpline-files/lines/un-premier-pas.yaml: numbers[0]: +33199000116 already belongs to line france-victimes",
    ]


# --- moving numbers and départements between lines and centres ---------------------------------------------


def test_a_number_moved_to_a_line_loaded_earlier_is_loaded(app, tmp_path):
    root = copy_directory(tmp_path)
    # 3977.yaml is written before un-premier-pas.yaml: the number must be free by then.
    edit(root, L3977, 'numbers: ["+33199003977"]', 'numbers: ["+33199003977", "+33199009494"]')
    edit(root, UPP, 'numbers: ["+33199009494"]', 'numbers: ["+33199009490"]')
    report = load(app, root)
    assert sorted(report.updated) == ["line 3977", "line un-premier-pas"]
    with app.app_context(), database.session() as session:
        snapshot = build_snapshot(session, TUESDAY_1730)
    assert snapshot.line_for("+33199009494").slug == "3977"
    assert snapshot.line_for("+33199009490").slug == "un-premier-pas"


def test_a_departement_moved_to_a_centre_listed_earlier_is_loaded(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, CENTRES, 'departments: ["94"]', 'departments: ["94", "75"]')
    edit(root, CENTRES, 'departments: ["75"]', 'departments: ["92"]')
    report = load(app, root)
    assert sorted(report.updated) == ["centre 3977-75", "centre 3977-94"]
    with app.app_context(), database.session() as session:
        snapshot = build_snapshot(session, TUESDAY_1730)
    assert snapshot.centres[("3977", "75")].slug == "3977-94"
    assert snapshot.centres[("3977", "92")].slug == "3977-75"


def test_departements_listed_out_of_order_load_once_then_stay_unchanged(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, CENTRES, 'departments: ["67", "68"]', 'departments: ["68", "67"]')
    assert load(app, root).updated == []
    assert len(load(app, root).unchanged) == EVERYTHING


def test_an_unquoted_holiday_subdivision_loads_once_then_stays_unchanged(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, CENTRES, 'subdivision: "57"', "subdivision: 57")
    assert load(app, root).updated == []
    assert status_of(app, "3977-57", at_paris(2026, 12, 26, 10, 0)).reason is Reason.HOLIDAY


# --- prune -------------------------------------------------------------------------------------------------


def record_call(app, line_slug: str, sid: str = "CA" + "0" * 32) -> None:
    with app.app_context(), database.session() as session:
        line_id = session.scalar(select(LineRow.id).where(LineRow.slug == line_slug))
        session.add(Call(sid=sid, line_id=line_id, started_at=TUESDAY_1730))
        session.commit()


def call_line_id(app, sid: str = "CA" + "0" * 32):
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.line_id).where(Call.sid == sid))


def test_a_line_removed_from_the_files_is_kept_without_prune(app, tmp_path):
    root = copy_directory(tmp_path)
    (root / UPP).unlink()
    before = revision(app)
    report = load(app, root)
    assert report.kept == ["line un-premier-pas"]
    assert report.removed == []
    assert revision(app) == before
    assert status_of(app, "un-premier-pas", at_paris(2026, 11, 24, 10, 0)).is_open


def test_cli_load_says_how_to_delete_a_kept_line(app, tmp_path):
    root = copy_directory(tmp_path)
    (root / UPP).unlink()
    result = run_cli(app, "directory", "load", "--from", str(root))
    assert result.exit_code == 0, result.output
    assert "kept (not in the files; use --prune to delete): line un-premier-pas" in result.output


def test_prune_deletes_a_removed_line_and_its_calls_keep_existing_without_it(app, tmp_path):
    record_call(app, "un-premier-pas")
    assert call_line_id(app) is not None
    root = copy_directory(tmp_path)
    (root / UPP).unlink()
    before = revision(app)

    result = run_cli(app, "directory", "load", "--from", str(root), "--prune")

    assert result.exit_code == 0, result.output
    assert "removed: line un-premier-pas" in result.output
    assert revision(app) == before + 1
    with app.app_context(), database.session() as session:
        assert session.scalar(select(LineRow).where(LineRow.slug == "un-premier-pas")) is None
        assert session.scalar(select(LineNumber).where(LineNumber.e164 == "+33199009494")) is None
        assert build_snapshot(session, TUESDAY_1730).line_for("+33199009494") is None
        assert session.scalar(select(Call).where(Call.sid == "CA" + "0" * 32)) is not None
    assert call_line_id(app) is None


def test_prune_deletes_a_removed_centre(app, tmp_path):
    root = copy_directory(tmp_path)
    text = (root / CENTRES).read_text(encoding="utf-8")
    start = text.index("  - id: 3977-2a")
    end = text.index("  - id: 3977-974")
    (root / CENTRES).write_text(text[:start] + text[end:], encoding="utf-8")
    assert load(app, root).kept == ["centre 3977-2a"]
    report = load(app, root, prune=True)
    assert report.removed == ["centre 3977-2a"]
    with app.app_context(), database.session() as session:
        assert ("3977", "2A") not in build_snapshot(session, TUESDAY_1730).centres


def test_a_mistyped_directory_with_prune_deletes_nothing(app, tmp_path):
    ids = row_ids(app)
    result = run_cli(app, "directory", "load", "--from", str(tmp_path / "directory_dta"), "--prune")
    assert result.exit_code == 1
    assert "no line files here" in result.output
    assert row_ids(app) == ids


def test_a_line_renamed_with_prune_hands_its_number_to_the_new_line(app, tmp_path):
    record_call(app, "un-premier-pas")
    root = copy_directory(tmp_path)
    edit(root, UPP, "id: un-premier-pas", "id: premier-pas-94")
    report = load(app, root, prune=True)
    assert report.created == ["line premier-pas-94"]
    assert report.removed == ["line un-premier-pas"]
    with app.app_context(), database.session() as session:
        assert build_snapshot(session, TUESDAY_1730).line_for("+33199009494").slug == "premier-pas-94"
    assert call_line_id(app) is None


def test_a_number_still_held_by_a_kept_line_is_refused_and_nothing_is_loaded(app, tmp_path):
    ids, before = row_ids(app), revision(app)
    root = copy_directory(tmp_path)
    edit(root, UPP, "id: un-premier-pas", "id: premier-pas-94")
    edit(root, FV, "daily: \"09:00-21:00\"", "daily: \"08:00-21:00\"")
    with pytest.raises(DirectoryError) as caught:
        load(app, root)
    assert caught.value.problems == [
        "directory_data/lines/un-premier-pas.yaml: numbers[0]: +33199009494 still belongs to line un-premier-pas, "
        "which is not in the files (load with --prune to delete it)"
    ]
    assert row_ids(app) == ids and revision(app) == before
    assert not status_of(app, "france-victimes", at_paris(2026, 11, 24, 8, 30)).is_open


def test_a_departement_still_served_by_a_kept_centre_is_refused_and_nothing_is_loaded(app, tmp_path):
    ids = row_ids(app)
    root = copy_directory(tmp_path)
    text = (root / CENTRES).read_text(encoding="utf-8")
    start, end = text.index("  - id: 3977-2a"), text.index("  - id: 3977-974")
    (root / CENTRES).write_text(text[:start] + text[end:], encoding="utf-8")
    edit(root, CENTRES, 'departments: ["13"]', 'departments: ["13", "2A"]')
    with pytest.raises(DirectoryError) as caught:
        load(app, root)
    assert caught.value.problems == [
        "directory_data/centres.yaml: centres[4].departments[1]: 2A is still served by centre 3977-2a, "
        "which is not in the files (load with --prune to delete it)"
    ]
    assert row_ids(app) == ids
    assert load(app, root, prune=True).removed == ["centre 3977-2a"]
    with app.app_context(), database.session() as session:
        assert build_snapshot(session, TUESDAY_1730).centres[("3977", "2A")].slug == "3977-13"


# --- export ------------------------------------------------------------------------------------------------


def test_export_then_read_gives_back_the_shipped_documents(app, shipped_directory, tmp_path):
    root = tmp_path / "exported"
    result = run_cli(app, "directory", "export", "--to", str(root))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "lines").iterdir()) == sorted(
        doc["source_file"] for doc in shipped_directory.lines
    )
    again = read_directory(root)
    assert without_source(again.lines) == without_source(shipped_directory.lines)
    assert again.centres == shipped_directory.centres


def test_loading_an_export_changes_nothing(app, tmp_path):
    root = tmp_path / "exported"
    write_directory(exported(app), root)
    ids, before = row_ids(app), revision(app)
    report = load(app, root)
    assert len(report.unchanged) == EVERYTHING
    assert report.updated == report.created == report.kept == []
    assert row_ids(app) == ids and revision(app) == before


def test_export_writes_hours_as_a_person_would(app, tmp_path):
    root = tmp_path / "exported"
    write_directory(exported(app), root)
    upp = yaml.safe_load((root / UPP).read_text(encoding="utf-8"))
    assert upp["hours"] == {"mon-fri": ["09:00-17:00"]}
    assert yaml.safe_load((root / L3977).read_text(encoding="utf-8"))["hours"] == {
        "mon-fri": ["09:00-19:00"], "sat-sun": ["09:00-13:00", "14:00-19:00"],
    }  # fmt: skip
    assert yaml.safe_load((root / FV).read_text(encoding="utf-8"))["hours"] == {"daily": ["09:00-21:00"]}
    centres = yaml.safe_load((root / CENTRES).read_text(encoding="utf-8"))["centres"]
    assert {c["id"]: c["hours"] for c in centres}["3977-57"] == {"mon-thu": ["09:00-17:00"], "fri": ["09:00-12:00"]}
    # Settings come in the order a file is written in, the chain last.
    assert list(upp)[:3] == ["id", "name", "country"] and list(upp)[-1] == "overflow"


def test_every_kind_of_rule_survives_an_export(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, L3977, "overflow:\n", """overflow:
  - when: "closed:holiday"
    message: {fr: "Joyeuse fête.", en: "Happy holiday."}
  - when: [open, "queue_length >= 3", "estimated_wait>=120"]
    forward: "+33199003901"
    label: {fr: "l'équipe de renfort", en: "the back-up team"}
    timeout: 15
  - when: closed
    notify_email: true
  - when: closed
    callback: true
""")
    edit(root, L3977, "department_retries: 2", "department_retries: 0\nafter_hours_email: equipe@example.org\n"
                                               "hold_music: https://media.example.org/attente.mp3")
    files = read_directory(root)
    load(app, root)
    out = tmp_path / "exported"
    write_directory(exported(app), out)
    assert without_source(read_directory(out).lines) == without_source(files.lines)
    assert len(load(app, out).unchanged) == EVERYTHING


def test_a_forward_to_a_number_needs_words_for_callers_in_every_language(tmp_path):
    # Callers hear "Nous vous mettons en relation avec <label>": no label would be "avec ." and a French-only
    # label would be read to English callers.
    root = copy_directory(tmp_path / "none")
    edit(root, L3977, '    label: {fr: "la plateforme nationale", en: "the national team"}\n', "")
    with pytest.raises(DirectoryError, match=r"overflow\[2\]\.label: a forward to a number needs a label"):
        read_directory(root)
    root = copy_directory(tmp_path / "french")
    edit(root, L3977, '{fr: "la plateforme nationale", en: "the national team"}', "la plateforme nationale")
    with pytest.raises(DirectoryError, match=r"overflow\[2\]\.label: has no 'en' words"):
        read_directory(root)


def test_a_line_cannot_name_another_countrys_service(tmp_path):
    root = copy_directory(tmp_path)
    edit(root, "lines/ecoute-violences-conjugales.yaml", "alternatives: [be-107, be-112]", "alternatives: [be-107, fr-112]")
    with pytest.raises(DirectoryError, match=r"alternatives\[1\]: service 'fr-112' is not a service of BE"):
        read_directory(root)


def test_a_line_without_quick_exit_key_keeps_it_off_through_export(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, UPP, 'quick_exit_key: "*"', "quick_exit_key: null")
    assert load(app, root).updated == ["line un-premier-pas"]
    out = tmp_path / "exported"
    write_directory(exported(app), out)
    assert next(d for d in read_directory(out).lines if d["id"] == "un-premier-pas")["quick_exit_key"] is None
    assert len(load(app, out).unchanged) == EVERYTHING


# --- closures and time zones -------------------------------------------------------------------------------


def test_a_closure_written_without_time_zone_is_in_the_line_time_zone_and_exported_in_it(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, UPP, "alternatives: [fr-3919, fr-115]\n",
         "alternatives: [fr-3919, fr-115]\nclosures:\n"
         "  - {from: \"2026-11-24T12:00\", to: \"2026-11-25T09:30\", reason: journée de formation}\n")
    edit(root, CENTRES, 'timezone: Indian/Reunion\n', 'timezone: Indian/Reunion\n    closures:\n'
         '      - {from: "2026-11-24T08:00", to: "2026-11-24T12:00", reason: réunion d\'équipe}\n')
    files = read_directory(root)
    upp = next(d for d in files.lines if d["id"] == "un-premier-pas")
    assert upp["closures"] == [
        {"from": "2026-11-24T12:00:00+01:00", "to": "2026-11-25T09:30:00+01:00", "reason": "journée de formation"}
    ]
    assert load(app, root).updated == ["line un-premier-pas", "centre 3977-974"]

    status = status_of(app, "un-premier-pas", at_paris(2026, 11, 24, 12, 0))
    assert not status.is_open and status.reason is Reason.CLOSURE and status.detail == "journée de formation"
    assert status.reopens_at == at_paris(2026, 11, 25, 9, 30)
    assert status_of(app, "un-premier-pas", at_paris(2026, 11, 24, 11, 59)).is_open
    # 08:00 in Réunion is 05:00 in Paris: the centre's own time zone, not the server's or the line's.
    assert status_of(app, "3977-974", at_paris(2026, 11, 24, 8, 30)).reason is Reason.CLOSURE
    assert status_of(app, "3977-974", at_paris(2026, 11, 24, 9, 0)).is_open

    out = tmp_path / "exported"
    write_directory(exported(app), out)
    written = yaml.safe_load((out / UPP).read_text(encoding="utf-8"))["closures"]
    assert written == [
        {"from": "2026-11-24T12:00:00+01:00", "to": "2026-11-25T09:30:00+01:00", "reason": "journée de formation"}
    ]
    centres = yaml.safe_load((out / CENTRES).read_text(encoding="utf-8"))["centres"]
    assert next(c for c in centres if c["id"] == "3977-974")["closures"][0]["from"] == "2026-11-24T08:00:00+04:00"
    assert len(load(app, out).unchanged) == EVERYTHING


def test_a_closure_written_in_utc_is_given_back_in_the_line_time_zone(tmp_path):
    root = copy_directory(tmp_path)
    edit(root, UPP, "alternatives: [fr-3919, fr-115]\n",
         "alternatives: [fr-3919, fr-115]\nclosures:\n"
         "  - {from: 2026-07-14 06:00:00+00:00, to: 2026-07-15 06:00:00Z, reason: pont}\n")
    upp = next(d for d in read_directory(root).lines if d["id"] == "un-premier-pas")
    assert upp["closures"] == [
        {"from": "2026-07-14T08:00:00+02:00", "to": "2026-07-15T08:00:00+02:00", "reason": "pont"}
    ]


def test_a_closure_at_a_time_skipped_by_the_clock_change_loads_once_then_stays_unchanged(app, tmp_path):
    root = copy_directory(tmp_path)
    closure = '  - {from: "2026-03-29T02:30", to: "2026-03-29T12:00", reason: maintenance}\n'
    edit(root, FV, "after_hours_email:", f"closures:\n{closure}after_hours_email:")
    fv = next(d for d in read_directory(root).lines if d["id"] == "france-victimes")
    # 02:30 does not exist that night in Paris: the closure starts at the instant the clocks show 03:30.
    assert fv["closures"][0]["from"] == "2026-03-29T03:30:00+02:00"
    assert load(app, root).updated == ["line france-victimes"]
    assert len(load(app, root).unchanged) == EVERYTHING


# --- hours -------------------------------------------------------------------------------------------------


def test_a_line_open_around_the_clock_is_written_00_00_to_24_00(app, tmp_path):
    root = copy_directory(tmp_path)
    edit(root, FV, 'daily: "09:00-21:00"', 'daily: "00:00-24:00"')
    assert load(app, root).updated == ["line france-victimes"]
    assert status_of(app, "france-victimes", at_paris(2026, 11, 24, 3, 0)).is_open
    out = tmp_path / "exported"
    write_directory(exported(app), out)
    assert yaml.safe_load((out / FV).read_text(encoding="utf-8"))["hours"] == {"daily": ["00:00-24:00"]}
    assert len(load(app, out).unchanged) == EVERYTHING


def test_hours_starting_where_they_end_are_refused(tmp_path):
    root = copy_directory(tmp_path)
    edit(root, FV, 'daily: "09:00-21:00"', 'daily: "09:00-09:00"')
    assert problems_of(root) == [
        "directory_data/lines/france-victimes.yaml: hours.daily: '09:00-09:00' is not a time range like 09:00-17:00"
    ]


def test_callback_email_and_retention_settings_are_read_and_checked(tmp_path):
    from directory_data.build import build_line
    from directory_data.fields import Problems
    from directory_data.lines import canonical_line

    raw = yaml.safe_load((DATA_DIR / "lines" / "3977.yaml").read_text())
    raw.update({"email": {"on_callback_request": False, "daily_digest": True}, "retention_days": 90,
                "after_hours_email": "referents@example.org",
                "callback": {"windows": ["morning", "evening"], "max_attempts": 4, "retry_minutes": 45}})
    problems = Problems("3977.yaml")
    line = build_line(canonical_line(raw, problems))
    assert problems.found == []
    assert line.email.on_callback_request is False and line.retention_days == 90
    assert line.callback.windows == ("morning", "evening") and line.callback.max_attempts == 4
    raw.update({"email": {"on_callback": True}, "retention_days": 2, "callback": {"windows": ["night"]}})
    problems = Problems("3977.yaml")
    canonical_line(raw, problems)
    assert "3977.yaml: email.on_callback: unknown email setting" in problems.found
    assert "3977.yaml: retention_days: must be a whole number from 7 to 3650" in problems.found
    assert any(p.startswith("3977.yaml: callback.windows: must list windows") for p in problems.found)
