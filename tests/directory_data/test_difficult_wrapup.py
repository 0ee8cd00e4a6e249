"""queue.difficult_wrapup: a line's wrap-up after a call the listener marked difficult — checked, and kept by an export;
and queue.offer_to_pair, the other per-line setting of the conversation, checked the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory, write_directory
from store.documents import export_documents
from store.extension import database, directory

EVC_FILE = "lines/ecoute-violences-conjugales.yaml"
SETTING = "  difficult_wrapup: 600"


def copy_with(tmp_path: Path, new: str) -> Path:
    root = tmp_path / "directory_data"
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = root / EVC_FILE
    text = path.read_text(encoding="utf-8")
    assert text.count(SETTING) == 1
    path.write_text(text.replace(SETTING, new), encoding="utf-8")
    return root


@pytest.mark.parametrize("value", ["-1", "3601", "ten", "true"])
def test_a_difficult_wrapup_out_of_bounds_is_refused_naming_the_file_and_key(tmp_path, value):
    with pytest.raises(DirectoryError) as caught:
        read_directory(copy_with(tmp_path, f"  difficult_wrapup: {value}"))
    assert caught.value.problems == ["directory_data/lines/ecoute-violences-conjugales.yaml: queue.difficult_wrapup: "
                                     "must be a whole number from 0 to 3600"]


def test_the_lines_difficult_wrapup_reaches_its_queue_settings_and_defaults_to_five_minutes(app, tmp_path):
    with app.app_context(), database.session() as session:
        snapshot = directory.get(session, app.config["CLOCK"]())
        assert snapshot.lines_by_slug["ecoute-violences-conjugales"].queue.difficult_wrapup == 600
        assert snapshot.lines_by_slug["3977"].queue.difficult_wrapup == 300  # not set: the default
        evc = snapshot.lines_by_slug["ecoute-violences-conjugales"].queue
        assert evc.wrapup_after("professional", difficult=False) == 30
        assert evc.wrapup_after("professional", difficult=True) == 600
    docs = read_directory(copy_with(tmp_path, "  difficult_wrapup: 0"))
    line = next(d for d in docs.lines if d["id"] == "ecoute-violences-conjugales")
    assert line["queue"]["difficult_wrapup"] == 0  # allowed: a line may choose no longer wrap-up


def test_an_export_keeps_the_difficult_wrapup(app, tmp_path):
    with app.app_context(), database.session() as session:
        exported = export_documents(session)
    root = tmp_path / "exported"
    write_directory(exported, root)
    written = yaml.safe_load((root / EVC_FILE).read_text(encoding="utf-8"))
    assert written["queue"]["difficult_wrapup"] == 600
    again = read_directory(root)
    assert next(d for d in again.lines if d["id"] == "ecoute-violences-conjugales")["queue"]["difficult_wrapup"] == 600


def test_offer_to_pair_is_a_checked_queue_flag_refused_with_ring_several(tmp_path):
    docs = read_directory(copy_with(tmp_path, SETTING + "\n  offer_to_pair: true"))
    line = next(d for d in docs.lines if d["id"] == "ecoute-violences-conjugales")
    assert line["queue"]["offer_to_pair"] is True
    with pytest.raises(DirectoryError) as caught:
        read_directory(copy_with(tmp_path / "yes", SETTING + "\n  offer_to_pair: yes please"))
    assert caught.value.problems == ["directory_data/lines/ecoute-violences-conjugales.yaml: queue.offer_to_pair: "
                                     "must be true or false"]
    with pytest.raises(DirectoryError) as caught:
        read_directory(_ring_several(tmp_path / "several"))
    assert caught.value.problems == ["directory_data/lines/ecoute-violences-conjugales.yaml: queue.offer_to_pair: a "
                                     "line that rings several listeners (strategy ring_several) cannot offer calls to "
                                     "pairs"]


def _ring_several(tmp_path: Path) -> Path:
    root = copy_with(tmp_path, SETTING + "\n  offer_to_pair: true")
    path = root / EVC_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("strategy: longest_idle", "strategy: ring_several"),
                    encoding="utf-8")
    return root
