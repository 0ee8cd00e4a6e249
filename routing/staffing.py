"""Erlang C staffing: how many listeners a pool needs for a target service level, from arrivals and handle time."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Far beyond any helpline's hour; it only stops a search on absurd input (a rate of millions of calls).
MAX_LISTENERS = 1000


def erlang_b(servers: int, traffic: float) -> float:
    """Blocking probability of ``servers`` lines offered ``traffic`` erlangs.

    The recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)) never forms A^n or n!, so it stays exact
    where the textbook formula overflows (A = 500 erlangs, n = 600).
    """
    if servers < 0 or traffic < 0:
        raise ValueError("servers and traffic must not be negative")
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that a caller has to wait, with ``servers`` listeners and ``traffic`` erlangs offered.

    With no more listeners than erlangs the queue grows without end: every caller waits (1.0).
    """
    if traffic <= 0:
        return 0.0
    if servers <= traffic:
        return 1.0
    blocking = erlang_b(servers, traffic)
    return servers * blocking / (servers - traffic * (1 - blocking))


def service_level(servers: int, traffic: float, handle_seconds: float, target_seconds: float) -> float:
    """Share of callers answered within ``target_seconds``: 1 − C·e^(−(N − A)·T / AHT)."""
    if traffic <= 0:
        return 1.0
    if servers <= traffic:
        return 0.0
    waiting = erlang_c(servers, traffic)
    return 1.0 - waiting * math.exp(-(servers - traffic) * target_seconds / handle_seconds)


def average_speed_of_answer(servers: int, traffic: float, handle_seconds: float) -> float | None:
    """Mean wait in seconds over all callers, C·AHT / (N − A); None when the queue never empties."""
    if traffic <= 0:
        return 0.0
    if servers <= traffic:
        return None
    return erlang_c(servers, traffic) * handle_seconds / (servers - traffic)


def traffic_erlangs(calls_per_hour: float, handle_seconds: float) -> float:
    """Offered load: calls per second × seconds each call keeps a listener busy."""
    return calls_per_hour / 3600.0 * handle_seconds


@dataclass(frozen=True, slots=True)
class Advice:
    """How many listeners reach the target, and what that many would give."""

    listeners: int
    traffic: float  # erlangs
    service_level: float  # expected with that many listeners
    average_speed_of_answer: float | None  # seconds
    occupancy: float | None  # share of the listeners' time on calls


def listeners_needed(calls_per_hour: float, handle_seconds: float, target_seconds: float,
                     target_level: float) -> Advice:
    """The fewest listeners whose Erlang C service level reaches ``target_level`` (0–1); 0 with no calls."""
    if calls_per_hour < 0 or handle_seconds <= 0 or target_seconds < 0 or not 0 < target_level < 1:
        raise ValueError("rate ≥ 0, handle time > 0, target seconds ≥ 0 and 0 < target level < 1 are required")
    traffic = traffic_erlangs(calls_per_hour, handle_seconds)
    if traffic == 0:
        return Advice(0, 0.0, 1.0, 0.0, None)
    servers = max(1, math.floor(traffic) + 1)  # fewer cannot keep up at all
    while servers < MAX_LISTENERS and service_level(servers, traffic, handle_seconds, target_seconds) < target_level:
        servers += 1
    return Advice(servers, traffic, service_level(servers, traffic, handle_seconds, target_seconds),
                  average_speed_of_answer(servers, traffic, handle_seconds), traffic / servers)
