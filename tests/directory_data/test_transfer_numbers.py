"""A line's `transfer_numbers`: checked like every setting, exported byte for byte, kept by the database."""

from __future__ import annotations

from pathlib import Path

import yaml

from directory_data.fields import DATA_DIR, Problems
from directory_data.lines import canonical_line
from directory_data.loader import line_file_text
from store.documents import export_documents
from store.extension import database, directory
from tests.conftest import at_paris

L3977 = DATA_DIR / "lines" / "3977.yaml"
INTERPRETER = {"number": "+33199003910", "label": {"fr": "le service d'interprétariat", "en": "the interpreting service"}}


def checked(transfer_numbers):
    raw = yaml.safe_load(L3977.read_text(encoding="utf-8"))
    raw["transfer_numbers"] = transfer_numbers
    problems = Problems("lines/3977.yaml")
    doc = canonical_line(raw, problems)
    return doc, [(p.path, p.code, p.values) for p in problems.found]


def test_a_transfer_number_is_a_number_with_words_in_every_language_of_the_line():
    doc, problems = checked([{"number": "01 99 00 39 10", "label": INTERPRETER["label"]}])
    assert problems == []
    assert doc["transfer_numbers"] == [INTERPRETER]  # written as dialled, E.164


def test_each_wrong_transfer_number_is_named_with_a_code_and_its_place():
    _, problems = checked([
        {"number": "not a number", "label": {"fr": "un interprète", "en": "an interpreter"}},
        {"number": "+33199003977", "label": {"fr": "nous-mêmes", "en": "ourselves"}},  # the line's own number
        {"number": "+33199003910", "label": {"fr": "l'interprète"}},  # callers of this line may speak English
        {"number": "+33199003910", "label": {"fr": "encore", "en": "again"}},
        {"number": "+33199003911"},
        "+33199003912",
        {"number": "+33199003913", "label": {"fr": "x" * 81, "en": "ok"}, "hours": "9-17"},
    ])
    assert problems == [
        ("transfer_numbers[0].number", "phone_number", {"value": "not a number"}),
        ("transfer_numbers[1].number", "transfer_number_own", {"value": "+33199003977"}),
        ("transfer_numbers[2].label", "words_missing", {"value": "en"}),
        ("transfer_numbers[3].number", "number_twice", {"value": "+33199003910"}),
        ("transfer_numbers[4].label", "transfer_label", {}),
        ("transfer_numbers[5]", "transfer_number_shape", {}),
        ("transfer_numbers[6].hours", "unknown_setting_of", {"choices": "number, label"}),
        ("transfer_numbers[6].label.fr", "too_long", {"most": 80}),
    ]


def test_more_than_nine_transfer_numbers_or_not_a_list_is_refused():
    _, problems = checked([{"number": f"+3319900392{i}", "label": {"fr": "a", "en": "a"}} for i in range(10)])
    assert problems == [("transfer_numbers", "transfer_numbers_count", {"most": 9, "count": 10})]
    _, problems = checked("+33199003910")
    assert problems == [("transfer_numbers", "transfer_numbers_shape", {})]


def test_the_file_written_back_is_byte_for_byte_what_reads_back(tmp_path: Path):
    doc, _ = checked([INTERPRETER, {"number": "+33199003911", "label": {"fr": "l'interprète en langue des signes",
                                                                        "en": "the sign-language interpreter"}}])
    text = line_file_text(doc)
    assert "transfer_numbers:\n- number: '+33199003910'\n  label:\n    fr: le service d'interprétariat\n" in text
    again = canonical_line(yaml.safe_load(text), Problems("again"))
    assert again == doc and line_file_text(again) == text
    # In the file, it comes right after the numbers forwards may dial.
    assert text.index("forward_numbers:") < text.index("transfer_numbers:") < text.index("callback:")


def test_the_database_keeps_the_transfer_numbers_and_the_routing_line_has_them(app):
    with app.app_context(), database.session() as session:
        exported = {doc["id"]: doc for doc in export_documents(session).lines}
        line = directory.get(session, at_paris(2026, 11, 24, 10, 0)).lines_by_slug["3977"]
    assert exported["3977"]["transfer_numbers"] == [INTERPRETER]
    assert "transfer_numbers" not in line_file_text(exported["un-premier-pas"])  # none listed: nothing written
    assert [(n.number, n.label.get("en")) for n in line.transfer_numbers] == [("+33199003910", "the interpreting service")]
