"""``strbench plugins``: every plugin with its version, hooks, algorithms/variants and errors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from strbench import ui
from strbench.plugin.host import PluginHost, PluginInfo
from strbench.plugin.types import Capabilities, to_jsonable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="list plugins, versions, hooks, algorithms and variants")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    infos = host.plugin_infos()
    algos = host.algorithms()
    if args.json:
        out = []
        for info in infos:
            entry = to_jsonable(info)
            entry["algorithms"] = {
                name: {"variants": {v: {"description": var.description, "params": var.num_parameters,
                                        "charset_size": len(var.charset), "cased": var.cased}
                                    for v, var in algos[name].variants.items()},
                       "capabilities": to_jsonable(algos[name].capabilities),
                       "default_protocol": algos[name].default_protocol}
                for name in info.algorithms
            }
            out.append(entry)
        print(json.dumps(out, indent=1))
        return 1 if host.errors() else 0
    ui.console.print(plugins_table(infos))
    if algos:
        ui.console.print(algorithms_table(infos, algos))
    for problem in host.errors():
        ui.console.print(f"[red]error:[/red] {problem}")
    return 1 if host.errors() else 0


def _table(title: str, columns: tuple[str, ...]) -> Table:
    """A table whose cells are never cut: long cells fold onto more lines rather than end in '…'."""
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def plugins_table(infos: list[PluginInfo]) -> Table:
    """One row per plugin: version, where it came from (its distribution on a line of its own),
    its hooks one per line (about 70 columns wide)."""
    table = _table("strbench plugins", ("plugin", "version", "source", "hooks"))
    for info in infos:
        source = info.source + (f"\n{info.distribution}" if info.distribution else "")
        table.add_row(info.name, info.version or "-", source,
                      "\n".join(h.removeprefix("strbench_") for h in info.hooks) or "-")
    return table


def capability_lines(c: Capabilities) -> list[str]:
    """``infer, train`` / ``export: onnx`` / ``import: paddle``: what an algorithm supports."""
    lines = [", ".join(["infer"] + (["train"] if c.train else []))]
    if c.export:
        lines.append(f"export: {', '.join(c.export)}")
    if c.import_weights:
        lines.append(f"import: {', '.join(c.import_weights)}")
    return lines


def algorithms_table(infos: list[PluginInfo], algos: Mapping[str, Any]) -> Table:
    """One row per algorithm: the plugin providing it, its variants and capabilities."""
    table = _table("algorithms", ("algorithm", "plugin", "variants", "capabilities"))
    for info in infos:
        for name, variants in info.algorithms.items():
            table.add_row(name, info.name, ", ".join(variants), "\n".join(capability_lines(algos[name].capabilities)))
    return table
