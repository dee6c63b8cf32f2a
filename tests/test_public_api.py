"""Plugins use the public API only: names in ``strbench.__all__`` and ``strbench.testing.__all__``.

Everything else below ``strbench`` is the core's implementation. Every ``.py`` file under
``plugins/`` (and the documented example plugin) is parsed, not imported, so the test needs no
plugin dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import strbench
import strbench.testing

REPO = Path(__file__).resolve().parents[1]
PLUGIN_ROOTS = (REPO / "plugins", REPO / "docs" / "example_plugin")
PUBLIC = {"strbench": set(strbench.__all__), "strbench.testing": set(strbench.testing.__all__)}


def violations(tree: ast.AST) -> list[str]:
    """Non-public strbench names a module imports or reaches through ``strbench.<name>``."""
    found = []
    aliases: dict[str, str] = {}  # local name -> public module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "strbench" or alias.name.startswith("strbench."):
                    if alias.name not in PUBLIC:
                        found.append(f"line {node.lineno}: import {alias.name}")
                    else:
                        aliases[alias.asname or alias.name.split(".")[0]] = (
                            alias.name if alias.asname else "strbench")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "strbench" and not node.module.startswith("strbench."):
                continue
            if node.module not in PUBLIC:
                found.append(f"line {node.lineno}: from {node.module} import ...")
                continue
            for alias in node.names:
                if alias.name == "testing" and node.module == "strbench":
                    aliases[alias.asname or "testing"] = "strbench.testing"
                elif alias.name not in PUBLIC[node.module]:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            module = aliases[node.value.id]
            if module == "strbench" and node.attr == "testing":
                continue
            if node.attr not in PUBLIC[module]:
                found.append(f"line {node.lineno}: {module}.{node.attr}")
    return found


def plugin_files() -> list[Path]:
    return sorted(p for root in PLUGIN_ROOTS for p in root.rglob("*.py") if "build" not in p.parts)


def test_public_names_exist() -> None:
    for module_name, names in PUBLIC.items():
        module = strbench if module_name == "strbench" else strbench.testing
        missing = [n for n in names if not hasattr(module, n)]
        assert not missing, f"{module_name}.__all__ names missing attributes: {missing}"


@pytest.mark.parametrize("path", plugin_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_plugins_import_only_the_public_api(path: Path) -> None:
    problems = violations(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert not problems, (
        f"{path.relative_to(REPO)} uses non-public strbench names (import them from 'strbench' or "
        f"'strbench.testing', or add them to the public API on purpose): " + "; ".join(problems)
    )


@pytest.mark.parametrize("source, bad", [
    ("from strbench.weights.io import load_weights", True),
    ("from strbench import load_weights", False),
    ("from strbench import runner", True),
    ("import strbench\nstrbench.plugin.host.PluginHost()", True),
    ("import strbench\nstrbench.Algorithm", False),
    ("from strbench.testing import ConformanceTests", False),
    ("from strbench.testing.checks import check_inference", True),
    ("import strbench.testing as t\nt.render_word", False),
])
def test_the_check_itself(source: str, bad: bool) -> None:
    assert bool(violations(ast.parse(source))) is bad
