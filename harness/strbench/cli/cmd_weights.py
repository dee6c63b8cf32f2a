"""``strbench weights import``: convert foreign weights (e.g. PaddleOCR releases) safely;
``strbench weights releases``: the published weights each algorithm accepts as ``--weights ALIAS``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from strbench import ui
from strbench.errors import NotSupportedError
from strbench.plugin.host import PluginHost
from strbench.plugin.types import to_jsonable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="import/convert weights")
    wsub = p.add_subparsers(dest="weights_command", required=True, metavar="ACTION")
    imp = wsub.add_parser("import", help="convert foreign weights (no pickle code is executed)")
    imp.add_argument("--algorithm", "--plugin", dest="algorithm", required=True, metavar="NAME",
                     help="algorithm (--plugin is an alias)")
    imp.add_argument("--variant", "--backbone", dest="variant", metavar="VARIANT", help="--backbone is an alias")
    imp.add_argument("source", type=Path, help="e.g. a PaddleOCR release .tar or best_accuracy.pdparams")
    imp.add_argument("dest", type=Path, help="output weights file (.safetensors)")
    imp.set_defaults(func=run_import)
    rel = wsub.add_parser("releases", help="list the published weights usable as --weights ALIAS")
    rel.add_argument("--algorithm", "--plugin", dest="algorithm", metavar="NAME",
                     help="only this algorithm (--plugin is an alias)")
    rel.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    rel.set_defaults(func=run_releases)


def run_releases(args: argparse.Namespace, host: PluginHost) -> int:
    from rich.table import Table

    algorithms = {args.algorithm: host.algorithm(args.algorithm)} if args.algorithm else host.algorithms()
    rows = [
        {"algorithm": name, "variant": variant, "alias": alias, "reported_accuracy": release.reported_accuracy,
         "cached": release.converted_path().is_file(), "url": release.url, "sha256": release.sha256}
        for name, algorithm in sorted(algorithms.items())
        for alias, per_variant in sorted(algorithm.weight_releases.items())
        for variant, release in sorted(per_variant.items())
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title="published weights (--weights ALIAS: downloaded and converted on first use)")
    for column in ("algorithm", "variant", "alias", "reported accuracy", "cached", "url"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["algorithm"], row["variant"], row["alias"], row["reported_accuracy"] or "-",
                      "yes" if row["cached"] else "no", row["url"])
    if not rows:
        ui.info("no algorithm declares published weights")
        return 0
    ui.console.print(table)
    return 0


def run_import(args: argparse.Namespace, host: PluginHost) -> int:
    algorithm = host.algorithm(args.algorithm)
    if not algorithm.capabilities.import_weights:
        raise NotSupportedError(f"algorithm {algorithm.name!r} cannot import foreign weights")
    variant = algorithm.variant(args.variant).name
    facts = algorithm.import_weights(variant, args.source, args.dest)
    ui.console.print(json.dumps(to_jsonable(facts), indent=1))
    ui.info(f"written: {args.dest}")
    return 0
