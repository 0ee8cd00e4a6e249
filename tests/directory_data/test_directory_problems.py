"""Directory problems are codes with values: the command line reads them in English, the console in its words."""

from __future__ import annotations

import ast
import re
import shutil
from string import Formatter

import pytest

from console.texts import EN, FR
from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory
from directory_data.problems import ENGLISH, Problem, readable_values
from routing.validation import MESSAGES as CHAIN_MESSAGES
from tests.support.paths import REPO

# The console's problem words that are not a loader's code: how it shows the others.
CONSOLE_ONLY = {"as_written", "elsewhere"}


def blanks(text: str) -> set[str]:
    return {name.split("!")[0] for _, name, _, _ in Formatter().parse(text) if name}


@pytest.fixture
def files(tmp_path):
    root = tmp_path / "directory"
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "prompts"))
    return root


def test_a_wrong_value_is_a_code_with_its_value_at_its_key_path_and_reads_as_the_english_line(files):
    path = files / "lines" / "un-premier-pas.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"09:00-17:00"', '"9h-17h"', 1), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(files)
    [problem] = caught.value.problems
    assert (problem.file, problem.code, problem.values) == ("directory/lines/un-premier-pas.yaml", "time_range",
                                                             {"value": "9h-17h"})
    assert problem.path == "hours.mon-fri"
    assert problem == "directory/lines/un-premier-pas.yaml: hours.mon-fri: '9h-17h' is not a time range like 09:00-17:00"
    assert problem.words == "'9h-17h' is not a time range like 09:00-17:00"


def test_a_problem_across_files_carries_its_code_too(files):
    path = files / "lines" / "un-premier-pas.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('numbers: ["+33199009494"]', 'numbers: ["+33199000108"]'), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(files)
    [taken] = [p for p in caught.value.problems if p.file.endswith("un-premier-pas.yaml")]
    assert (taken.path, taken.code, taken.values) == ("numbers[0]", "number_taken",
                                                      {"value": "+33199000108", "owner": "france-victimes"})
    assert taken.words == "+33199000108 already belongs to line france-victimes"


def test_every_code_has_english_words_and_the_chain_codes_are_the_routing_ones():
    assert set(CHAIN_MESSAGES) <= set(ENGLISH)
    assert all(ENGLISH[code] == CHAIN_MESSAGES[code] for code in CHAIN_MESSAGES)
    assert str(Problem("f.yaml", "", "empty")) == "f.yaml: is empty"


def test_the_console_has_words_only_for_codes_that_exist_with_the_same_blanks():
    for table in (FR, EN):
        codes = {key.removeprefix("problem.") for key in table if key.startswith("problem.")} - CONSOLE_ONLY
        assert sorted(codes - set(ENGLISH)) == []
        mismatched = {code: blanks(table[f"problem.{code}"]) for code in codes
                      if not blanks(table[f"problem.{code}"]) <= blanks(ENGLISH[code])}
        assert mismatched == {}


def test_a_missing_language_is_named_in_words_in_the_readers_language():
    assert Problem("f.yaml", "greeting", "words_missing", value="fr") == (
        "f.yaml: greeting: has no words in French, and callers of this line may speak French")
    assert readable_values("words_missing", {"value": "en"}, "fr") == {"value": "en", "language_name": "anglais"}
    assert FR["problem.words_missing"].format(**readable_values("words_missing", {"value": "en"}, "fr")) == (
        "Il manque le texte en anglais, alors que les appelants de cette ligne peuvent parler anglais.")


def test_words_given_instead_of_a_code_are_still_said_as_written():
    problem = Problem("f.yaml", "menu", "must name a prompt")
    assert (problem, problem.code) == ("f.yaml: menu: must name a prompt", "unworded")


def test_every_validator_of_the_directory_gives_a_code_not_english_words():
    worded = []
    for path in (REPO / "directory_data").glob("*.py"):
        for call in (node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)):
            # problems.add(path, code, ...) and Problem(file, path, code, ...)
            if isinstance(call.func, ast.Attribute) and call.func.attr == "add" and len(call.args) >= 2:
                code = call.args[1]
            elif isinstance(call.func, ast.Name) and call.func.id == "Problem" and len(call.args) >= 3:
                code = call.args[2]
            elif (isinstance(call.func, ast.Attribute) and call.func.attr in ("append", "extend")
                  and ast.unparse(call.func.value) in ("problems", "found.found") and call.args
                  and isinstance(call.args[0], (ast.Constant, ast.JoinedStr))):
                code = call.args[0]  # a whole line of words where a Problem belongs
            else:
                continue
            choices = [code.body, code.orelse] if isinstance(code, ast.IfExp) else [code]
            if not all(_is_code(choice) for choice in choices):
                worded.append((path.name, call.lineno, ast.unparse(code)))
    assert worded == []


def _is_code(node: ast.expr) -> bool:
    """A literal code ("time_range"), or a code handed on from another problem (``code``, ``problem.code``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and re.fullmatch(r"[a-z_]+", node.value) is not None
    return (isinstance(node, ast.Name) and node.id == "code") or (isinstance(node, ast.Attribute) and node.attr == "code")
