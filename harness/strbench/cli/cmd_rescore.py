"""``strbench rescore``: re-score a record under another protocol from its stored predictions."""

from __future__ import annotations

import argparse
from pathlib import Path

from strbench import ui
from strbench.atomic import atomic_write_bytes
from strbench.plugin.host import PluginHost
from strbench.report.rescore import rescore_record
from strbench.report.terminal import print_run_summary
from strbench.run.records import load_record, record_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rescore", help="re-score a record under another protocol (offline)")
    p.add_argument("record", type=Path, help="a results/*.json record")
    p.add_argument("--protocol", required=True, help="protocol id to score under")
    p.add_argument("--write", action="store_true", help="store the re-scored record next to the original")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    record = load_record(args.record)
    new = rescore_record(host, args.record, record, args.protocol)
    print_run_summary(new)
    if args.write:
        out = args.record.parent / f"{new.id}.json"
        atomic_write_bytes(out, record_text(new).encode("utf-8"))
        ui.info(f"re-scored record written: {out}")
    return 0
