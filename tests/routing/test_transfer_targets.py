"""Where a listener of each shipped line may transfer a caller: decided from the directory, never typed."""

from __future__ import annotations

import pytest

from directory_data.associations import build_association_directory
from directory_data.build import build_centre, build_line
from directory_data.loader import read_directory
from directory_data.reference import load_departments, load_services
from routing.orientation import regions_of
from routing.transfer import TargetKind, TransferContext, find_target, transfer_targets
from tests.conftest import at_brussels, at_paris

TUESDAY_10 = at_paris(2026, 11, 24, 10, 0)  # every line open, the 94 centre and association open
TUESDAY_18 = at_paris(2026, 11, 24, 18, 0)  # the 94 centre (9h-17h) and its association closed
SATURDAY_11 = at_paris(2026, 11, 28, 11, 0)


@pytest.fixture(scope="module")
def directory():
    files = read_directory()
    lines = {doc["id"]: build_line(doc) for doc in files.lines}
    centres = {}
    for doc in files.centres:
        centre = build_centre(doc)
        for code in centre.departments:
            centres[(centre.network, code)] = centre
    associations = build_association_directory(files.associations)
    context = TransferContext(centres, associations, tuple(lines.values()), load_services(), load_departments())
    return lines, context


def targets(directory, slug, department, now):
    lines, context = directory
    return transfer_targets(lines[slug], department, now, context)


def labels(found, language="fr"):
    return [target.label.get(language) for target in found]


def test_3977_caller_from_94_can_be_put_through_to_their_centre_and_association_first(directory):
    found = targets(directory, "3977", "94", TUESDAY_10)
    assert [t.key for t in found[:2]] == ["centre:3977-94", "association:avf-94"]
    assert labels(found)[:2] == ["le centre du département 94, Val-de-Marne",
                                 "l'association Aide aux victimes du Val-de-Marne (association fictive)"]
    assert labels(found, "en")[0] == "the centre for département 94, Val-de-Marne"
    assert found[0].number == "+33199000094" and found[0].department == "94"
    assert found[0].ring_seconds == 25  # as long as the line's own hand-off rings the centre
    assert {t.ring_seconds for t in found[1:]} == {30}
    # Then the other French lines open now, the 3919 (the line names it), and the coordinator's interpreter.
    assert labels(found)[2:] == ["la ligne France Victimes 116 006", "la ligne Un premier pas, Val-de-Marne", "le 39 19, Violences Femmes Info",
                                 "le service d'interprétariat"]
    assert {t.kind for t in found} == set(TargetKind)


def test_3977_caller_who_gave_no_postal_code_has_no_centre_nor_association(directory):
    found = targets(directory, "3977", None, TUESDAY_10)
    assert {t.kind for t in found} == {TargetKind.LINE, TargetKind.SERVICE, TargetKind.NUMBER}


def test_closed_centres_associations_and_lines_are_not_offered(directory):
    found = targets(directory, "3977", "94", TUESDAY_18)
    # The 94 centre and association closed at 17h: the nearest open association is the region's (Paris, until 19h);
    # France Victimes answers until 21h; Un premier pas closed at 17h.
    assert [t.key for t in found if t.kind in (TargetKind.CENTRE, TargetKind.ASSOCIATION, TargetKind.LINE)] == [
        "association:avf-75", "line:france-victimes"]
    saturday = targets(directory, "france-victimes", "94", SATURDAY_11)
    assert [t.key for t in saturday if t.kind is TargetKind.LINE] == ["line:3977"]


def test_france_victimes_offers_the_local_association_then_the_119_and_3919(directory):
    found = targets(directory, "france-victimes", "75", TUESDAY_10)
    assert found[0].kind is TargetKind.ASSOCIATION and found[0].department == "75"
    assert not any(t.kind is TargetKind.CENTRE for t in found)  # France Victimes hands off to no centre network
    services = [t.label.get("fr") for t in found if t.kind is TargetKind.SERVICE]
    assert services == ["le 39 19, Violences Femmes Info", "le 119, Allô Enfance en Danger"]
    assert find_target(found, "number:+33199000110").label.get("en") == "the interpreting service"


def test_ecoute_violences_conjugales_offers_the_107_and_its_interpreter_only(directory):
    found = targets(directory, "ecoute-violences-conjugales", "BRU", at_brussels(2026, 11, 24, 10, 0))
    # No Belgian line but itself, no association in Belgium, and the 112 has no number a call can be put through to.
    assert [t.key for t in found] == ["service:be-107", "number:+3225550399"]
    assert labels(found) == ["le 107, Télé-Accueil", "le service d'interprétariat"]
    assert found[0].number == "+3225550107" and found[0].ring_seconds == 30  # as the after-hours forward rings it


def test_un_premier_pas_offers_the_3919_but_not_the_115_which_cannot_be_dialled(directory):
    found = targets(directory, "un-premier-pas", "94", TUESDAY_10)
    assert [t.key for t in found if t.kind is TargetKind.SERVICE] == ["service:fr-3919"]
    assert not any(t.kind is TargetKind.NUMBER for t in found)  # its file lists no transfer number
    assert not any(t.key == "line:un-premier-pas" for t in found)  # never the line itself


def test_a_number_is_offered_once_and_never_more_than_nine_targets(directory):
    lines, context = directory
    from dataclasses import replace

    from routing.model import Localized, TransferNumber

    line = lines["3977"]
    doubled = replace(line, transfer_numbers=(
        TransferNumber("+33199003919", Localized("le 39 19 encore")),  # the 3919's own number, already offered
        *(TransferNumber(f"+3319900392{i}", Localized(f"l'interprète {i}")) for i in range(9))))
    found = transfer_targets(doubled, "94", TUESDAY_10, context)
    assert len(found) == 9
    assert [t.number for t in found].count("+33199003919") == 1
    assert find_target(found, "number:+33199003919") is None
    assert find_target(found, "line:nowhere") is None
