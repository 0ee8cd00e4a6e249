"""How long `helpline --help` takes, against a bare Python start and against importing every command.

What is measured
    Wall-clock time of ``--runs`` fresh processes each, alternated so that a busy machine slows all three
    alike: ``.venv/bin/helpline --help`` (the console script, as a user types it); ``python -c pass`` (the
    floor: the interpreter alone); and ``python -c "import commands.simulator, commands.database, commands.accounts, ..."`` — every
    command's module, which is what `--help` imported before commands were loaded on use (matplotlib,
    SQLAlchemy, Alembic, the console). Printed: median and p90 in ms of each, and the ratios of medians.

Target
    median `helpline --help` < 500 ms.

Run from the repository root:  .venv/bin/python benchmarks/cli_help.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVERY_COMMAND = ("import app, commands.simulator, commands.database, commands.queue_stats, commands.listeners, "
                 "jobs.scheduler, commands.privacy, commands.accounts, console.reports.charts; console.reports.charts._mpl()")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    helpline = str(Path(sys.executable).parent / "helpline")
    commands = {"helpline --help": [helpline, "--help"], "python -c pass": [sys.executable, "-c", "pass"],
                "import every command": [sys.executable, "-c", EVERY_COMMAND]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name, command in commands.items():
        timed(command)  # untimed: fills the OS file cache, as a user's second run has it
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
        print(f"{name:<22} median {medians[name]:7.0f} ms   p90 {p90:7.0f} ms   ({runs} runs)")
    print(f"helpline --help / python -c pass:        {medians['helpline --help'] / medians['python -c pass']:.1f}x")
    print(f"helpline --help / import every command:  {medians['helpline --help'] / medians['import every command']:.2f}x")


if __name__ == "__main__":
    main()
