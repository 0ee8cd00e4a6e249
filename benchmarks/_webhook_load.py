"""The load the webhook benchmarks put on a server: distinct signed calls (new, withheld and returning callers on
the seed lines' numbers), replayed closed-loop by wrk or by Python threads, or at a fixed pace, and what came back."""

from __future__ import annotations

import http.client
import math
import re
import resource
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from benchmarks._webhook_servers import PATH, PUBLIC_URL, ROOT

BENCH = Path(__file__).resolve().parent
NEW_SHARE, WITHHELD_SHARE = 0.80, 0.10  # the rest: returning callers
SEED_NUMBERS = ("+3225550300", "+33199000116", "+33199000108", "+33199003977", "+33199009494")
WITHHELD_FROMS = ("anonymous", "+266696687", "restricted")
CALLS_PER_RETURNING_CALLER = 4  # well under the seed lines' throttle (8 calls in 30 minutes)


def caller_mix(count: int, seed: str) -> list[str]:
    """Who calls, request by request: 80 % callers new to the line (a number never seen before), 10 % withheld,
    10 % returning callers (a pool sized so that each calls about 4 times in the run: the repeat-call throttle,
    8 calls in 30 minutes, admits them all). French and Belgian mobile numbers."""
    import random

    pick = random.Random(seed)
    returning = [f"+3247{n:07d}" for n in range(max(1, int(count * (1 - NEW_SHARE - WITHHELD_SHARE))
                                                      // CALLS_PER_RETURNING_CALLER))]
    base = pick.randrange(10_000_000)
    froms = []
    for i in range(count):
        roll = pick.random()
        if roll < NEW_SHARE:
            froms.append(f"+336{(base + i) % 100_000_000:08d}")
        elif roll < NEW_SHARE + WITHHELD_SHARE:
            froms.append(WITHHELD_FROMS[i % len(WITHHELD_FROMS)])
        else:
            froms.append(pick.choice(returning))
    return froms


def signed_requests(auth_token: str, count: int, prefix: str) -> list[tuple[str, str]]:
    """(signature, body) pairs: valid, unique CallSids (CA + 32 hex digits), callers as caller_mix, To rotating."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(auth_token)
    account = "AC" + "1" * 32
    found = []
    for i, caller in enumerate(caller_mix(count, prefix + uuid.uuid4().hex)):
        params = {
            "CallSid": "CA" + uuid.uuid4().hex,
            "AccountSid": account,
            "From": caller,
            "To": SEED_NUMBERS[i % len(SEED_NUMBERS)],
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        found.append((validator.compute_signature(PUBLIC_URL + PATH, params), urlencode(params)))
    return found


def write_requests(path: Path, pairs: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{signature}\t{body}\n" for signature, body in pairs))


def fallback_needle() -> str:
    """Words only the webhook's "technical problem" answer says, as they appear in the TwiML."""
    from ivr import prompts

    return escape(prompts.render("technical_problem", "fr"))


@dataclass
class Result:
    requests: int
    elapsed: float
    non200: int
    not_xml: int
    fallback: int
    socket_errors: int
    latencies_us: Counter  # microseconds -> how many answers took that long
    client_cpu: float  # seconds

    @property
    def errors(self) -> int:
        return self.non200 + self.not_xml + self.fallback + self.socket_errors

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile_us(self.latencies_us, 50) / 1000

    @property
    def p99_ms(self) -> float:
        return percentile_us(self.latencies_us, 99) / 1000


def percentile_us(latencies_us: Counter, percent: float) -> float:
    """The latency of rank floor(n * percent / 100) + 1 among the n counted, as wrk's own percentile ranks them."""
    count = sum(latencies_us.values())
    rank, seen = min(count, int(count * percent / 100) + 1), 0
    for microseconds in sorted(latencies_us):
        seen += latencies_us[microseconds]
        if seen >= rank:
            return float(microseconds)
    return 0.0


def combined(results: list[Result]) -> Result:
    """Several runs against the same app as one: counts, times and latency histograms added up, so that the
    throughput is every request over every run's time and the percentiles are over every request."""
    return Result(
        requests=sum(result.requests for result in results),
        elapsed=sum(result.elapsed for result in results),
        non200=sum(result.non200 for result in results),
        not_xml=sum(result.not_xml for result in results),
        fallback=sum(result.fallback for result in results),
        socket_errors=sum(result.socket_errors for result in results),
        latencies_us=sum((result.latencies_us for result in results), Counter()),
        client_cpu=sum(result.client_cpu for result in results),
    )


def run_wrk(port: int, request_file: Path, duration: float, connections: int, needle: str) -> Result:
    """wrk replaying ``request_file`` for ``duration`` seconds (the script stops it: wrk's -d is whole seconds), or
    until the file's requests run out. The latencies are wrk's histogram, with wrk's own correction for coordinated
    omission (answers it adds where a connection waited longer than its usual interval), as wrk's percentiles."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{math.ceil(duration)}s", "--timeout", "10s",
        "-s", str(BENCH / "wrk_signed_calls.lua"), f"http://127.0.0.1:{port}",
        "--", str(request_file), "1", needle, f"{duration:.6f}",
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=math.ceil(duration) + 60, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^RESULT (.*)$", done.stdout, re.M)
    histogram = re.search(r"^LATENCY (.*)$", done.stdout, re.M)
    if done.returncode != 0 or match is None or histogram is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    values = {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}
    latencies_us = Counter({int(value): int(count) for value, count in
                            (bucket.split(":") for bucket in histogram.group(1).split())})
    return Result(
        requests=int(values["requests"]),
        elapsed=values["elapsed_us"] / 1e6,
        non200=int(values["non200"]),
        not_xml=int(values["not_xml"]),
        fallback=int(values["fallback"]),
        socket_errors=int(values["socket_errors"]),
        latencies_us=latencies_us,
        client_cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )


def run_python_client(port: int, pairs: list[tuple[str, str]], duration: float, connections: int,
                      needle: str) -> Result:
    """``connections`` threads, each with its own keep-alive connection (reopened when the server closes it)."""
    lock = threading.Lock()
    position = iter(range(len(pairs)))
    latencies: list[list[int]] = [[] for _ in range(connections)]
    counts = [{"non200": 0, "not_xml": 0, "fallback": 0, "socket": 0} for _ in range(connections)]
    stop_at = time.monotonic() + duration
    needle_bytes = needle.encode()

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, tally = latencies[slot], counts[slot]
        while time.monotonic() < stop_at:
            with lock:
                index = next(position, None)
            if index is None:
                return
            signature, body = pairs[index]
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
            started = time.perf_counter_ns()
            try:
                connection.request("POST", PATH, body, headers)
                answer = connection.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException):
                tally["socket"] += 1
                connection.close()
                continue
            mine.append(time.perf_counter_ns() - started)
            if answer.status != 200:
                tally["non200"] += 1
            elif not data.startswith(b"<?xml"):
                tally["not_xml"] += 1
            elif needle_bytes in data:
                tally["fallback"] += 1
            if answer.will_close:
                connection.close()
        connection.close()

    cpu_before = time.process_time()
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    merged = Counter(ns // 1000 for mine in latencies for ns in mine)
    if not merged:
        raise SystemExit("the python client got no answer at all")
    total = {key: sum(tally[key] for tally in counts) for key in counts[0]}
    return Result(
        requests=sum(merged.values()),
        elapsed=elapsed,
        non200=total["non200"],
        not_xml=total["not_xml"],
        fallback=total["fallback"],
        socket_errors=total["socket"],
        latencies_us=merged,
        client_cpu=time.process_time() - cpu_before,
    )


def p99(latencies_ms: list[float]) -> float:
    ordered = sorted(latencies_ms)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def run_paced(port: int, pairs: list[tuple[str, str]], rate: float, needle: str) -> tuple[list[float], int]:
    """Open loop: request i leaves at start + i/rate (as Twilio sends calls, whatever the answers' pace), each
    on a keep-alive connection of a small pool; latency from its send time. Returns (latencies in ms, errors)."""
    from concurrent.futures import ThreadPoolExecutor

    local = threading.local()
    needle_bytes = needle.encode()

    def one(index: int, due: float) -> tuple[float, bool]:
        time.sleep(max(0.0, due - time.monotonic()))
        signature, body = pairs[index]
        connection = getattr(local, "connection", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local.connection = connection
        started = time.perf_counter()
        try:
            connection.request("POST", PATH, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                    "X-Twilio-Signature": signature})
            answer = connection.getresponse()
            data = answer.read()
            if answer.will_close:
                connection.close()
                local.connection = None
        except (OSError, http.client.HTTPException):
            connection.close()
            local.connection = None
            return time.perf_counter() - started, False
        return time.perf_counter() - started, answer.status == 200 and needle_bytes not in data

    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: one(i, start + i / rate), range(len(pairs))))
    return [1000 * seconds for seconds, _ in results], sum(not ok for _, ok in results)
