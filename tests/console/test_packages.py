"""The console's shape holds: one guarded blueprint per feature, registered by the factory; features apart."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "console"
FEATURES = sorted(path.parent.name for path in CONSOLE.glob("*/__init__.py"))
# The core may use one feature module: the accounts the guard checks a session against.
CORE_MAY_USE = {"console.accounts.records"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("console.")}


def test_every_feature_package_says_what_lives_there_and_has_a_blueprint_module():
    expected = {"accounts", "lines", "schedules", "roster", "me", "live", "reports", "operations", "associations"}
    assert expected <= set(FEATURES)
    for feature in FEATURES:
        package = importlib.import_module(f"console.{feature}")
        assert package.__doc__ and "Not here" in package.__doc__, feature
        assert (CONSOLE / feature / "blueprint.py").exists(), feature


def test_each_feature_blueprint_is_registered_by_the_factory_and_guarded_once(app):
    for feature in FEATURES:
        blueprint = getattr(importlib.import_module(f"console.{feature}.blueprint"), feature)
        assert app.blueprints[feature] is blueprint
        assert len(app.before_request_funcs[feature]) == 1, feature  # its access rule, stated once
        assert blueprint.url_prefix == "/console"
    routes = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules() if rule.rule.startswith("/console")}
    assert routes == {"console", *FEATURES}  # no route of the console outside a guarded feature blueprint


def test_features_use_the_core_and_each_other_s_words_never_each_other_s_pages():
    wrong = []
    for path in CONSOLE.rglob("*.py"):
        parts = path.relative_to(CONSOLE).parts
        own = parts[0] if len(parts) > 1 else None
        for name in imports(path):
            target = name.split(".")
            if len(target) < 3 or target[1] not in FEATURES or target[1] == own:
                continue
            if own is None and not any(name.startswith(allowed) for allowed in CORE_MAY_USE):
                wrong.append((str(path.relative_to(CONSOLE)), name))  # the core never needs a feature
            if own is not None and (target[2] == "blueprint" or target[2].endswith("views")):
                wrong.append((str(path.relative_to(CONSOLE)), name))  # another feature's pages or URL rules
    assert wrong == []
