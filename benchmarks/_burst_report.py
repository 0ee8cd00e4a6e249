"""What one run of benchmarks/dispatch_burst.py measured: CPU shares (the machine, the script and its processes,
the PostgreSQL backends serving it, read from /proc) and the figures printed for a run, with its health verdict."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


def cpu_sample(database: str | None) -> dict:
    """CPU seconds so far: the machine's (busy, total over all CPUs), this script's (itself and its live child
    processes) and the PostgreSQL backends connected to ``database`` (named in their process titles)."""
    sample = {"busy": 0.0, "total": 0.0, "script": {}, "backends": {}}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/stat") as stat:
            fields = [float(v) for v in stat.readline().split()[1:]]
        sample["total"] = sum(fields[:8]) / tick  # user nice system idle iowait irq softirq steal
        sample["busy"] = sample["total"] - (fields[3] + fields[4]) / tick
    except (OSError, ValueError, IndexError):
        return sample
    me = os.getpid()
    needle = f" {database} ".encode() if database else None
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                after_name = stat.read().rsplit(b")", 1)[1].split()
            ppid, cpu = int(after_name[1]), (int(after_name[11]) + int(after_name[12])) / tick
            pid = int(entry.name)
            if pid == me or ppid == me:
                sample["script"][pid] = cpu
            elif needle is not None:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if needle in cmdline.read().replace(b"\0", b" ") + b" ":
                        sample["backends"][pid] = cpu
        except (OSError, ValueError, IndexError):
            continue
    return sample


def cpu_shares(before: dict, after: dict) -> dict | None:
    """Shares of the machine's whole capacity over the race: busy, this script, its PostgreSQL backends."""
    total = after["total"] - before["total"]
    if total <= 0:
        return None
    used = lambda kind: sum(cpu - before[kind].get(pid, 0.0) for pid, cpu in after[kind].items())  # noqa: E731
    return {"busy": (after["busy"] - before["busy"]) / total, "script": used("script") / total,
            "backends": used("backends") / total, "script_seconds": used("script"),
            "backend_seconds": used("backends")}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@dataclass
class RunTotals:
    """The dispatchers' figures of one run, added up."""
    claims: int
    empty: int
    offers: int
    plays: int
    idle: int
    errors: list[str]
    overlaps: list[str]
    claim_ms: list[float]

    @classmethod
    def of(cls, results: list[dict]) -> RunTotals:
        return cls(claims=sum(r.get("claims", 0) for r in results),
                   empty=sum(r.get("empty_claims", 0) for r in results),
                   offers=sum(r.get("offers", 0) for r in results),
                   plays=sum(r.get("play_transactions", 0) for r in results),
                   idle=sum(r.get("idle_checks", 0) for r in results),
                   errors=[e for r in results for e in r.get("errors", ())],
                   overlaps=[o for r in results for o in r.get("overlaps", ())],
                   claim_ms=[s * 1000 for r in results for s in r.get("claim_seconds", ())])


def print_run(run: dict, args, title: str) -> None:
    results, checks = run["results"], run["checks"]
    totals = RunTotals.of(results)
    print(f"== {title} ==")
    print(f"callers                {args.callers}")
    print(f"listeners              {args.listeners}")
    print(f"dispatchers            {run['dispatchers']}")
    print(f"mode                   {run['mode']}")
    _print_speed(run, totals)
    _print_cpu(run, totals.offers)
    t0 = run["t0"]
    spread = ", ".join(f"#{r['number']} {r.get('offers', 0)} offers done at "
                       f"{(r['finished'] - t0) if r.get('finished') else float('nan'):.2f} s" for r in results)
    print(f"per dispatcher         {spread}")
    _print_checks(checks, totals)
    if run["counters"] is not None:
        c = run["counters"]
        print(f"postgresql counters    {c['commits']} commits, {c['rollbacks']} rollbacks, {c['deadlocks']} deadlocks")
    print(f"errors                 {len(totals.errors)}")
    for line in (totals.errors[:8] + totals.overlaps[:5] + checks["examples"]):
        print(f"    {line}")
    sys.stdout.flush()


def _print_speed(run: dict, totals: RunTotals) -> None:
    """Time to drain, then offers, claims and transactions per second and the claim transactions' latency."""
    drain = run["drain"]
    elapsed = drain or run["elapsed"]
    per = lambda n: f"{n / elapsed:,.1f}" if elapsed else "n/a"  # noqa: E731
    if drain is None:
        reasons = sorted(set(a.split(": ", 1)[-1] for a in run["aborted"])) or ["no dispatcher finished"]
        print(f"time to drain          NOT DRAINED after {elapsed or float('nan'):.3f} s: " + "; ".join(reasons))
    else:
        print(f"time to drain          {drain:.3f} s")
    offers, claims, empty, claim_ms = totals.offers, totals.claims, totals.empty, totals.claim_ms
    print(f"offers per second      {per(offers)}   ({offers} offers)")
    print(f"claims per second      {per(claims)}   ({claims} claim transactions, {empty} empty, "
          f"{offers / max(1, claims - empty):.1f} offers per productive claim)")
    print(f"transactions per sec.  {per(claims + totals.plays + totals.idle)}   ({totals.plays} offer-playing, "
          f"{totals.idle} idle checks)")
    print(f"claim transaction      p50 {percentile(claim_ms, 0.5):.2f} ms, p99 {percentile(claim_ms, 0.99):.2f} ms, "
          f"max {max(claim_ms, default=float('nan')):.2f} ms")


def _print_cpu(run: dict, offers: int) -> None:
    """The machine's CPU during the race, this script's and its PostgreSQL backends' share, and per offer."""
    cpu = run["cpu"]
    if cpu is None:
        return
    backends = f", its PostgreSQL backends {100 * cpu['backends']:.0f}%" if run["counters"] is not None else ""
    rest = max(0.0, cpu["busy"] - cpu["script"] - cpu["backends"])
    print(f"CPU during the race    {100 * cpu['busy']:.0f}% of the machine's {os.cpu_count()} CPUs busy: "
          f"this script {100 * cpu['script']:.0f}%{backends}, everything else (other processes, kernel) "
          f"{100 * rest:.0f}%")
    if offers:
        backend_ms = (f", its PostgreSQL backends {1000 * cpu['backend_seconds'] / offers:.1f} ms"
                      if run["counters"] is not None else "")
        print(f"CPU per offer          this script {1000 * cpu['script_seconds'] / offers:.1f} ms{backend_ms}")


def _print_checks(checks: dict, totals: RunTotals) -> None:
    """Stragglers, double offers and the database's final check (benchmarks/_dispatch_checks.py)."""
    if "offer_wait_max" in checks:
        print(f"stragglers             last caller offered at {checks['offer_wait_max']:.3f} s (median "
              f"{checks['offer_wait_p50']:.3f} s); {checks['callers_overtaken']} callers offered after a later "
              f"caller, at most overtaken by {checks['most_overtaken_by']}")
    print(f"double offers          {checks['double_offers']}   (inside claims {len(totals.overlaps)}, callers offered "
          f"twice {checks['callers_offered_twice']}, overlapping offers per listener in commit order "
          f"{checks['listener_overlaps']})")
    print(f"final check            callers not done {checks['callers_not_done']}, without offer "
          f"{checks['callers_without_offer']}, offers not ended {checks['offers_not_ended']}, unaccounted "
          f"{checks['offers_unaccounted']}, status chain breaks {checks['status_chain_breaks']}, "
          f"ringing rows != offers {checks['ringing_rows_not_offers']}, listeners left ringing/on call "
          f"{checks['listeners_still_busy']}")
    print(f"informational          offer created_at before the previous offer's ended_at for the same listener "
          f"{checks['clock_inversions']} (instants read before the row locks: not commit order); claim stamps "
          f"out of id order {checks['claim_order_differs_from_id_order']}")


def healthy(run: dict) -> bool:
    checks = run["checks"]
    bad = (checks["double_offers"], checks["callers_not_done"], checks["callers_without_offer"],
           checks["offers_not_ended"], checks["offers_unaccounted"], checks["status_chain_breaks"],
           checks["ringing_rows_not_offers"], checks["listeners_still_busy"],
           sum(len(r.get("errors", ())) for r in run["results"]))
    return run["drain"] is not None and not run["aborted"] and not any(bad)
