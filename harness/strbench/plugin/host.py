"""The typed facade the core uses to call hooks: one :class:`PluginHost` method per hook.

Every hook in :mod:`strbench.plugin.hookspecs` is called through exactly one :class:`PluginHost`
method (:data:`HOOK_METHODS`); no other module touches ``pm.hook.<name>``
(``tests/test_plugins.py`` enforces both). Loading and validating the plugins is
:mod:`strbench.plugin.discovery`'s job; the results of each registration hook are cached here as a
typed :class:`~strbench.plugin.discovery.Registry`, so one broken plugin is reported (by name)
while the others keep working.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from strbench.errors import UsageError
from strbench.plugin.discovery import (
    BUILTIN_PLUGINS,
    DISABLE_AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    EXTRA_PLUGINS_ENV,
    PluginInfo,
    PluginSet,
    Registry,
    parse_plugin_args,
)

if TYPE_CHECKING:
    from strbench.data.base import DatasetFormat
    from strbench.data.suite import BenchmarkSuite
    from strbench.plugin.algorithm import Algorithm
    from strbench.run.metrics import Metric
    from strbench.run.protocols import Protocol
    from strbench.run.record import Record
    from strbench.run.runinfo import RunInfo

__all__ = [
    "BUILTIN_PLUGINS",
    "DISABLE_AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "EXTRA_PLUGINS_ENV",
    "HOOK_METHODS",
    "PluginHost",
    "PluginInfo",
    "current_host",
    "parse_plugin_args",
    "use_host",
]

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


class PluginHost:
    """The plugins of one command (:class:`~strbench.plugin.discovery.PluginSet`) behind one
    typed method per hook."""

    def __init__(
        self,
        *,
        blocked: Iterable[str] = (),
        load: Iterable[str] = (),
        autoload: bool | None = None,
        extra_plugins: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.plugins = PluginSet(blocked=blocked, load=load, autoload=autoload, extra_plugins=extra_plugins)

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy manager (for inspection; call hooks through the methods below)."""
        return self.plugins.pm

    def _register(self, hook_name: str, expected: type[Any], key: str, what: str) -> Registry[Any]:
        """Call registration hook ``hook_name`` through pluggy and check what it returned. A
        wrapper that raises is reported against its plugin and the call is repeated without it."""
        caller: Any = getattr(self.pm.hook, hook_name)
        without: list[Any] = []
        while True:
            try:
                results = caller()
                break
            except Exception as exc:
                plugin_name = self.plugins.failing_wrapper(hook_name, exc)
                if plugin_name is None:
                    raise
                self.plugins.info(plugin_name).errors.append(
                    f"{hook_name}() wrapper raised {type(exc).__name__}: {exc}")
                without.append(self.pm.get_plugin(plugin_name))
                caller = self.pm.subset_hook_caller(hook_name, remove_plugins=without)
        return self.plugins.registry(hook_name, results, expected, key, what)

    # -- registration hooks: each cached as a typed Registry ---------------------------------

    @cached_property
    def _algorithms(self) -> Registry[Algorithm]:
        from strbench.plugin.algorithm import Algorithm

        registry = self._register("strbench_algorithms", Algorithm, "name", "algorithm")
        for algo_name, plugin_name in registry.owners.items():
            self.plugins.info(plugin_name).algorithms[algo_name] = sorted(registry.items[algo_name].variants)
        return registry

    @cached_property
    def _dataset_formats(self) -> Registry[DatasetFormat]:
        from strbench.data.base import DatasetFormat

        return self._register("strbench_dataset_formats", DatasetFormat, "name", "dataset format")

    @cached_property
    def _suites(self) -> Registry[BenchmarkSuite]:
        from strbench.data.suite import BenchmarkSuite

        return self._register("strbench_benchmark_suites", BenchmarkSuite, "name", "benchmark suite")

    @cached_property
    def _protocols(self) -> Registry[Protocol]:
        from strbench.run.protocols import Protocol

        return self._register("strbench_protocols", Protocol, "id", "protocol")

    @cached_property
    def _metrics(self) -> Registry[Metric]:
        from strbench.run.metrics import Metric

        return self._register("strbench_metrics", Metric, "name", "metric")

    # -- typed facade: one method per hook ----------------------------------------------------

    def algorithms(self) -> dict[str, Algorithm]:
        """``strbench_algorithms``: every valid algorithm by name."""
        return self._algorithms.items

    def algorithm(self, name: str) -> Algorithm:
        algos = self.algorithms()
        if name not in algos:
            broken = [i.name for i in self.plugins.infos.values() if i.errors]
            hint = f"; plugins with errors: {', '.join(broken)} (see 'strbench plugins')" if broken else ""
            known = ", ".join(sorted(algos)) or "none installed"
            raise UsageError(f"unknown plugin/algorithm {name!r}; available: {known}{hint}")
        return algos[name]

    def algorithm_owner(self, name: str) -> PluginInfo:
        return self.plugins.info(self._algorithms.owners[name])

    def dataset_formats(self) -> dict[str, DatasetFormat]:
        """``strbench_dataset_formats``: every dataset format by name, in detection order."""
        return self._dataset_formats.items

    def suites(self) -> dict[str, BenchmarkSuite]:
        """``strbench_benchmark_suites``: every benchmark suite by name."""
        return self._suites.items

    def protocols(self) -> dict[str, Protocol]:
        """``strbench_protocols``: every protocol by id."""
        return self._protocols.items

    def protocol(self, protocol_id: str) -> Protocol:
        protocols = self.protocols()
        if protocol_id not in protocols:
            raise UsageError(
                f"unknown protocol {protocol_id!r}; available: {', '.join(sorted(protocols))}"
            )
        return protocols[protocol_id]

    def metrics(self) -> dict[str, Metric]:
        """``strbench_metrics``: every metric by name."""
        return self._metrics.items

    def add_options(self, parser: argparse.ArgumentParser, command: str) -> None:
        """``strbench_addoption``: let plugins add options to sub-command ``command``."""
        self.pm.hook.strbench_addoption(parser=parser, command=command)

    def notify_run_start(self, run: RunInfo) -> None:
        """``strbench_run_start``: a run is about to evaluate its first dataset."""
        self.pm.hook.strbench_run_start(run=run)

    def notify_run_end(self, run: RunInfo, record: Record) -> None:
        """``strbench_run_end``: the run finished; plugins get the record's JSON form (not yet written)."""
        self.pm.hook.strbench_run_end(run=run, record=record.to_json())

    def notify_result_written(self, path: Path, record: Record, data: dict[str, Any] | None = None) -> None:
        """``strbench_result_written``: the record was written to ``path`` (``data``: its JSON form as
        written, when the caller has it)."""
        self.pm.hook.strbench_result_written(path=path, record=record.to_json() if data is None else data)

    # -- what the plugins are -----------------------------------------------------------------

    def plugin_infos(self) -> list[PluginInfo]:
        """Every plugin, its version, hooks, algorithms/variants and any errors."""
        for kind in (self.algorithms, self.dataset_formats, self.suites, self.protocols, self.metrics):
            kind()
        return sorted(self.plugins.infos.values(), key=lambda i: (i.source != "builtin", i.name))

    def errors(self) -> list[str]:
        return [f"{i.name}: {e}" for i in self.plugins.infos.values() for e in i.errors]


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
