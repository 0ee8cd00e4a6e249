"""Cost of one routing decision, ``routing.chain.decide``, against ``schedules.status_at`` alone.

What is measured
    1,000 lines built with ``directory_data.build.build_line`` from variants of the shipped seed lines'
    canonical documents (distinct ids and numbers; 8 weekly-hours patterns including split days, 24/7 and
    shifts across midnight; holidays FR, FR closed or not, BE, Alsace 6AE, Moselle 57 or none; 0 to 3 dated
    closures in the year; chains of 4 to 7 rules, about half of them starting with a département hand-off)
    and 101 centres with ``build_centre``, one per French département but 975, each with its
    département's time zone and holiday calendar. The documents pass
    ``directory_data.loader.validate_documents`` first.

    Then ``--triples`` (line, instant, facts, live state, start_at) tuples are drawn with a fixed seed:
    instants spread over 2026 (uniformly, plus nights, and the FR, BE and Alsace public holidays and the
    lines' closures on purpose); facts with no département yet, a département with an open or closed
    centre, an unknown one, a withheld caller, a failed forward resuming the chain after its rule; live
    states empty, staffed or saturated. The categories reached are printed (status reasons, final steps).

    After one untimed warm-up pass (which fills the per-process day and holiday caches, as a running
    worker's are), each call is timed alone with time.perf_counter_ns over ``--rounds`` passes,
    alternating ``decide(...)`` and ``status_at(line.schedule, now)`` on the same tuples; the garbage
    collector stays on. Printed: median, p90, p99 and mean in µs per call for both, the cold (first pass)
    median of decide, and the decide/status_at ratio of medians.

Target
    median decide < 100 µs.

Run from the repository root:  python benchmarks/routing_decision.py [--triples 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._routing_documents import YEAR, centre_documents, line_documents  # noqa: E402
from directory_data.build import build_centre, build_line  # noqa: E402
from directory_data.loader import read_directory, validate_documents  # noqa: E402
from routing.chain import decide  # noqa: E402
from routing.model import CallFacts, LiveState, PoolState  # noqa: E402
from schedules import status_at  # noqa: E402
from schedules.holiday_calendar import holiday_names  # noqa: E402

SEED = 20260101


# --- what is decided -------------------------------------------------------------------------------------


def special_days() -> list[date]:
    days = set()
    for country, subdivision in (("FR", None), ("FR", "6AE"), ("BE", None)):
        days.update(holiday_names(country, subdivision, YEAR))
    return sorted(days)


def instants(rng: random.Random, line_doc: dict, holidays: list[date]) -> datetime:
    start = datetime(YEAR, 1, 1, tzinfo=timezone.utc)
    pick = rng.random()
    if pick < 0.15:  # a public holiday, at an hour most lines would be open
        day = rng.choice(holidays)
        return datetime(day.year, day.month, day.day, rng.choice((10, 15, 20)), rng.randrange(60), tzinfo=ZoneInfo(line_doc["timezone"]))
    if pick < 0.25 and line_doc["closures"]:  # inside one of the line's closures
        closure = rng.choice(line_doc["closures"])
        return datetime.fromisoformat(closure["from"]) + timedelta(minutes=rng.randrange(1, 200))
    if pick < 0.35:  # a night
        return start + timedelta(days=rng.randrange(365), hours=rng.choice((0, 1, 2, 3, 4)), minutes=rng.randrange(60))
    return start + timedelta(seconds=rng.randrange(365 * 86400))


def build_triples(count: int, rng: random.Random, lines, line_docs, centre_codes):
    holidays = special_days()
    empty = LiveState()
    triples = []
    for _ in range(count):
        index = rng.randrange(len(lines))
        line, doc = lines[index], line_docs[index]
        now = instants(rng, doc, holidays)
        pick = rng.random()
        start_at = 0
        if pick < 0.30:
            facts = CallFacts()
        elif pick < 0.60:  # the caller typed a postal code: known département (a few have no centre)
            code = rng.choice(centre_codes) if rng.random() < 0.95 else "975"
            facts = CallFacts(department=code, department_asked=True)
        elif pick < 0.70:
            facts = CallFacts(department_asked=True)  # gave up: national route
        elif pick < 0.85:
            facts = CallFacts(caller_withheld=True, language="en")
        else:  # a forward failed: resume after the first dialling rule
            dialling = [i for i, r in enumerate(line.rules) if r.action.kind.value in ("forward", "handoff")]
            start_at = dialling[0] + 1 if dialling else 0
            facts = CallFacts(forward_failed=True, department_asked=True)
        live_pick = rng.random()
        if live_pick < 0.5:
            live = empty
        else:
            pool = PoolState(logged_in=3, available=1) if live_pick < 0.8 else PoolState(3, 0, 6, 300)
            live = LiveState(MappingProxyType({line.pool: pool}))
        triples.append((line, now, facts, live, start_at))
    return triples


# --- timing ------------------------------------------------------------------------------------------------


def time_decide(triples, centres) -> list[int]:
    clock = time.perf_counter_ns
    spent = []
    append = spent.append
    for line, now, facts, live, start_at in triples:
        started = clock()
        decide(line, facts, now, live, centres, start_at)
        append(clock() - started)
    return spent


def time_status(triples) -> list[int]:
    clock = time.perf_counter_ns
    spent = []
    append = spent.append
    for line, now, _, _, _ in triples:
        schedule = line.schedule
        started = clock()
        status_at(schedule, now)
        append(clock() - started)
    return spent


def timer_overhead() -> int:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(20000):
        started = clock()
        samples.append(clock() - started)
    return int(statistics.median(samples))


def figures(samples: list[int]) -> tuple[float, float, float, float]:
    ordered = sorted(samples)
    n = len(ordered)
    return (ordered[n // 2] / 1000, ordered[int(n * 0.90)] / 1000, ordered[min(n - 1, int(n * 0.99))] / 1000,
            sum(ordered) / n / 1000)  # fmt: skip


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=20000, help="(line, instant, facts) tuples (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over them (default 3)")
    args = parser.parse_args()
    if not 100 <= args.triples <= 200000 or not 1 <= args.rounds <= 10:
        parser.error("keep it bounded: 100-200000 triples, 1-10 rounds")
    return args


def build_world(count: int, rng: random.Random):
    """The validated lines, the centres by (network, département) and ``count`` tuples to decide."""
    seeds = read_directory().lines
    line_docs = line_documents(seeds, rng)
    centre_docs = centre_documents(rng)
    problems = validate_documents(line_docs, centre_docs)
    if problems:
        raise SystemExit("generated documents are invalid:\n" + "\n".join(problems[:20]))
    lines = [build_line(doc) for doc in line_docs]
    centres = {}
    for doc in centre_docs:
        centre = build_centre(doc)
        for code in centre.departments:
            centres[(centre.network, code)] = centre
    centre_codes = sorted(code for _, code in centres)
    return lines, centres, build_triples(count, rng, lines, line_docs, centre_codes)


def print_categories(triples, centres) -> list[str]:
    """Print the share of each status reason and final step reached; return each tuple's case: "open",
    "closed" or "centre" (a centre's schedule was consulted)."""
    reasons, finals, handoffs = Counter(), Counter(), 0
    cases = []
    for line, now, facts, live, start_at in triples:
        decision = decide(line, facts, now, live, centres, start_at)
        reasons[decision.status.reason.value] += 1
        finals[decision.final_step.kind.value] += 1
        consulted = any("centre" in t for t in decision.trace) or decision.final_step.kind.value == "handoff"
        handoffs += consulted
        cases.append("centre" if consulted else "open" if decision.status.is_open else "closed")
    print("  line status: " + ", ".join(f"{k} {100 * v / len(triples):.0f}%" for k, v in reasons.most_common()))
    print("  final step: " + ", ".join(f"{k} {100 * v / len(triples):.0f}%" for k, v in finals.most_common()))
    print(f"  a centre's schedule consulted (hand-off with a known département): {100 * handoffs / len(triples):.0f}%")
    return cases


def print_figures(name: str, samples: list[int]) -> None:
    median, p90, p99, mean = figures(samples)
    print(f"{name:<32}{median:>9.1f}{p90:>9.1f}{p99:>9.1f}{mean:>9.1f}{len(samples):>9}")


def main() -> None:
    args = parse_args()
    rng = random.Random(SEED)
    built_at = time.perf_counter()
    lines, centres, triples = build_world(args.triples, rng)
    built_seconds = time.perf_counter() - built_at

    rule_counts = Counter(len(line.rules) for line in lines)
    print(f"routing_decision: Python {sys.version.split()[0]}; {len(lines)} lines "
          f"({sum(1 for line in lines if line.handoff_network)} with hand-off; rules per line "
          f"{', '.join(f'{k}: {v}' for k, v in sorted(rule_counts.items()))}), {len(centres)} centres, "
          f"{len(triples)} (line, instant, facts) tuples over {YEAR}; built and validated in {built_seconds:.1f} s")

    cold = time_decide(triples, centres)  # the warm-up pass, timed for information
    time_status(triples)
    cases = print_categories(triples, centres)

    decide_ns: list[int] = []
    status_ns: list[int] = []
    for _ in range(args.rounds):
        gc.collect()
        decide_ns += time_decide(triples, centres)
        gc.collect()
        status_ns += time_status(triples)
    overhead = timer_overhead()

    print()
    print(f"{'per call, µs':<32}{'median':>9}{'p90':>9}{'p99':>9}{'mean':>9}{'calls':>9}")
    print_figures("decide (warm)", decide_ns)
    print_figures("status_at alone (warm)", status_ns)
    print_figures("decide (cold: first pass)", cold)
    by_case = {}
    for index, ns in enumerate(decide_ns):
        by_case.setdefault(cases[index % len(triples)], []).append(ns)
    print("decide median by case: " + ", ".join(
        f"{case} {statistics.median(samples) / 1000:.1f} µs ({100 * len(samples) / len(decide_ns):.0f}%)"
        for case, samples in sorted(by_case.items())))
    print(f"(timer overhead included in each figure: about {overhead / 1000:.2f} µs)")
    decide_median = figures(decide_ns)[0]
    ratio = decide_median / figures(status_ns)[0]
    verdict = "meets" if decide_median < 100 else "misses"
    print()
    print(f"median decide: {decide_median:.1f} µs ({verdict} the target < 100 µs); "
          f"decide / status_at median ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
