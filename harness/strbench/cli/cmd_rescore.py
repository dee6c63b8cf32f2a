"""``strbench rescore``: re-score records under another protocol from their stored predictions."""

from __future__ import annotations

import argparse
from pathlib import Path

from strbench import ui
from strbench.atomic import atomic_write_bytes
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost
from strbench.report.rescore import own_protocol, rescore_record
from strbench.report.terminal import print_run_summary
from strbench.run.records import load_record_json, parse_record, record_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rescore", help="re-score records under another protocol (offline)")
    p.add_argument("record", type=Path, nargs="+", help="results/*.json records")
    p.add_argument("--protocol", help="protocol id to score under (default: the current version of the "
                                      "record's own protocol)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--write", action="store_true", help="store the re-scored record next to the original")
    out.add_argument("--in-place", action="store_true",
                     help="replace the record with its re-scored self (same id, same predictions file)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    for path in args.record:
        raw = load_record_json(path)
        record = parse_record(path, raw)
        protocol = args.protocol or own_protocol(record)
        if args.in_place and protocol != own_protocol(record):
            raise UsageError("--in-place keeps the record's id, which names its protocol; use --write to score "
                             "under another protocol")
        new = rescore_record(host, path, raw, protocol, keep_id=args.in_place)
        print_run_summary(new)
        if args.write or args.in_place:
            out_path = path if args.in_place else path.parent / f"{new.id}.json"
            atomic_write_bytes(out_path, record_text(new).encode("utf-8"))
            ui.info(f"re-scored record written: {out_path} ({record.protocol.key} -> {new.protocol.key})")
    return 0
