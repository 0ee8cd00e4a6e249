"""No function of the project is graded worse than C by radon's cyclomatic complexity (issue 13)."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("commands", "jobs", "console", "ivr", "store", "directory_data", "routing", "schedules", "phones")
WORST_ALLOWED = "C"  # C is 11–20 decision points; D and worse are split along their seams of meaning


def too_complex(source: str, shown: str) -> list[str]:
    """Each function, method, closure or class in ``source`` graded worse than WORST_ALLOWED, as
    `file:line name grade (n)`."""
    return [f"{shown}:{block.lineno} {block.fullname} {cc_rank(block.complexity)} ({block.complexity})"
            for block in _with_closures(cc_visit(source)) if cc_rank(block.complexity) > WORST_ALLOWED]


def _with_closures(blocks: list) -> list:
    """radon lists functions, classes and methods; functions defined inside them are graded here too."""
    found = []
    for block in blocks:
        found.append(block)
        found.extend(_with_closures(getattr(block, "closures", [])))
    return found


def project_modules() -> list[Path]:
    modules = [ROOT / "app.py"]
    for package in PACKAGES:
        modules.extend(sorted((ROOT / package).rglob("*.py")))
    return modules


def test_no_function_is_graded_worse_than_c():
    modules = project_modules()
    assert len(modules) > 50  # the packages were found, so an empty list below means something
    found = [problem for path in modules
             for problem in too_complex(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not found, "split these along their seams of meaning:\n" + "\n".join(found)


def test_a_function_graded_d_is_caught():
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(21))
    source = f"def pick(x):\n{branches}    return None\n\n\ndef simple(x):\n    return x\n"
    assert too_complex(source, "sample.py") == ["sample.py:1 pick D (22)"]
    nested = "def outer():\n" + "".join("    " + row + "\n" for row in source.splitlines()) + "    return pick\n"
    assert too_complex(nested, "sample.py") == ["sample.py:2 pick D (22)"]
