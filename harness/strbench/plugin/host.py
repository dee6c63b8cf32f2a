"""Plugin discovery and the typed facade the core uses to call hooks.

Every hook in :mod:`strbench.plugin.hookspecs` is called through exactly one :class:`PluginHost`
method (:data:`HOOK_METHODS`); no other module touches ``pm.hook.<name>``
(``tests/test_plugins.py`` enforces both). Registration hooks are collected per plugin, so one
broken plugin is reported (by name) while the others keep working.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from strbench.errors import UsageError
from strbench.plugin import hookspecs

if TYPE_CHECKING:
    from strbench.data.base import DatasetFormat
    from strbench.data.suite import BenchmarkSuite
    from strbench.plugin.algorithm import Algorithm
    from strbench.run.metrics import Metric
    from strbench.run.protocols import Protocol
    from strbench.run.record import Record
    from strbench.run.runinfo import RunInfo

ENTRY_POINT_GROUP = "strbench"
DISABLE_AUTOLOAD_ENV = "STRBENCH_DISABLE_PLUGIN_AUTOLOAD"
EXTRA_PLUGINS_ENV = "STRBENCH_PLUGINS"
BUILTIN_PLUGINS = (
    "strbench.builtin.datasets",
    "strbench.builtin.protocols",
    "strbench.builtin.metrics",
)

#: The one :class:`PluginHost` method through which each hook is called.
HOOK_METHODS = {
    "strbench_algorithms": "algorithms",
    "strbench_dataset_formats": "dataset_formats",
    "strbench_benchmark_suites": "suites",
    "strbench_protocols": "protocols",
    "strbench_metrics": "metrics",
    "strbench_addoption": "add_options",
    "strbench_run_start": "notify_run_start",
    "strbench_run_end": "notify_run_end",
    "strbench_result_written": "notify_result_written",
}


@dataclass
class PluginInfo:
    """What ``strbench plugins`` shows about one plugin."""

    name: str
    source: str  # "builtin", "entry point", "module", "object"
    version: str | None = None
    distribution: str | None = None
    hooks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    algorithms: dict[str, list[str]] = field(default_factory=dict)


def parse_plugin_args(values: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split ``-p`` values into (blocked names from ``no:NAME``, modules to load)."""
    blocked: list[str] = []
    load: list[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            (blocked if item.startswith("no:") else load).append(item.removeprefix("no:"))
    return blocked, load


class PluginHost:
    """Owns the pluggy manager: loads built-ins, entry points and extra modules, validates them."""

    def __init__(
        self,
        *,
        blocked: Iterable[str] = (),
        load: Iterable[str] = (),
        autoload: bool | None = None,
        extra_plugins: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._info: dict[str, PluginInfo] = {}
        self._cache: dict[str, Any] = {}
        for name in blocked:
            self.pm.set_blocked(name)
        for module in BUILTIN_PLUGINS:
            self._register_module(module, name=module.rsplit(".", 1)[-1], source="builtin")
        if autoload is None:
            autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
        if autoload:
            self._load_entry_points()
        env_modules = [m for m in os.environ.get(EXTRA_PLUGINS_ENV, "").split(",") if m.strip()]
        for module in [*env_modules, *load]:
            self._register_module(module.strip(), name=module.strip(), source="module")
        for name, plugin in extra_plugins:
            self._register(plugin, name, PluginInfo(name=name, source="object"))

    # -- loading ---------------------------------------------------------------------------

    def _load_entry_points(self) -> None:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if self.pm.is_blocked(ep.name) or self.pm.has_plugin(ep.name):
                continue
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                source="entry point",
                version=dist.version if dist else None,
                distribution=dist.metadata["Name"] if dist else None,
            )
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not stop the others
                info.errors.append(f"cannot import {ep.value!r}: {type(exc).__name__}: {exc}")
                self._info[ep.name] = info
                continue
            self._register(plugin, ep.name, info)

    def _register_module(self, module: str, *, name: str, source: str) -> None:
        if self.pm.is_blocked(name) or self.pm.has_plugin(name):
            return
        info = PluginInfo(name=name, source=source)
        try:
            plugin = importlib.import_module(module)
        except Exception as exc:
            info.errors.append(f"cannot import {module!r}: {type(exc).__name__}: {exc}")
            self._info[name] = info
            return
        info.version = getattr(plugin, "__version__", None)
        if source == "builtin":
            from strbench import __version__

            info.version = __version__
        self._register(plugin, name, info)

    def _register(self, plugin: Any, name: str, info: PluginInfo) -> None:
        if self.pm.is_blocked(name):
            return
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            info.errors.append(f"invalid hook implementation: {exc}")
            self._info[name] = info
            return
        except ValueError as exc:  # duplicate plugin name or object
            info.errors.append(str(exc))
            self._info[f"{name} (duplicate)"] = info
            return
        unknown = [hc.name for hc in self.pm.get_hookcallers(plugin) or [] if hc.spec is None]
        if unknown:
            info.errors.append(
                f"implements unknown hook(s) {', '.join(sorted(unknown))}; "
                f"known hooks start with 'strbench_' and are listed in docs/plugin_hooks.md"
            )
            self.pm.unregister(plugin)
        info.hooks = sorted(hc.name for hc in self.pm.get_hookcallers(plugin) or [])
        if info.version is None:
            info.version = getattr(plugin, "__version__", None)
        self._info[name] = info

    # -- collection ------------------------------------------------------------------------

    def _collect(self, hook_name: str, expected: type[Any], what: str) -> list[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook_name)
        out: list[tuple[str, Any]] = []
        for impl in caller.get_hookimpls():  # registration order
            plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            info = self._info.setdefault(plugin_name, PluginInfo(name=plugin_name, source="object"))
            try:
                result = impl.function()
            except Exception as exc:
                info.errors.append(f"{hook_name}() raised {type(exc).__name__}: {exc}")
                continue
            items = result if isinstance(result, list | tuple) else ([] if result is None else [result])
            for item in items:
                if not isinstance(item, expected):
                    info.errors.append(
                        f"{hook_name}() returned {type(item).__name__}, expected {expected.__name__} "
                        f"({what}); fix the plugin '{plugin_name}'"
                    )
                    continue
                out.append((plugin_name, item))
        return out

    def _named(self, hook_name: str, expected: type[Any], key: str, what: str) -> dict[str, Any]:
        if hook_name in self._cache:
            return self._cache[hook_name]
        named: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin_name, item in self._collect(hook_name, expected, what):
            ident = getattr(item, key)
            if ident in named:
                self._info[plugin_name].errors.append(
                    f"duplicate {what} name {ident!r}: already provided by plugin '{owner[ident]}'"
                )
                continue
            named[ident] = item
            owner[ident] = plugin_name
        self._cache[hook_name] = named
        self._cache[hook_name + ":owner"] = owner
        return named

    # -- typed facade: one method per hook ----------------------------------------------------

    def algorithms(self) -> dict[str, Algorithm]:
        """``strbench_algorithms``: every valid algorithm by name."""
        from strbench.plugin.algorithm import Algorithm

        fresh = "strbench_algorithms" not in self._cache
        algos = self._named("strbench_algorithms", Algorithm, "name", "algorithm")
        if fresh:
            for algo_name, plugin_name in self._cache["strbench_algorithms:owner"].items():
                self._info[plugin_name].algorithms[algo_name] = sorted(algos[algo_name].variants)
        return algos

    def algorithm(self, name: str) -> Algorithm:
        algos = self.algorithms()
        if name not in algos:
            broken = [i.name for i in self._info.values() if i.errors]
            hint = f"; plugins with errors: {', '.join(broken)} (see 'strbench plugins')" if broken else ""
            known = ", ".join(sorted(algos)) or "none installed"
            raise UsageError(f"unknown plugin/algorithm {name!r}; available: {known}{hint}")
        return algos[name]

    def algorithm_owner(self, name: str) -> PluginInfo:
        self.algorithms()
        return self._info[self._cache["strbench_algorithms:owner"][name]]

    def dataset_formats(self) -> dict[str, DatasetFormat]:
        """``strbench_dataset_formats``: every dataset format by name."""
        from strbench.data.base import DatasetFormat

        return self._named("strbench_dataset_formats", DatasetFormat, "name", "dataset format")

    def suites(self) -> dict[str, BenchmarkSuite]:
        """``strbench_benchmark_suites``: every benchmark suite by name."""
        from strbench.data.suite import BenchmarkSuite

        return self._named("strbench_benchmark_suites", BenchmarkSuite, "name", "benchmark suite")

    def protocols(self) -> dict[str, Protocol]:
        """``strbench_protocols``: every protocol by id."""
        from strbench.run.protocols import Protocol

        return self._named("strbench_protocols", Protocol, "id", "protocol")

    def protocol(self, protocol_id: str) -> Protocol:
        protocols = self.protocols()
        if protocol_id not in protocols:
            raise UsageError(
                f"unknown protocol {protocol_id!r}; available: {', '.join(sorted(protocols))}"
            )
        return protocols[protocol_id]

    def metrics(self) -> dict[str, Metric]:
        """``strbench_metrics``: every metric by name."""
        from strbench.run.metrics import Metric

        return self._named("strbench_metrics", Metric, "name", "metric")

    def add_options(self, parser: argparse.ArgumentParser, command: str) -> None:
        """``strbench_addoption``: let plugins add options to sub-command ``command``."""
        self.pm.hook.strbench_addoption(parser=parser, command=command)

    def notify_run_start(self, run: RunInfo) -> None:
        """``strbench_run_start``: a run is about to evaluate its first dataset."""
        self.pm.hook.strbench_run_start(run=run)

    def notify_run_end(self, run: RunInfo, record: Record) -> None:
        """``strbench_run_end``: the run finished; plugins get the record's JSON form (not yet written)."""
        self.pm.hook.strbench_run_end(run=run, record=record.to_json())

    def notify_result_written(self, path: Path, record: Record) -> None:
        """``strbench_result_written``: the record was written to ``path``."""
        self.pm.hook.strbench_result_written(path=path, record=record.to_json())

    def plugin_infos(self) -> list[PluginInfo]:
        """Every plugin, its version, hooks, algorithms/variants and any errors."""
        for kind in (self.algorithms, self.dataset_formats, self.suites, self.protocols, self.metrics):
            kind()
        return sorted(self._info.values(), key=lambda i: (i.source != "builtin", i.name))

    def errors(self) -> list[str]:
        return [f"{i.name}: {e}" for i in self._info.values() for e in i.errors]


_active: list[PluginHost] = []
_default: PluginHost | None = None


def current_host() -> PluginHost:
    """The host of the running command (see :func:`use_host`; the CLI sets it), else a host with
    the default settings (built-ins, entry points, ``$STRBENCH_PLUGINS``) built on first use.

    Library code that is handed no host (``strbench.train(task, cfg)``, ``strbench.open_dataset(path)``)
    resolves protocols, metrics and dataset formats through it, so a plugin's registrations work
    there exactly as in ``strbench run``."""
    global _default
    if _active:
        return _active[-1]
    if _default is None:
        _default = PluginHost()
    return _default


@contextmanager
def use_host(host: PluginHost) -> Iterator[PluginHost]:
    """Make ``host`` the :func:`current_host` inside the ``with`` block."""
    _active.append(host)
    try:
        yield host
    finally:
        _active.pop()
