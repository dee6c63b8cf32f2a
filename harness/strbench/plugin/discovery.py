"""Plugin discovery and validation: which plugins are loaded, and what each contributed.

:class:`PluginSet` owns the pluggy manager. It registers the built-in plugins, the entry points
of the ``strbench`` group and extra modules or objects, records every problem against the plugin
that has it (an import failure, an invalid or unknown hook, a hook that raised, a wrong return
type, a duplicate name) and turns the results of a registration hook into a typed
:class:`Registry`. It never calls a hook: that is the facade's job (:mod:`strbench.plugin.host`).

Registration hooks go through pluggy's hook loop, so ``tryfirst``, ``trylast`` and wrappers work.
Each implementation's function is guarded: an exception is reported against its plugin instead of
ending the call, and its objects come back as a :class:`Contribution` that names the plugin. An
innermost wrapper of the host's (:class:`_Precedence`) puts the contributions in precedence
order: ``tryfirst`` implementations, then plain ones, then ``trylast`` ones, each group in
registration order (built-ins first), so plugin wrappers see and may change the final order.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, TypeVar

import pluggy

from strbench.plugin import hookspecs

ENTRY_POINT_GROUP = "strbench"
DISABLE_AUTOLOAD_ENV = "STRBENCH_DISABLE_PLUGIN_AUTOLOAD"
EXTRA_PLUGINS_ENV = "STRBENCH_PLUGINS"
BUILTIN_PLUGINS = (
    "strbench.builtin.datasets",
    "strbench.builtin.protocols",
    "strbench.builtin.metrics",
)

#: Hooks whose implementations return objects the core registers (a list, or one object).
REGISTRATION_HOOKS = (
    "strbench_algorithms",
    "strbench_dataset_formats",
    "strbench_benchmark_suites",
    "strbench_protocols",
    "strbench_metrics",
)

#: The name under which the host's own precedence wrapper is registered (not a plugin).
PRECEDENCE_PLUGIN = "strbench.precedence"

T = TypeVar("T")
_hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)


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


@dataclass(frozen=True)
class Registry(Generic[T]):
    """The valid objects of one registration hook by name, in precedence order, and the name of
    the plugin that provided each."""

    items: dict[str, T]
    owners: dict[str, str]


class Contribution(list[Any]):
    """One implementation's objects (what a registration hook implementation returned, as a list),
    tagged with its plugin and its place in the precedence order."""

    def __init__(self, items: Iterable[Any], plugin: str, rank: int, order: int) -> None:
        super().__init__(items)
        self.plugin, self.rank, self.order = plugin, rank, order


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


def _as_list(result: Any) -> list[Any]:
    return list(result) if isinstance(result, list | tuple) else ([] if result is None else [result])


def _precedence_key(result: Any) -> tuple[int, float]:
    if isinstance(result, Contribution):
        return result.rank, result.order
    return 1, float("inf")


def _in_precedence_order(results: list[Any]) -> list[Any]:
    return sorted(results, key=_precedence_key)


class _Precedence:
    """The innermost wrapper of every registration hook (registered last, ``trylast``): orders
    the contributions ``tryfirst`` / plain / ``trylast``, each in registration order."""

    @_hookimpl(wrapper=True, trylast=True)
    def strbench_algorithms(self) -> Generator[None, list[Any], list[Any]]:
        return _in_precedence_order((yield))

    @_hookimpl(wrapper=True, trylast=True)
    def strbench_dataset_formats(self) -> Generator[None, list[Any], list[Any]]:
        return _in_precedence_order((yield))

    @_hookimpl(wrapper=True, trylast=True)
    def strbench_benchmark_suites(self) -> Generator[None, list[Any], list[Any]]:
        return _in_precedence_order((yield))

    @_hookimpl(wrapper=True, trylast=True)
    def strbench_protocols(self) -> Generator[None, list[Any], list[Any]]:
        return _in_precedence_order((yield))

    @_hookimpl(wrapper=True, trylast=True)
    def strbench_metrics(self) -> Generator[None, list[Any], list[Any]]:
        return _in_precedence_order((yield))


class PluginSet:
    """Loads and validates plugins into a pluggy manager (``pm``) and keeps a :class:`PluginInfo`
    per plugin; turns registration results into :class:`Registry` objects."""

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
        self.infos: dict[str, PluginInfo] = {}
        self._registered = 0
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
        # last, so that it is the innermost of the trylast wrappers
        self._precedence = _Precedence()
        self.pm.register(self._precedence, name=PRECEDENCE_PLUGIN)

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
                self.infos[ep.name] = info
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
            self.infos[name] = info
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
            self.infos[name] = info
            return
        except ValueError as exc:  # duplicate plugin name or object
            info.errors.append(str(exc))
            self.infos[f"{name} (duplicate)"] = info
            return
        callers = self.pm.get_hookcallers(plugin) or []
        unknown = [hc.name for hc in callers if hc.spec is None]
        if unknown:
            info.errors.append(
                f"implements unknown hook(s) {', '.join(sorted(unknown))}; "
                f"known hooks start with 'strbench_' and are listed in docs/plugin_hooks.md"
            )
            self.pm.unregister(plugin)
        else:
            self._guard(plugin, info, callers)
        info.hooks = sorted(hc.name for hc in self.pm.get_hookcallers(plugin) or [])
        if info.version is None:
            info.version = getattr(plugin, "__version__", None)
        self.infos[name] = info

    def _guard(self, plugin: Any, info: PluginInfo, callers: Iterable[pluggy.HookCaller]) -> None:
        """Wrap each registration implementation of ``plugin`` (pluggy calls ``HookImpl.function``):
        its exception is reported against the plugin and its objects come back as a
        :class:`Contribution`."""
        self._registered += 1
        for caller in callers:
            if caller.name not in REGISTRATION_HOOKS:
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is not plugin or impl.wrapper or impl.hookwrapper:
                    continue
                rank = 0 if impl.tryfirst else 2 if impl.trylast else 1
                guarded = _guarded(impl.function, caller.name, info, rank, self._registered)
                setattr(impl, "function", guarded)  # noqa: B010 - HookImpl.function is typed Final

    # -- validation ------------------------------------------------------------------------

    def info(self, plugin_name: str) -> PluginInfo:
        return self.infos.setdefault(plugin_name, PluginInfo(name=plugin_name, source="object"))

    def wrapper_owner(self, hook_name: str) -> str:
        """Who added objects that no implementation returned: the hook's wrapper plugin(s)."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook_name)
        names = [i.plugin_name for i in caller.get_hookimpls()
                 if (i.wrapper or i.hookwrapper) and i.plugin is not self._precedence]
        return ", ".join(dict.fromkeys(names)) or "a hook wrapper"

    def failing_wrapper(self, hook_name: str, exc: BaseException) -> str | None:
        """The plugin whose wrapper of ``hook_name`` raised ``exc`` (found in its traceback)."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook_name)
        codes = {getattr(i.function, "__code__", None): i.plugin_name for i in caller.get_hookimpls()
                 if (i.wrapper or i.hookwrapper) and i.plugin is not self._precedence}
        tb = exc.__traceback__
        found = None
        while tb is not None:
            found = codes.get(tb.tb_frame.f_code, found)
            tb = tb.tb_next
        return found

    def registry(self, hook_name: str, results: list[Any], expected: type[Any], key: str,
                 what: str) -> Registry[Any]:
        """Check the objects of one registration call (``results``: one list per implementation,
        in precedence order): type, unique ``key``; each problem is reported against its plugin."""
        items: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for result in results:
            plugin_name = result.plugin if isinstance(result, Contribution) else self.wrapper_owner(hook_name)
            info = self.info(plugin_name)
            for item in _as_list(result):
                if not isinstance(item, expected):
                    info.errors.append(
                        f"{hook_name}() returned {type(item).__name__}, expected {expected.__name__} "
                        f"({what}); fix the plugin '{plugin_name}'"
                    )
                    continue
                ident = getattr(item, key)
                if ident in items:
                    info.errors.append(
                        f"duplicate {what} name {ident!r}: already provided by plugin '{owners[ident]}'"
                    )
                    continue
                items[ident] = item
                owners[ident] = plugin_name
        return Registry(items, owners)


def _guarded(function: Callable[..., Any], hook_name: str, info: PluginInfo, rank: int,
             order: int) -> Callable[..., Contribution | None]:
    def guarded(*args: Any) -> Contribution | None:
        try:
            result = function(*args)
        except Exception as exc:  # one broken plugin must not stop the others
            info.errors.append(f"{hook_name}() raised {type(exc).__name__}: {exc}")
            return None
        return Contribution(_as_list(result), info.name, rank, order)

    guarded.__wrapped__ = function  # type: ignore[attr-defined]
    return guarded
