"""Where the suite finds the repository's files, wherever a test module sits in tests/."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What callers hear on every shipped line, reviewed sentence by sentence (`helpline script LINE [--lang en]`).
SCRIPTS = REPO / "tests" / "scripts"
