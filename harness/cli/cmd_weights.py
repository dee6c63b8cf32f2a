"""``strbench weights import``: convert foreign weights (e.g. PaddleOCR releases) safely."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from strbench import ui
from strbench.errors import NotSupportedError
from strbench.plugins import PluginHost
from strbench.types import to_jsonable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="import/convert weights")
    wsub = p.add_subparsers(dest="weights_command", required=True, metavar="ACTION")
    imp = wsub.add_parser("import", help="convert foreign weights (no pickle code is executed)")
    imp.add_argument("--plugin", required=True)
    imp.add_argument("--backbone", "--variant", dest="variant")
    imp.add_argument("source", type=Path, help="e.g. a PaddleOCR release .tar or best_accuracy.pdparams")
    imp.add_argument("dest", type=Path, help="output weights file (.safetensors)")
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace, host: PluginHost) -> int:
    algorithm = host.algorithm(args.plugin)
    if not algorithm.capabilities.import_weights:
        raise NotSupportedError(f"algorithm {algorithm.name!r} cannot import foreign weights")
    variant = algorithm.variant(args.variant).name
    facts = algorithm.import_weights(variant, args.source, args.dest)
    ui.console.print(json.dumps(to_jsonable(facts), indent=1))
    ui.info(f"written: {args.dest}")
    return 0
