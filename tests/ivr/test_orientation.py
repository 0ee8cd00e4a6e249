"""Callers are oriented to the nearest local victim-support association once their département is known."""

from __future__ import annotations

import pytest

from directory_data.associations import build_association_directory
from directory_data.build import build_line
from directory_data.loader import DirectoryFiles, read_directory
from ivr.orientation import spoken_hours
from routing.chain import StepKind, decide
from routing.model import CallFacts, LiveState
from store.directory import load_documents
from store.extension import database, directory
from tests.conftest import at_paris

FV = "+33199000116"
TUESDAY_NIGHT = at_paris(2026, 11, 24, 21, 30)  # France Victimes is closed (9h-21h), every association too
AVF_94 = "Aide aux victimes du Val-de-Marne (association fictive)"


@pytest.fixture(scope="module")
def files() -> DirectoryFiles:
    return read_directory()


@pytest.fixture(scope="module")
def associations(files):
    return build_association_directory(files.associations)


def test_a_caller_from_94_hears_the_94_associations_name_number_and_hours(call):
    heard = call(FV, at=TUESDAY_NIGHT, presses=["", "94300#"])
    said = heard.said()
    assert "Pour connaître l'association d'aide aux victimes la plus proche de chez vous, tapez votre code postal" in said
    assert "Nous sommes actuellement fermés. Nous rouvrons demain à 9 heures." in said  # the line says so first
    assert (f"L'association d'aide aux victimes la plus proche de chez vous est : {AVF_94}. "
            "Son numéro : 01 99 00 50 94. Elle vous répond du lundi au vendredi de 9 heures à 12 heures 30 et "
            "de 13 heures 30 à 17 heures. Elle est fermée en ce moment et rouvre demain à 9 heures.") in said
    assert "Pour réécouter ces informations, tapez 1." in said
    assert said.endswith("Merci de votre appel. En cas de danger, appelez le 17 ou le 112. Au revoir.")
    assert heard.dialled == []


def test_key_1_reads_the_associations_details_again(call):
    heard = call(FV, at=TUESDAY_NIGHT, presses=["", "94300#", "1", "1"])
    assert heard.said().count("Son numéro : 01 99 00 50 94.") == 3
    assert heard.said().endswith("Au revoir.")


def test_a_caller_who_gives_no_postal_code_hears_the_closed_line_and_a_polite_end(call):
    said = call(FV, at=TUESDAY_NIGHT, presses=["", "#"]).said()
    assert "Nous sommes actuellement fermés." in said
    assert "association d'aide aux victimes la plus proche de chez vous est" not in said
    assert said.endswith("Au revoir.")


def test_an_invalid_postal_code_is_asked_again_then_the_association_is_read(call):
    said = call(FV, at=TUESDAY_NIGHT, presses=["", "99999#", "75011#"]).said()
    assert "Nous n'avons pas reconnu ce code postal." in said
    assert "Paris Aide aux Victimes (association fictive). Son numéro : 01 99 00 50 75." in said


def test_corsican_and_overseas_postal_codes_find_their_own_association(call):
    assert "Corse-du-Sud (association fictive)" in call(FV, at=TUESDAY_NIGHT, presses=["", "20000#"]).said()
    reunion = call(FV, at=TUESDAY_NIGHT, presses=["", "97400#"]).said()
    assert "La Réunion (association fictive)" in reunion
    assert "Elle vous répond du lundi au vendredi de 8 heures à 16 heures." in reunion


def test_an_english_caller_hears_the_details_in_english(call):
    said = call(FV, at=TUESDAY_NIGHT, presses=["9", "94300#"]).said()
    assert "The victim-support association nearest you is: " + AVF_94 in said
    assert "It answers Monday to Friday 9 am to 12:30 pm and 1:30 pm to 5 pm." in said
    assert "It is closed at the moment and opens again tomorrow at 9 am." in said


def test_the_association_is_the_one_of_the_callers_own_department_when_it_is_open(associations):
    chosen = associations.nearest("94", at_paris(2026, 11, 24, 10, 0))
    assert (chosen.association.slug, chosen.nearness, chosen.is_open) == ("avf-94", "department", True)


def test_when_the_department_is_closed_an_open_one_of_the_same_region_is_chosen(associations):
    saturday = at_paris(2026, 11, 28, 11, 0)  # Val-de-Marne closed, Paris open on Saturdays
    chosen = associations.nearest("94", saturday)
    assert (chosen.association.slug, chosen.nearness, chosen.is_open) == ("avf-75", "region", True)
    assert associations.nearest("94", saturday, open_only=True).association.slug == "avf-75"


def test_when_nothing_nearby_is_open_the_departments_own_is_named_but_never_dialled(associations):
    sunday = at_paris(2026, 11, 29, 11, 0)
    chosen = associations.nearest("94", sunday)
    assert (chosen.association.slug, chosen.is_open) == ("avf-94", False)
    assert chosen.status.reopens_at == at_paris(2026, 11, 30, 9, 0)
    assert associations.nearest("94", sunday, open_only=True) is None


def test_a_department_of_a_region_with_no_association_gets_none(associations):
    assert associations.nearest("29", at_paris(2026, 11, 24, 10, 0)) is None  # Brittany: none in the demo data
    assert associations.nearest("77", at_paris(2026, 11, 24, 10, 0)).nearness == "region"  # Île-de-France


def test_the_chain_asks_the_department_then_hands_off_to_the_open_association(files, associations):
    doc = next(d for d in files.lines if d["id"] == "france-victimes")
    line = build_line({**doc, "overflow": [{"when": [], "action": "association", "target": "handoff",
                                            "timeout": 25}, {"when": [], "action": "end"}]})
    now = at_paris(2026, 11, 24, 10, 0)
    asked = decide(line, CallFacts(), now, LiveState(), {}, associations=associations)
    assert asked.final_step.kind is StepKind.ASK_DEPARTMENT
    handed = decide(line, CallFacts(department="94", department_asked=True), now, LiveState(), {},
                    associations=associations)
    assert (handed.final_step.kind, handed.final_step.number) == (StepKind.ASSOCIATION, "+33199005094")
    assert "association avf-94 (same département, open)" in handed.explain()
    night = decide(line, CallFacts(department="94", department_asked=True), TUESDAY_NIGHT, LiveState(), {},
                   associations=associations)
    assert night.final_step.kind is StepKind.END  # a closed association is never dialled
    assert "no open association near department 94, skipped" in night.explain()


def test_a_line_that_hands_off_to_the_association_dials_it_and_the_association_hears_the_line(
        app, call, files):
    doc = next(d for d in files.lines if d["id"] == "france-victimes")
    changed = {**doc, "overflow": [{"when": [], "action": "association", "target": "handoff", "timeout": 25},
                                   {"when": ["forward_failed"], "action": "message", "prompt": "relay_unanswered"},
                                   {"when": [], "action": "end"}]}
    with app.app_context(), database.session() as session:
        load_documents(session, DirectoryFiles([changed if d["id"] == doc["id"] else d for d in files.lines],
                                               files.centres))
        session.commit()
        directory.invalidate()
    heard = call(FV, at=at_paris(2026, 11, 24, 10, 0), presses=["", "94000#"])
    assert f"Nous vous mettons en relation avec l'association {AVF_94}. Restez en ligne." in heard.said()
    assert heard.dialled == ["+33199005094"]
    assert heard.of("whisper") == ["Appel transféré par France Victimes 116 006."]

    busy = call(FV, at=at_paris(2026, 11, 24, 10, 5), presses=["", "94000#"], outcomes={"+33199005094": "busy"})
    assert "Le service vers lequel nous vous dirigions n'a pas pu répondre." in busy.said()


@pytest.mark.parametrize("hours, french, english", [
    ({"mon-fri": ["09:00-17:00"]}, "du lundi au vendredi de 9 heures à 17 heures", "Monday to Friday 9 am to 5 pm"),
    ({"mon-thu": ["09:00-17:00"], "fri": ["09:00-12:00"]},
     "du lundi au jeudi de 9 heures à 17 heures ; le vendredi de 9 heures à midi",
     "Monday to Thursday 9 am to 5 pm; Friday 9 am to noon"),
    ({"sat": ["10:00-12:30"]}, "le samedi de 10 heures à 12 heures 30", "Saturday 10 am to 12:30 pm"),
])
def test_hours_are_said_in_words(hours, french, english):
    from directory_data.build import build_schedule
    from directory_data.fields import Problems
    from directory_data.opening import check_hours

    schedule = build_schedule("Europe/Paris", check_hours(hours, "hours", Problems("x")), None)
    assert spoken_hours(schedule, "fr") == french
    assert spoken_hours(schedule, "en") == english


def test_the_demo_associations_are_fictitious_and_cover_the_demo_lines_departments(files):
    assert all(doc["fictitious"] for doc in files.associations)
    assert all("(association fictive)" in doc["name"] for doc in files.associations)
    covered = {doc["department"] for doc in files.associations}
    assert {"94", "75", "13", "2A", "974", "67", "68", "57"} <= covered  # the lines' and centres' areas


def test_among_closed_associations_the_one_reopening_soonest_is_named():
    from directory_data.build import build_schedule
    from routing.orientation import Association, AssociationDirectory

    def made(slug, department, hours):
        return Association(slug, slug, department, "+33199005999", build_schedule("Europe/Paris", hours, None))

    directory_ = AssociationDirectory(
        (made("late", "92", {"wed": ["14:00-17:00"]}), made("early", "93", {"wed": ["09:00-12:00"]})),
        {"92": "Île-de-France", "93": "Île-de-France", "94": "Île-de-France"},
    )
    chosen = directory_.nearest("94", at_paris(2026, 11, 24, 20, 0))  # a Tuesday evening
    assert (chosen.association.slug, chosen.nearness, chosen.is_open) == ("early", "region", False)
    assert directory_.nearest("94", at_paris(2026, 11, 25, 15, 0)).association.slug == "late"  # the open one
