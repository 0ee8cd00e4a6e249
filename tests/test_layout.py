"""The layout holds: import-linter's contracts (pyproject.toml) pass, catch a wrong import, and every module imports alone."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("commands", "jobs", "console", "ivr", "store", "words", "directory_data", "routing", "schedules",
            "phones")
# Alembic's env.py runs a migration when imported: it is meant to be loaded by Alembic, not imported.
NOT_MODULES = {"store.migrations.env"}
# Imported once before forking, so that each child pays only for the project's own modules.
THIRD_PARTY = ("flask", "sqlalchemy", "sqlalchemy.orm", "twilio.twiml.voice_response", "twilio.rest", "phonenumbers",
               "holidays", "apscheduler.schedulers.background", "yaml", "babel.dates", "flask_wtf", "wtforms",
               "cryptography.fernet", "alembic", "matplotlib.figure", "jinja2", "click")


def lint(tree: Path) -> subprocess.CompletedProcess:
    """import-linter on the packages under ``tree``, with the contracts of ``tree``/pyproject.toml."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                               "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=tree, capture_output=True, text=True, timeout=120,
        # The tree's own packages first, never the ones an editable install points at.
        env={**os.environ, "PYTHONPATH": str(tree)},
    )


def test_the_import_contracts_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("layout")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__", "static",
                                                                                     "templates", "translations"))
    return copy


PURE = "The pure cores import neither Flask nor SQLAlchemy BROKEN"


@pytest.mark.parametrize(("module", "wrong_import", "said"), [
    ("routing/chain.py", "import flask", PURE),
    ("schedules/hours.py", "from sqlalchemy import select", PURE),
    ("store/calls.py", "from console import describe", "store is not allowed to import console"),
    ("store/models/calls.py", "from ivr import webhooks", "store is not allowed to import ivr"),
    ("routing/chain.py", "import directory_data.reference", "routing is not allowed to import directory_data"),
    ("words/status.py", "from flask import g", PURE),
    ("words/status.py", "from console import texts", "words is not allowed to import console"),
    ("ivr/webhooks.py", "from jobs import tasks", "ivr is not allowed to import jobs"),
    ("console/describe.py", "from jobs import tasks", "console is not allowed to import jobs"),
    ("schedules/hours.py", "import app", "it imports everything BROKEN"),
    ("ivr/twiml.py", "from ivr import webhooks", "No import cycles among the modules of a package BROKEN"),
])
def test_a_wrong_import_breaks_a_contract(tree_copy, module, wrong_import, said):
    path = tree_copy / module
    original = path.read_text()
    # Inside a function, as imports made late to dodge a cycle were: import-linter counts those too.
    path.write_text(original + f"\n\ndef _wrong():\n    {wrong_import}\n")
    try:
        result = lint(tree_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert said in " ".join(result.stdout.split())  # import-linter wraps its lines


def project_modules() -> list[str]:
    names = ["app", "settings"]
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if name not in NOT_MODULES:
                names.append(name)
    return names


def import_alone(name: str) -> str | None:
    """Import ``name`` in a forked child that has none of the project's modules yet; its traceback if it fails."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover — the child reports through the pipe and never returns
        os.close(read)
        status, said = 0, b""
        try:
            __import__(name)
        except BaseException:  # noqa: BLE001 — whatever fails, say it to the parent
            status, said = 1, traceback.format_exc().encode()
        os.write(write, said)
        os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    _, status = os.waitpid(child, 0)
    return None if os.waitstatus_to_exitcode(status) == 0 else said.decode() or f"exit status {status}"


def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    # One fresh interpreter for the lot; each module is then imported in a child forked from it before any project
    # module was loaded, so no import leans on one made earlier.
    script = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"for name in {THIRD_PARTY!r}: __import__(name)\n"
        "from tests.test_layout import import_alone, project_modules\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{('app', 'settings') + PACKAGES!r})\n"
        "failures = {name: error for name in project_modules() if (error := import_alone(name))}\n"
        "print(json.dumps({'loaded': loaded, 'failures': failures}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], "the parent must not have loaded any project module before forking"
    assert report["failures"] == {}, "\n\n".join(f"{name}:\n{error}" for name, error in report["failures"].items())
    assert len(project_modules()) > 100  # the walk found the packages



def imported_modules(source: str) -> set[str]:
    """Every module ``source`` imports, at the top or inside a function, as dotted names (``from a import b``
    gives ``a`` and ``a.b``: b may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_test_modules(source: str) -> list[str]:
    """The test modules (``test_*``) among what ``source`` imports: helpers belong in tests/support/, fixtures in a
    conftest.py."""
    return sorted(name for name in imported_modules(source) if name.split(".")[-1].startswith("test_"))


def test_no_test_module_imports_another():
    suite = sorted((ROOT / "tests").rglob("*.py"))
    assert len(suite) > 80  # the walk found the suite
    found = {str(path.relative_to(ROOT)): names for path in suite
             if (names := imported_test_modules(path.read_text(encoding="utf-8")))}
    assert found == {}, "move what they share into tests/support/ (helpers) or a conftest.py (fixtures)"


def test_an_import_from_a_test_module_is_caught():
    source = ("from tests.support.calls import Caller\nfrom tests.ivr import test_queue\n\n"
              "def late():\n    from tests.store.test_report_counts import PERIODS\n    import tests.test_cli\n")
    assert imported_test_modules(source) == ["tests.ivr.test_queue", "tests.store.test_report_counts",
                                             "tests.test_cli"]
