"""Cases in the database: encrypted at rest, kept for their line's retention, in the caller's access export and
gone with an erasure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from store.case_callbacks import CaseCallbackRefused, start_case_callback
from store.cases import CaseFacts, Person, add_note, consented_number, open_case
from store.extension import database
from store.models import CallbackRequest, CaseFile, CaseNote, CaseStep, ConsoleAccount
from store.privacy import erase_number, export_number
from store.retention import purge
from tests.conftest import at_paris
from tests.support.cases import CALLER, PLATFORM, national_call, platform_coordinator

EVENING = at_paris(2026, 11, 24, 17, 15)
OTHER = "+33698765432"
FACTS = CaseFacts(target_kind="centre", target_slug="3977-94", caller_role="victim", since="years",
                  frequency="daily", category="negligence", people=(Person("accused", "aide à domicile"),),
                  summary="Personne laissée seule des journées entières.")


def relayed(app, clock, caller=CALLER, consent=True, note: str | None = None) -> int:
    call_id, _ = national_call(app, clock, EVENING, caller=caller)
    with app.app_context(), database.session() as session:
        account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == PLATFORM))
        case = open_case(session, app.config, facts=FACTS, line_id=_line_id(session), call_id=call_id,
                         department="94", language="fr", number=caller if consent else None, account=account,
                         now=clock.now)
        if note:
            add_note(session, app.config, case, note, PLATFORM, clock.now)
        session.commit()
        return case.id


def _line_id(session):
    from store.models import LineRow

    return session.scalar(select(LineRow.id).where(LineRow.slug == "3977"))


def counts(app) -> tuple[int, int, int]:
    with app.app_context(), database.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (CaseFile, CaseNote, CaseStep))


def test_people_summary_notes_and_number_are_ciphertext_in_the_database(app, clock):
    platform_coordinator(app)
    case_id = relayed(app, clock, note="Voisine inquiète, à recontacter.")
    with app.app_context(), database.session() as session:
        case = session.get(CaseFile, case_id)
        note = session.scalar(select(CaseNote))
        raw = " ".join([case.people_encrypted, case.summary_encrypted, case.number_encrypted, note.text_encrypted])
        assert "aide à domicile" not in raw and "seule" not in raw and "Voisine" not in raw and CALLER[3:] not in raw
        assert consented_number(app.config, case) == CALLER


def test_a_case_without_consent_cannot_be_called_back(app, clock):
    platform_coordinator(app)
    case_id = relayed(app, clock, consent=False)
    with app.app_context(), database.session() as session:
        case = session.get(CaseFile, case_id)
        account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == PLATFORM))
        try:
            start_case_callback(session, case, account, clock.now, None)
        except CaseCallbackRefused as refused:
            assert refused.code == "no_number"
        else:
            raise AssertionError("a case without a number was called back")
        assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 0


def test_retention_deletes_a_case_its_notes_and_steps_after_the_lines_retention_days(app, clock):
    platform_coordinator(app)
    relayed(app, clock, note="Note à effacer un jour.")
    assert counts(app) == (1, 1, 3)  # relayed, consent, note
    clock.now = EVENING + timedelta(days=364)
    purge(app)
    assert counts(app) == (1, 1, 3)
    clock.now = EVENING + timedelta(days=366)
    report = purge(app)
    assert report.cases_deleted == 1 and counts(app) == (0, 0, 0)


def test_a_case_still_being_worked_on_is_kept_past_its_relay_date(app, clock):
    platform_coordinator(app)
    case_id = relayed(app, clock)
    with app.app_context(), database.session() as session:
        add_note(session, app.config, session.get(CaseFile, case_id), "Toujours suivi.", PLATFORM,
                 EVENING + timedelta(days=300))
        session.commit()
    clock.now = EVENING + timedelta(days=400)
    assert purge(app).cases_deleted == 0
    clock.now = EVENING + timedelta(days=666)
    assert purge(app).cases_deleted == 1


def test_the_callers_access_export_includes_their_cases_with_and_without_a_number(app, clock):
    platform_coordinator(app)
    relayed(app, clock, note="Le référent a proposé un rendez-vous.")
    clock.now = EVENING + timedelta(hours=1)
    relayed(app, clock, consent=False)
    relayed(app, clock, caller=OTHER)  # someone else's
    exported = export_number(app, CALLER)
    assert len(exported["cases"]) == 2
    first, second = exported["cases"]
    assert first["relayed_to"] == "centre:3977-94" and first["number_kept_encrypted"] is True
    assert first["people"] == [{"who": "accused", "link": "aide à domicile"}]
    assert first["summary"] == "Personne laissée seule des journées entières."
    assert [n["text"] for n in first["notes"]] == ["Le référent a proposé un rendez-vous."]
    assert second["number_kept_encrypted"] is False and second["callback_window"] is None
    assert PLATFORM not in str(exported)  # who wrote the notes is the staff's data, not the caller's


def test_erasure_deletes_the_callers_cases_and_leaves_others(app, clock):
    platform_coordinator(app)
    relayed(app, clock, note="À effacer.")
    relayed(app, clock, consent=False)
    relayed(app, clock, caller=OTHER)
    report = erase_number(app, CALLER)
    assert report.cases_deleted == 2
    assert counts(app)[0] == 1 and export_number(app, CALLER)["cases"] == []
    assert len(export_number(app, OTHER)["cases"]) == 1
