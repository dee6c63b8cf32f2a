"""Plugin discovery, validation and the typed facade."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from strbench.errors import UsageError
from strbench.plugin.host import BUILTIN_PLUGINS, PluginHost, parse_plugin_args

GOOD = "dummy_plugin"

WRONG_TYPE = """
import strbench

@strbench.hookimpl
def strbench_algorithms():
    return ["not an algorithm"]
"""

UNKNOWN_HOOK = """
import strbench

@strbench.hookimpl
def strbench_algoritms():
    return []
"""

BAD_ARG = """
import strbench

@strbench.hookimpl
def strbench_metrics(nonexistent_argument):
    return []
"""

RAISES = """
import strbench

@strbench.hookimpl
def strbench_protocols():
    raise RuntimeError("boom")
"""

DUPLICATE = """
import strbench
from dummy_plugin import DummyAlgorithm

@strbench.hookimpl
def strbench_algorithms():
    return [DummyAlgorithm()]
"""


def test_builtins_only_without_autoload(install_entry_point) -> None:
    install_entry_point("strbench-dummy", {"dummy": GOOD})
    host = PluginHost(autoload=False)
    assert "dummy" not in host.algorithms()
    assert {"lower36", "cased62", "full94", "paddle-filter", "mmocr-ignore-case-symbol"} <= set(host.protocols())
    assert len([i for i in host.plugin_infos() if i.source == "builtin"]) == len(BUILTIN_PLUGINS)


def test_entry_point_plugin_is_discovered(install_entry_point) -> None:
    install_entry_point("strbench-dummy", {"dummy": GOOD}, version="0.0.1")
    host = PluginHost(autoload=True)
    assert "dummy" in host.algorithms()
    info = host.algorithm_owner("dummy")
    assert (info.name, info.source, info.version, info.distribution) == ("dummy", "entry point", "0.0.1", "strbench-dummy")
    assert "strbench_algorithms" in info.hooks
    assert info.algorithms == {"dummy": ["base"]}


def test_autoload_env_var(install_entry_point, monkeypatch) -> None:
    install_entry_point("strbench-dummy", {"dummy": GOOD})
    monkeypatch.setenv("STRBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "dummy" not in PluginHost().algorithms()
    monkeypatch.setenv("STRBENCH_PLUGINS", GOOD)
    assert "dummy" in PluginHost().algorithms()


def test_block_plugin(install_entry_point) -> None:
    install_entry_point("strbench-dummy", {"dummy": GOOD})
    assert "dummy" not in PluginHost(blocked=["dummy"], autoload=True).algorithms()
    assert "lower36" not in PluginHost(blocked=["protocols"], autoload=False).protocols()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (WRONG_TYPE, "returned str, expected Algorithm"),
        (UNKNOWN_HOOK, "unknown hook(s) strbench_algoritms"),
        (BAD_ARG, "invalid hook implementation"),
        (RAISES, "strbench_protocols() raised RuntimeError: boom"),
        (DUPLICATE, "duplicate algorithm name 'dummy': already provided by plugin 'a_good'"),
    ],
)
def test_broken_plugin_is_named_and_others_still_work(install_entry_point, source: str, expected: str) -> None:
    install_entry_point("strbench-good", {"a_good": GOOD})
    install_entry_point("strbench-broken", {"z_broken": "broken_plugin"}, modules={"broken_plugin": source})
    host = PluginHost(autoload=True)
    assert "dummy" in host.algorithms()  # the good plugin still lists
    assert "lower36" in host.protocols()
    errors = host.errors()
    assert any(e.startswith("z_broken: ") and expected in e for e in errors), errors


def test_import_error_is_reported(install_entry_point) -> None:
    install_entry_point("strbench-missing", {"missing": "no_such_module_xyz"})
    host = PluginHost(autoload=True)
    assert any("missing: cannot import 'no_such_module_xyz'" in e for e in host.errors())


def test_unknown_algorithm_message() -> None:
    with pytest.raises(UsageError, match="unknown plugin/algorithm 'nope'"):
        PluginHost(autoload=False).algorithm("nope")


def test_parse_plugin_args() -> None:
    assert parse_plugin_args(["no:rare", "mod_a,no:b"]) == (["rare", "b"], ["mod_a"])


def test_plugins_command_lists_and_flags_errors(install_entry_point) -> None:
    install_entry_point("strbench-dummy", {"dummy": GOOD}, version="0.0.1")
    install_entry_point("strbench-broken", {"z_broken": "broken_plugin"}, modules={"broken_plugin": WRONG_TYPE})
    proc = subprocess.run([sys.executable, "-m", "strbench.cli.main", "plugins", "--json"],
                          capture_output=True, text=True, timeout=120)
    import json

    listing = {p["name"]: p for p in json.loads(proc.stdout)}
    assert listing["dummy"]["algorithms"]["dummy"]["variants"]["base"]["charset_size"] == 36
    assert listing["z_broken"]["errors"]
    assert proc.returncode == 1


def test_every_hook_has_exactly_one_facade_method() -> None:
    import inspect

    from strbench.plugin import hookspecs
    from strbench.plugin.host import HOOK_METHODS, PluginHost

    specs = {name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("strbench_")}
    assert set(HOOK_METHODS) == specs
    assert len(set(HOOK_METHODS.values())) == len(HOOK_METHODS)
    for hook, method in HOOK_METHODS.items():
        assert callable(getattr(PluginHost, method, None)), f"PluginHost.{method} (for {hook}) is missing"


def test_only_the_host_calls_hooks_directly() -> None:
    import re

    repo = Path(__file__).resolve().parents[1]
    host = repo / "harness" / "strbench" / "plugin" / "host.py"
    offenders = [
        f"{path.relative_to(repo)}:{n}"
        for folder in ("harness", "plugins", "benchmarks", "docs")
        for path in sorted((repo / folder).rglob("*.py")) if path != host
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\.hook\.\w", line)
    ]
    assert offenders == [], "call hooks through PluginHost's facade methods"
