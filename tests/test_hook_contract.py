"""The hook contract: public types, correct docstrings, and ordering through pluggy's hook loop."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from dataclasses import fields, is_dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import strbench
from strbench.plugin import hookspecs
from strbench.plugin.host import PluginHost

HOOKS = {name: f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("strbench_")}
DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin_hooks.md"


def _hint_namespace() -> dict[str, Any]:
    """The names the hookspecs import under TYPE_CHECKING, resolved."""
    source = inspect.getsource(hookspecs)
    namespace: dict[str, Any] = dict(vars(hookspecs))
    for module, names in re.findall(r"^\s+from (strbench\.[\w.]+) import (\w+(?:, \w+)*)$", source, re.M):
        for name in names.split(", "):
            namespace[name] = getattr(importlib.import_module(module), name)
    return namespace


def _classes(hint: Any) -> list[type]:
    found = [hint] if isinstance(hint, type) else []
    for arg in typing.get_args(hint):
        found += _classes(arg)
    return found


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_type_a_hook_receives_or_returns_is_public(name: str) -> None:
    hints = typing.get_type_hints(HOOKS[name], globalns=_hint_namespace())
    for cls in {c for hint in hints.values() for c in _classes(hint)}:
        if cls.__module__ in ("builtins", "typing", "argparse", "pathlib"):
            continue
        public = getattr(strbench, cls.__name__, None)
        assert public is cls and cls.__name__ in strbench.__all__, (
            f"{name} uses {cls.__module__}.{cls.__name__}, which strbench does not export")


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted`` and walk the rest as attributes (a dataclass
    field with a default factory counts as an attribute of its class)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if hasattr(obj, attr):
                obj = getattr(obj, attr)
            elif is_dataclass(obj) and attr in {f.name for f in fields(obj)}:
                obj = None
            else:
                raise AttributeError(f"{dotted}: {obj!r} has no {attr!r}")
        return obj
    raise ImportError(dotted)


def _dotted_names(text: str) -> set[str]:
    return set(re.findall(r"\bstrbench(?:\.\w+)+", text))


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_name_a_hook_docstring_mentions_exists(name: str) -> None:
    names = _dotted_names(HOOKS[name].__doc__ or "")
    for dotted in names:
        _resolve(dotted)


def test_module_docstring_names_exist() -> None:
    for dotted in _dotted_names(hookspecs.__doc__ or ""):
        _resolve(dotted)


BUILT_IN = {"formats": "dataset_formats", "suites": "suites", "protocols": "protocols", "metrics": "metrics"}


def test_counts_and_lists_in_hook_docstrings_match_the_built_ins() -> None:
    host = PluginHost(autoload=False)
    checked = 0
    for name, func in HOOKS.items():
        doc = " ".join((func.__doc__ or "").split())
        for count, kind in re.findall(r"Built in: (\d+) (\w+)", doc):
            registered = list(getattr(host, BUILT_IN[kind])())
            assert int(count) == len(registered), f"{name} says {count} built-in {kind}: {registered}"
            listed = re.search(rf"Built in: {count} {kind}(?:, in detection order)?,? ((?:``[\w-]+``,? ?)+)", doc)
            if listed:
                assert re.findall(r"``([\w-]+)``", listed.group(1)) == registered, name
            checked += 1
    assert checked >= 4


def test_every_hook_says_since_when_in_docstring_and_docs() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name, func in HOOKS.items():
        assert re.search(r"\bSince \d+\.\d+\.\d+\.", func.__doc__ or ""), f"{name}: no 'Since X.Y.Z.'"
        section = doc.split(f"### `{name}(", 1)[1].split("\n### ", 1)[0]
        assert re.search(r"\*\*Since\*\* \d+\.\d+\.\d+", section), f"docs/plugin_hooks.md: {name} has no Since"


def test_the_deprecation_warning_is_public_and_documented() -> None:
    assert issubclass(strbench.StrbenchDeprecationWarning, DeprecationWarning)
    assert "StrbenchDeprecationWarning" in strbench.__all__
    assert "strbench.StrbenchDeprecationWarning" in DOC.read_text(encoding="utf-8")


# -- ordering through pluggy's hook loop ----------------------------------------------------


def _plugin(marker: dict[str, bool], name: str = "rival") -> ModuleType:
    """A plugin whose dataset format claims every ``.txt`` file, as ``folder`` does."""

    class Rival(strbench.DatasetFormat):
        description = "claims every .txt file"

        def __init__(self) -> None:
            self.name = name

        def detect(self, path: Path) -> bool:
            return path.suffix == ".txt"

        def open(self, path: Path) -> strbench.SampleSource:
            raise NotImplementedError

    module = ModuleType(f"plugin_{name}")

    @strbench.hookimpl(**marker)
    def strbench_dataset_formats() -> list[strbench.DatasetFormat]:
        return [Rival()]

    module.strbench_dataset_formats = strbench_dataset_formats  # type: ignore[attr-defined]
    return module


def _detected(host: PluginHost, path: Path) -> str:
    from strbench.data.loader import dataset_format

    return dataset_format(path, host.dataset_formats()).name


@pytest.fixture
def gt_file(tmp_path: Path) -> Path:
    (tmp_path / "a.png").write_bytes(b"png")
    gt = tmp_path / "gt.txt"
    gt.write_text("a.png\tword\n", encoding="utf-8")
    return gt


@pytest.mark.parametrize(("marker", "winner"), [
    ({"tryfirst": True}, "rival"),
    ({}, "folder"),
    ({"trylast": True}, "folder"),
])
def test_ordering_markers_decide_format_detection(gt_file: Path, marker: dict[str, bool], winner: str) -> None:
    host = PluginHost(autoload=False, extra_plugins=[("rival", _plugin(marker))])
    assert _detected(host, gt_file) == winner
    names = list(host.dataset_formats())
    assert names[0 if marker.get("tryfirst") else -1] == "rival", names
    assert host.errors() == []


def test_trylast_comes_after_a_later_plain_plugin(gt_file: Path) -> None:
    host = PluginHost(autoload=False, extra_plugins=[("last", _plugin({"trylast": True}, "last")),
                                                    ("plain", _plugin({}, "plain"))])
    assert list(host.dataset_formats())[-2:] == ["plain", "last"]


def test_a_name_clash_keeps_the_first_in_precedence_order() -> None:
    import strbench.builtin.datasets as builtin

    class Folder(builtin.FolderFormat):
        description = "a replacement of the built-in folder format"

    module = ModuleType("replacement")

    @strbench.hookimpl(tryfirst=True)
    def strbench_dataset_formats() -> list[strbench.DatasetFormat]:
        return [Folder()]

    module.strbench_dataset_formats = strbench_dataset_formats  # type: ignore[attr-defined]
    host = PluginHost(autoload=False, extra_plugins=[("replacement", module)])
    assert type(host.dataset_formats()["folder"]) is Folder
    assert any(e.startswith("datasets: duplicate dataset format name 'folder'") for e in host.errors())


def test_a_wrapper_sees_and_changes_the_ordered_results() -> None:
    seen: list[list[str]] = []
    module = ModuleType("wrapping")

    @strbench.hookimpl(wrapper=True)
    def strbench_dataset_formats() -> Any:
        results = yield
        seen.append([f.name for result in results for f in result])
        return [[f for f in result if f.name != "paddle"] for result in results]

    module.strbench_dataset_formats = strbench_dataset_formats  # type: ignore[attr-defined]
    host = PluginHost(autoload=False, extra_plugins=[("wrapping", module), ("rival", _plugin({"tryfirst": True}))])
    names = list(host.dataset_formats())
    assert seen[0][:2] == ["rival", "lmdb"] and "paddle" in seen[0]
    assert names[0] == "rival" and "paddle" not in names


def test_a_raising_wrapper_is_reported_and_left_out() -> None:
    module = ModuleType("bad_wrapper")

    @strbench.hookimpl(wrapper=True)
    def strbench_protocols() -> Any:
        yield
        raise RuntimeError("boom")

    module.strbench_protocols = strbench_protocols  # type: ignore[attr-defined]
    host = PluginHost(autoload=False, extra_plugins=[("bad_wrapper", module)])
    assert "lower36" in host.protocols()
    assert "bad_wrapper: strbench_protocols() wrapper raised RuntimeError: boom" in host.errors()


def test_every_name_the_hook_reference_mentions_exists() -> None:
    for dotted in _dotted_names(DOC.read_text(encoding="utf-8")):
        _resolve(dotted)
