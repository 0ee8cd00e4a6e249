"""Pure queue rules: who may take a caller, in which order, the estimated wait, what is announced."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from routing.queueing import (Candidate, PoolSettings, Strategy, WaitingCaller, announcement, can_take,
                              estimated_wait, match, order_listeners)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def listener(id, idle_minutes_ago=None, offered_minutes_ago=None, languages=("fr",), skills=()):
    idle = None if idle_minutes_ago is None else T0 - timedelta(minutes=idle_minutes_ago)
    offered = None if offered_minutes_ago is None else T0 - timedelta(minutes=offered_minutes_ago)
    return Candidate(id, languages, skills, idle, offered)


def test_longest_idle_listener_comes_first():
    ordered = order_listeners(Strategy.LONGEST_IDLE, [listener(1, 5), listener(2, 30), listener(3, 12)])
    assert [l.id for l in ordered] == [2, 3, 1]


def test_round_robin_takes_turns_by_who_was_offered_longest_ago():
    ordered = order_listeners(Strategy.ROUND_ROBIN, [listener(1, 50, 1), listener(2, 5, 20), listener(3, 1, None)])
    assert [l.id for l in ordered] == [3, 2, 1]


def test_language_must_match_and_skills_restrict_only_known_caller_types():
    english = WaitingCaller(1, "en", None)
    author = WaitingCaller(2, "fr", "author")
    assert not can_take(listener(1, languages=("fr",)), english)
    assert can_take(listener(1, languages=("fr", "en")), english)
    assert not can_take(listener(1, skills=("victim",)), author)
    assert can_take(listener(1, skills=()), author)
    assert can_take(listener(1, skills=("victim",)), WaitingCaller(3, "fr", None))


def test_each_listener_is_offered_one_caller_oldest_caller_first():
    pairs = match(Strategy.LONGEST_IDLE, [WaitingCaller(10, "fr", None), WaitingCaller(11, "fr", None)],
                  [listener(1, 5), listener(2, 30)])
    assert [(c.id, [l.id for l in ls]) for c, ls in pairs] == [(10, [2]), (11, [1])]


def test_ring_several_rings_n_listeners_but_a_callback_rings_only_one():
    listeners = [listener(i, 10 * i) for i in range(1, 6)]
    pairs = match(Strategy.RING_SEVERAL, [WaitingCaller(10, "fr", None)], listeners, ring_several=3)
    assert [l.id for l in pairs[0][1]] == [5, 4, 3]
    pairs = match(Strategy.RING_SEVERAL, [WaitingCaller(10, "fr", None, callback=True)], listeners, ring_several=3)
    assert len(pairs[0][1]) == 1


def test_pairs_come_from_listeners_no_other_caller_needs_and_a_callback_gets_one():
    callers = [WaitingCaller(10, "fr", None), WaitingCaller(11, "fr", None)]
    listeners = [listener(i, 10 * i) for i in range(1, 4)]
    pairs = match(Strategy.LONGEST_IDLE, callers, listeners, pair=True)
    assert [(c.id, [l.id for l in ls]) for c, ls in pairs] == [(10, [3, 1]), (11, [2])]  # caller 11 is never kept waiting
    pairs = match(Strategy.LONGEST_IDLE, callers, listeners[:2], pair=True)
    assert [(c.id, [l.id for l in ls]) for c, ls in pairs] == [(10, [2]), (11, [1])]
    english = [listener(1, 30, languages=("fr", "en")), listener(2, 20), listener(3, 10, languages=("en",))]
    pairs = match(Strategy.LONGEST_IDLE, [WaitingCaller(12, "en", None)], english, pair=True)
    assert [l.id for l in pairs[0][1]] == [1, 3]  # the second must speak the caller's language too
    pairs = match(Strategy.LONGEST_IDLE, [WaitingCaller(13, "fr", None, callback=True)], listeners, pair=True)
    assert len(pairs[0][1]) == 1  # a callback rings one listener: two people never dial the same caller back


def test_a_caller_no_listener_can_take_does_not_block_the_next():
    pairs = match(Strategy.LONGEST_IDLE, [WaitingCaller(10, "en", None), WaitingCaller(11, "fr", None)], [listener(1, 5)])
    assert [(c.id, [l.id for l in ls]) for c, ls in pairs] == [(11, [1])]


def test_estimated_wait_shares_the_callers_ahead_between_staffed_listeners():
    assert estimated_wait(position=1, staffed=2, available=1, handle_seconds=600) == 0
    assert estimated_wait(position=1, staffed=1, available=0, handle_seconds=600) == 300
    assert estimated_wait(position=3, staffed=1, available=0, handle_seconds=600) == 1500
    assert estimated_wait(position=4, staffed=2, available=0, handle_seconds=600) == 900


def test_announcements_only_improve_and_head_can_be_silent():
    settings = PoolSettings()
    first = announcement(settings, position=3, wait_seconds=400, best_position=None, best_wait=None)
    assert (first.position, first.wait_minutes) == (3, 7)
    worse = announcement(settings, 4, 500, first.best_position, first.best_wait)
    assert (worse.position, worse.wait_minutes) == (None, None)
    better = announcement(settings, 2, 200, worse.best_position, worse.best_wait)
    assert (better.position, better.wait_minutes) == (2, 4)
    quiet_head = announcement(PoolSettings(announce_to_head=False), 1, 0, 2, 4)
    assert quiet_head.position is None
