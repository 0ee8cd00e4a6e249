"""A copy of the shipped directory files to edit, and the problems reading it gives: shared by the directory tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory

UPP = "lines/un-premier-pas.yaml"


def copy_directory(tmp_path: Path, name: str = "directory_data") -> Path:
    root = tmp_path / name
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(root: Path) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        read_directory(root)
    return caught.value.problems
