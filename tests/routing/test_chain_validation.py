"""Overflow chains: the checks that reject chains which cannot work, and the routing decision walking them."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from directory_data.build import build_centre, build_line
from directory_data.fields import DATA_DIR, DirectoryError, Problems
from directory_data.lines import canonical_centre, canonical_line
from directory_data.loader import read_directory
from routing.chain import StepKind, decide
from routing.model import CallFacts, Centre, Line, LiveState, PoolState
from routing.validation import chain_problems, forwarding_loops
from schedules import Reason
from tests.conftest import at_paris

A, B, C = "+33199001001", "+33199001002", "+33199001003"
ROOM = "+33199001099"  # a listening room's phone, not a line
DUTY = "+33199001098"  # the duty phone used as emergency fallback
TUESDAY_10 = at_paris(2026, 11, 24, 10, 0)
TUESDAY_20 = at_paris(2026, 11, 24, 20, 0)
BASTILLE_DAY = at_paris(2026, 7, 14, 10, 0)  # a Tuesday, and a public holiday


def make_line(overflow: list[Any], slug: str = "a", number: str = A, **settings: Any) -> Line:
    # A forward to a number is named to callers: these chains are about where calls go, so each gets a name.
    overflow = [{"label": f"l'équipe {index}", **rule} if "forward" in rule and "-" not in str(rule["forward"])
                else rule for index, rule in enumerate(overflow)]
    raw = {
        "id": slug,
        "name": f"Ligne {slug}",
        "country": "FR",
        "numbers": [number],
        "timezone": "Europe/Paris",
        "greeting": "Bonjour.",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": {"country": "FR", "closes": True},
        "pool": "x",
        "overflow": overflow,
        **settings,
    }
    problems = Problems(f"{slug}.yaml")
    doc = canonical_line(raw, problems)
    assert problems.found == [], problems.found
    return build_line(doc)


def make_centre(departments: list[str], hours: str = "09:00-17:00") -> Centre:
    raw = {
        "id": "centre-94",
        "name": "Centre du Val-de-Marne",
        "network": "a",
        "departments": departments,
        "number": "+33199000094",
        "hours": {"mon-fri": hours},
        "holidays": {"country": "FR", "closes": True},
    }
    problems = Problems("centres.yaml")
    doc = canonical_centre(raw, "centres[0]", problems)
    assert problems.found == [], problems.found
    return build_centre(doc)


def messages(line: Line) -> list[tuple[int | None, str]]:
    return [(p.rule_index, p.message) for p in chain_problems(line)]


# --- chains that cannot work -------------------------------------------------------------------------------


def test_a_valid_chain_has_no_problems():
    line = make_line(
        [
            {"when": "closed", "message": "closed_now"},
            {"handoff": "department"},
            {"when": "open", "queue": True},
            {"when": ["open", "queue_length>=5"], "forward": ROOM},
            {"when": "forward_failed", "message": "all_listeners_busy"},
            {"end": "politely"},
        ],
        emergency_fallback=DUTY,
    )
    assert chain_problems(line) == []
    assert forwarding_loops([line]) == []


def test_the_shipped_lines_have_working_chains_and_no_loops(shipped_directory):
    lines = [build_line(doc) for doc in shipped_directory.lines]
    assert [p for line in lines for p in chain_problems(line)] == []
    assert forwarding_loops(lines) == []


def test_forward_to_the_lines_own_number_is_rejected():
    line = make_line([{"when": "open", "queue": True}, {"forward": A}])
    assert messages(line) == [(1, "forwards to the line's own number")]


def test_forward_to_another_number_of_the_line_is_rejected_too():
    line = make_line([{"forward": "01 99 00 10 04"}], numbers=[A, "+33199001004"])
    assert messages(line) == [(0, "forwards to the line's own number")]


def test_emergency_fallback_equal_to_the_lines_own_number_is_rejected():
    line = make_line([{"when": "open", "queue": True}], emergency_fallback=A)
    problems = chain_problems(line)
    assert [(p.key_path(), p.message) for p in problems] == [
        ("emergency_fallback", "the emergency fallback is the line's own number")
    ]


def test_two_lines_forwarding_to_each_other_are_reported_once_naming_both():
    a = make_line([{"when": "closed", "forward": B}], slug="a", number=A)
    b = make_line([{"when": "closed", "forward": A}], slug="b", number=B)
    loops = forwarding_loops([b, a])
    assert len(loops) == 1
    assert loops[0].line == "a"
    assert loops[0].key_path() == "overflow[0]"
    assert loops[0].message == "forwarding loop between lines: a → b → a"


def test_three_lines_in_a_circle_are_one_loop():
    a = make_line([{"forward": B}], slug="a", number=A)
    b = make_line([{"when": "open", "queue": True}, {"forward": C}], slug="b", number=B)
    c = make_line([{"forward": A}], slug="c", number=C)
    loops = forwarding_loops([a, b, c])
    assert [p.message for p in loops] == ["forwarding loop between lines: a → b → c → a"]


def test_lines_forwarding_onward_without_coming_back_are_no_loop():
    a = make_line([{"forward": B}], slug="a", number=A)
    b = make_line([{"forward": C}], slug="b", number=B)
    c = make_line([{"forward": ROOM}], slug="c", number=C)
    assert forwarding_loops([a, b, c]) == []


def test_a_loop_through_an_emergency_fallback_points_at_the_fallback():
    a = make_line([{"when": "open", "queue": True}], slug="a", number=A, emergency_fallback=B)
    b = make_line([{"forward": A}], slug="b", number=B)
    loops = forwarding_loops([a, b])
    assert [(p.line, p.key_path()) for p in loops] == [("a", "emergency_fallback")]


def test_an_end_without_condition_makes_every_later_rule_unreachable():
    line = make_line(
        [{"when": "open", "queue": True}, {"end": True}, {"forward": ROOM}, {"when": "closed", "message": "x"}]
    )
    unreachable = "can never be reached: an earlier rule always ends the call"
    assert messages(line) == [(2, unreachable), (3, unreachable)]


def test_end_when_open_and_end_when_closed_make_later_rules_unreachable():
    line = make_line([{"when": "open", "end": True}, {"when": "closed", "end": True}, {"forward": ROOM}])
    assert messages(line) == [(2, "can never be reached: an earlier rule always ends the call")]


def test_end_when_closed_makes_a_later_rule_for_holidays_unreachable():
    line = make_line([{"when": "closed", "end": True}, {"when": "closed:holiday", "forward": ROOM}])
    assert [index for index, _ in messages(line)] == [1]


def test_end_on_holidays_leaves_later_rules_for_other_closures_reachable():
    line = make_line([{"when": "closed:holiday", "end": True}, {"when": "closed", "forward": ROOM}, {"end": True}])
    assert chain_problems(line) == []


def test_end_when_the_queue_is_long_leaves_shorter_queues_reachable():
    line = make_line([{"when": "queue_length>=5", "end": True}, {"when": "queue_length>=3", "forward": ROOM},
                      {"when": "queue_length>=7", "forward": ROOM}])
    assert [index for index, _ in messages(line)] == [2]


def test_forward_failed_before_any_forward_is_rejected():
    line = make_line([{"when": "forward_failed", "message": "all_listeners_busy"}, {"forward": ROOM}])
    assert messages(line) == [(0, "waits for a failed forward, but no earlier rule dials anyone")]


def test_forward_failed_after_a_handoff_is_accepted():
    line = make_line([{"handoff": "department"}, {"when": "forward_failed", "message": "all_listeners_busy"}],
                     handoff_network="a")
    assert chain_problems(line) == []


def test_chain_problems_in_a_file_name_the_rule(tmp_path):
    root = tmp_path / "directory_data"
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = root / "lines" / "france-victimes.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("overflow:\n", "overflow:\n  - end: politely\n"), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(root)
    unreachable = "can never be reached: an earlier rule always ends the call"
    assert caught.value.problems == [
        f"directory_data/lines/france-victimes.yaml: overflow[{index}]: {unreachable}" for index in (1, 2, 3, 4, 5)
    ]


# --- the routing decision ----------------------------------------------------------------------------------

NOBODY = LiveState()


def pool(**state: int) -> LiveState:
    return LiveState(pools={"x": PoolState(**state)})


ONE_LISTENER = pool(logged_in=1, available=1)


def kinds(decision) -> list[StepKind]:
    return [step.kind for step in decision.steps]


def test_messages_before_a_holding_step_are_played_in_order():
    line = make_line([
        {"message": "welcome"},
        {"when": "closed", "message": "closed_now"},
        {"notify_email": True},
        {"message": {"fr": "Un instant.", "en": "One moment."}},
        {"forward": ROOM},
        {"message": "never_played"},
    ], after_hours_email="equipe@example.org")  # fmt: skip
    decision = decide(line, CallFacts(), TUESDAY_10, NOBODY, {})
    assert kinds(decision) == [StepKind.MESSAGE, StepKind.NOTIFY_EMAIL, StepKind.MESSAGE, StepKind.FORWARD]
    assert [step.rule_index for step in decision.steps] == [0, 2, 3, 4]
    assert decision.steps[0].action.prompt == "welcome"
    assert decision.steps[2].action.text.get("en") == "One moment."
    assert decision.final_step.number == ROOM and decision.next_rule == 5


def test_the_queue_is_skipped_when_no_listener_is_logged_in():
    line = make_line([{"when": "open", "queue": "x"}, {"when": "open", "forward": ROOM, "label": "la salle"}])
    decision = decide(line, CallFacts(), TUESDAY_10, NOBODY, {})
    assert kinds(decision) == [StepKind.FORWARD]
    assert "rule 1: pool x has no listener logged in, skipped" in decision.trace
    assert decision.explain().endswith("rule 2: forward to la salle")


def test_the_queue_is_taken_when_a_listener_is_logged_in():
    line = make_line([{"when": "open", "queue": "x"}, {"when": "open", "forward": ROOM}])
    decision = decide(line, CallFacts(), TUESDAY_10, ONE_LISTENER, {})
    assert kinds(decision) == [StepKind.QUEUE]
    assert decision.final_step.action.target == "x"


@pytest.mark.parametrize(
    ("condition", "state", "overflows"),
    [
        ("queue_length>=3", {"queue_length": 2}, False),
        ("queue_length>=3", {"queue_length": 3}, True),
        ("estimated_wait>=120", {"estimated_wait": 119}, False),
        ("estimated_wait>=120", {"estimated_wait": 120}, True),
    ],
)
def test_a_long_queue_or_wait_sends_callers_to_the_overflow_room(condition, state, overflows):
    line = make_line([{"when": condition, "forward": ROOM}, {"queue": "x"}])
    decision = decide(line, CallFacts(), TUESDAY_10, pool(logged_in=2, available=0, **state), {})
    assert kinds(decision) == ([StepKind.FORWARD] if overflows else [StepKind.QUEUE])


def test_closed_holiday_only_matches_public_holidays():
    line = make_line([
        {"when": "closed:holiday", "forward": "+33199001097", "label": "la permanence des jours fériés"},
        {"when": "closed", "forward": ROOM, "label": "la salle de nuit"},
    ])  # fmt: skip
    holiday = decide(line, CallFacts(), BASTILLE_DAY, NOBODY, {})
    assert holiday.status.reason is Reason.HOLIDAY
    assert holiday.final_step.number == "+33199001097"
    assert holiday.explain() == (
        "closed: public holiday Fête nationale, reopens Wed 2026-07-15 09:00 "
        "→ rule 1: forward to la permanence des jours fériés"
    )
    evening = decide(line, CallFacts(), TUESDAY_20, NOBODY, {})
    assert evening.final_step.number == ROOM
    assert evening.explain() == (
        "closed: outside opening hours, reopens Wed 2026-11-25 09:00 → rule 2: forward to la salle de nuit"
    )


def test_an_exhausted_chain_dials_the_emergency_fallback_then_ends_politely():
    line = make_line([{"when": "open", "queue": "x"}], emergency_fallback=DUTY)
    decision = decide(line, CallFacts(), TUESDAY_20, NOBODY, {})
    assert kinds(decision) == [StepKind.EMERGENCY_FALLBACK]
    assert decision.final_step.number == DUTY
    assert decision.trace[-1] == f"chain exhausted: emergency fallback {DUTY}"

    after_fallback = decide(line, CallFacts(forward_failed=True), TUESDAY_20, NOBODY, {}, start_at=decision.next_rule)
    assert kinds(after_fallback) == [StepKind.END]
    assert after_fallback.trace[-1] == "chain exhausted: final message"


def test_an_exhausted_chain_without_fallback_ends_politely_never_silently():
    line = make_line([{"when": "open", "queue": "x"}])
    assert kinds(decide(line, CallFacts(), TUESDAY_20, NOBODY, {})) == [StepKind.END]


def handoff_line() -> Line:
    return make_line([{"handoff": "department"}, {"when": "open", "forward": ROOM, "label": "la plateforme"}],
                     handoff_network="a")


def test_a_handoff_first_asks_the_caller_for_their_department():
    decision = decide(handoff_line(), CallFacts(), TUESDAY_10, NOBODY, {("a", "94"): make_centre(["94"])})
    assert kinds(decision) == [StepKind.ASK_DEPARTMENT]
    assert decision.final_step.rule_index == 0


def test_a_handoff_goes_to_the_open_centre_of_the_callers_department():
    centre = make_centre(["94"])
    decision = decide(handoff_line(), CallFacts(department="94", department_asked=True), TUESDAY_10, NOBODY,
                      {("a", "94"): centre})
    assert kinds(decision) == [StepKind.HANDOFF]
    assert decision.final_step.centre == centre and decision.final_step.number == "+33199000094"


def test_a_handoff_is_skipped_when_the_department_was_asked_but_is_unknown():
    decision = decide(handoff_line(), CallFacts(department_asked=True), TUESDAY_10, NOBODY,
                      {("a", "94"): make_centre(["94"])})
    assert kinds(decision) == [StepKind.FORWARD]
    assert "rule 1: department unknown, national route" in decision.trace


def test_a_handoff_is_skipped_when_no_centre_serves_the_department():
    decision = decide(handoff_line(), CallFacts(department="13", department_asked=True), TUESDAY_10, NOBODY,
                      {("a", "94"): make_centre(["94"])})
    assert kinds(decision) == [StepKind.FORWARD]
    assert "rule 1: no centre for department 13, national route" in decision.trace


def test_a_handoff_is_skipped_when_the_centre_is_closed():
    early_centre = make_centre(["94"], hours="09:00-09:30")
    decision = decide(handoff_line(), CallFacts(department="94", department_asked=True), TUESDAY_10, NOBODY,
                      {("a", "94"): early_centre})
    assert kinds(decision) == [StepKind.FORWARD]
    assert decision.explain() == (
        "open (weekly hours), closes Tue 2026-11-24 17:00 "
        "→ rule 1: centre Centre du Val-de-Marne closed: outside opening hours, reopens Wed 2026-11-25 09:00, "
        "national route → rule 2: forward to la plateforme"
    )


def test_a_network_with_every_centre_closed_is_known_without_asking_each_schedule_again():
    from routing.chain import network_has_open_centre

    night, later = at_paris(2026, 11, 24, 23, 30), at_paris(2026, 11, 25, 3, 0)
    closed = {("a", "94"): make_centre(["94"])}
    assert network_has_open_centre(closed, "a", night) is False
    assert network_has_open_centre(closed, "a", later) is False
    assert network_has_open_centre(closed, "a", at_paris(2026, 11, 25, 10, 0)) is True  # past the reopening
    # A coordinator's edit makes a new snapshot: its centres are asked afresh, never the old answer.
    always = {("a", "94"): make_centre(["94"], hours="22:00-06:00")}
    assert network_has_open_centre(always, "a", night) is True
