"""Every hook specification is documented, with its exact signature, in docs/plugin_hooks.md."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from strbench.plugin import hookspecs

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin_hooks.md"
HOOKS = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("strbench_")]


def test_hooks_found() -> None:
    assert len(HOOKS) >= 9


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented(name: str) -> None:
    func = getattr(hookspecs, name)
    args = ", ".join(inspect.signature(func).parameters)
    assert f"### `{name}({args})`" in DOC.read_text(encoding="utf-8"), f"document {name}({args}) in {DOC}"


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_has_docstring(name: str) -> None:
    assert (getattr(hookspecs, name).__doc__ or "").strip()
