"""What callers hear on every shipped line, on every path, compared word for word with the reviewed scripts.

The scripts in tests/scripts/ are what `helpline script LINE [--lang en]` prints. Here the same scenarios are
played through the app's real signed webhooks on the test database (SQLite or PostgreSQL), so any change to
what a caller hears fails this test with a readable diff; a reviewed change is committed by regenerating:

    for l in 3977 ecoute-violences-conjugales france-victimes un-premier-pas; do for g in fr en; do
      .venv/bin/helpline script $l --lang $g > tests/scripts/$l.$g.txt; done; done
"""

from __future__ import annotations

import difflib

import pytest

from ivr.scripts import script
from tests.support.paths import REPO, SCRIPTS

LINES = ("3977", "ecoute-violences-conjugales", "france-victimes", "un-premier-pas")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("slug", LINES)
def test_what_callers_hear_is_the_reviewed_script(app, slug, language):
    reviewed = (SCRIPTS / f"{slug}.{language}.txt").read_text(encoding="utf-8")
    heard = script(app, slug, language) + "\n"
    if heard != reviewed:
        diff = "".join(difflib.unified_diff(reviewed.splitlines(True), heard.splitlines(True),
                                            f"tests/scripts/{slug}.{language}.txt (reviewed)", "heard now"))
        pytest.fail(f"what callers hear on {slug} ({language}) changed:\n{diff}")


def test_every_shipped_line_has_its_reviewed_scripts(shipped_directory):
    assert sorted(doc["id"] for doc in shipped_directory.lines) == sorted(LINES)
    for slug in LINES:
        for language in ("fr", "en"):
            assert (SCRIPTS / f"{slug}.{language}.txt").exists()


def test_the_readme_quotes_only_sentences_the_scripts_say():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Try a call without Twilio"):readme.index("## The lines shipped in")]
    quoted = [line.strip().removeprefix("says").strip() for line in section.splitlines()
              if line.strip().startswith("says ")]
    reviewed = "\n".join(path.read_text(encoding="utf-8") for path in SCRIPTS.glob("*.txt"))
    assert quoted and [sentence for sentence in quoted if f"says      {sentence}\n" not in reviewed] == []
