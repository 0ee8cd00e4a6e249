"""What the caller, the listener and the third party hear during a call, compared word for word with reviewed
transcripts.

Each file in tests/scripts/conversations/ starts with the `helpline call … --transfer …` command that made it; the
same command is played here through the real signed webhooks (a throwaway copy of the engine, a fictitious
listener answering from the keypad), so a change to any sentence of the conversation — the keypad menu, the hold,
a transfer answered, busy, unanswered, cancelled or three-way — fails with a readable diff. A reviewed change is
committed by running each file's command again under its two comment lines:

    for f in tests/scripts/conversations/*.txt; do head -2 "$f" > /tmp/head; cmd=$(head -1 "$f" | sed 's/^# `helpline //; s/`$//')
      { cat /tmp/head; echo; .venv/bin/helpline $cmd; } > "$f"; done
"""

from __future__ import annotations

import difflib
import shlex

import pytest

from app import cli
from tests.support.paths import SCRIPTS

CONVERSATIONS = sorted((SCRIPTS / "conversations").glob("*.txt"))


def _command(reviewed: str) -> list[str]:
    first = reviewed.splitlines()[0]
    assert first.startswith("# `helpline ") and first.endswith("`"), first
    return shlex.split(first[len("# `helpline "):-1])


@pytest.mark.parametrize("path", CONVERSATIONS, ids=[p.stem for p in CONVERSATIONS])
def test_what_each_party_hears_is_the_reviewed_transcript(app, path):
    reviewed = path.read_text(encoding="utf-8")
    header, body = reviewed.split("\n\n", 1)
    result = app.test_cli_runner().invoke(cli, _command(reviewed))
    assert result.exit_code == 0, result.output
    if result.output != body:
        diff = "".join(difflib.unified_diff(body.splitlines(True), result.output.splitlines(True),
                                            f"{path.name} (reviewed)", "heard now"))
        pytest.fail(f"what the parties hear in {path.stem} changed:\n{diff}")


def test_every_line_has_a_reviewed_conversation_with_a_transfer():
    lines = {path.stem.split(".")[0] for path in CONVERSATIONS}
    assert lines == {"3977", "ecoute-violences-conjugales", "france-victimes", "un-premier-pas"}
    outcomes = " ".join(path.read_text(encoding="utf-8").splitlines()[0] for path in CONVERSATIONS)
    for told in ("=busy", "=no-answer", "--then together", "--then cancel", "--cold"):
        assert told in outcomes  # the ways a transfer can end, each pinned once
    for path in CONVERSATIONS:
        assert "ERROR" not in path.read_text(encoding="utf-8")
