"""``strbench calibration RECORD...``: how well each record's confidences predict its correct words."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich import box
from rich.table import Table

from strbench import ui
from strbench.plugin.host import PluginHost
from strbench.report.calibration import (
    DEFAULT_SCOPE,
    HEADER,
    check_scope,
    markdown_table,
    notes,
    plot_record,
    rows_for,
    section_of,
)
from strbench.report.readme_block import replace_block
from strbench.run.records import load_record_json

README_BLOCK = "calibration"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibration", help="calibration of the confidences of records (ECE, Brier, AURC, "
                                           "accuracy at coverage)")
    p.add_argument("record", type=Path, nargs="+", help="results/*.json records")
    p.add_argument("--scope", default=DEFAULT_SCOPE,
                   help=f"suite group, dataset version or 'all' (default: {DEFAULT_SCOPE}, else all)")
    p.add_argument("--per-version", action="store_true", help="also one row per dataset version")
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument("--plot", type=Path, metavar="DIR",
                   help="write a reliability diagram and a risk-coverage curve (PNG) per record into DIR")
    p.add_argument("--update-readme", type=Path, metavar="README",
                   help="put the markdown table between <!-- calibration:start --> and <!-- calibration:end -->")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    loaded = []
    for path in args.record:
        record, section, computed = section_of(host, path, load_record_json(path))
        if computed:
            ui.info(f"{path}: no calibration section; computed from its predictions "
                    f"('strbench rescore --in-place' stores it)")
        loaded.append((record, section))
    check_scope(loaded, args.scope)
    rows = rows_for(loaded, args.scope, args.per_version)
    if args.format == "json":
        print(json.dumps([{"record": r.record_id, "model": r.label, "protocol": r.protocol, "scope": r.scope,
                           **(r.entry or {})} for r in rows], indent=1))
    elif args.format == "markdown":
        print(markdown_table(rows), end="")
        for note in notes(rows):
            print(f"\n- {note}", end="")
        print()
    else:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for i, col in enumerate(HEADER):
            table.add_column(col, justify="left" if i < 2 else "right", overflow="fold")
        for r in rows:
            table.add_row(*r.cells())
        ui.console.print(table)
        for note in notes(rows):
            ui.console.print(f"- {note}", highlight=False, markup=False)
    if args.update_readme:
        replace_block(args.update_readme, README_BLOCK, markdown_table(rows))
        ui.info(f"calibration table updated in {args.update_readme}")
    if args.plot:
        for record, section in loaded:
            written = plot_record(record, section, args.scope, args.plot)
            if written:
                ui.info("plots written: " + ", ".join(str(p) for p in written))
            else:
                ui.info(f"{record.id}: no plots (confidence not informative)")
    return 0
