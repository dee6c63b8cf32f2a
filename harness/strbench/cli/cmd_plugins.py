"""``strbench plugins``: every plugin with its version, hooks, algorithms/variants and errors."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from strbench import ui
from strbench.plugin.host import PluginHost
from strbench.plugin.types import to_jsonable


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
    table = Table(title="strbench plugins")
    for col in ("plugin", "version", "source", "hooks", "algorithms (variants)", "capabilities"):
        table.add_column(col)
    for info in infos:
        caps = []
        for name in info.algorithms:
            c = algos[name].capabilities
            caps.append(", ".join(["infer"] + (["train"] if c.train else []) +
                                  [f"export:{f}" for f in c.export] + [f"import:{f}" for f in c.import_weights]))
        table.add_row(
            info.name, info.version or "-", info.source + (f" ({info.distribution})" if info.distribution else ""),
            "\n".join(h.removeprefix("strbench_") for h in info.hooks) or "-",
            "\n".join(f"{a} ({', '.join(v)})" for a, v in info.algorithms.items()) or "-",
            "\n".join(caps) or "-",
        )
    ui.console.print(table)
    for problem in host.errors():
        ui.console.print(f"[red]error:[/red] {problem}")
    return 1 if host.errors() else 0
