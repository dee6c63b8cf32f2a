"""``strbench data suites`` (the suites, their versions, expected counts and what a data root
holds) and ``strbench data fetch`` (download what has a public URL, or say how to get it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from strbench import ui
from strbench.data.fetch import fetch_suite, manual_steps
from strbench.data.suite import BenchmarkSuite, LocatedVersion, locate
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost


def register(data_sub: argparse._SubParsersAction) -> None:
    s = data_sub.add_parser("suites", help="list the benchmark suites, their versions and expected counts")
    s.add_argument("--data-root", type=Path, help="also show which versions are found below this folder")
    s.add_argument("--suite", help="only this suite")
    s.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")
    f = data_sub.add_parser("fetch", help="download a suite's data where it has a public URL")
    f.add_argument("name", metavar="SUITE", help="suite name ('strbench data suites' lists them)")
    f.add_argument("--to", dest="dest", type=Path, required=True, metavar="DIR", help="destination data root")


def _suites(host: PluginHost, name: str | None) -> list[BenchmarkSuite]:
    suites = host.suites()
    if name is None:
        return list(suites.values())
    if name not in suites:
        raise UsageError(f"unknown suite {name!r}; available: {', '.join(sorted(suites))}")
    return [suites[name]]


def _count(n: int | None) -> str:
    return "unpublished" if n is None else f"{n:,}"


def suites(args: argparse.Namespace, host: PluginHost) -> int:
    if args.data_root is not None and not args.data_root.is_dir():
        raise UsageError(f"--data-root {args.data_root} is not a folder")
    chosen = _suites(host, args.suite)
    formats = host.dataset_formats()
    found: dict[str, list[LocatedVersion]] = {}
    if args.data_root is not None:
        found = {s.name: locate(args.data_root, s, formats) for s in chosen}
    if args.json:
        print(json.dumps([{
            "suite": s.name, "description": s.description, "source": s.source, "protocol_note": s.protocol_note,
            "groups": {k: list(v) for k, v in s.groups.items()},
            "versions": [{"name": v.name, "expected": v.expected, "folder_names": list(v.folder_names),
                          "label_files": list(v.label_files), "note": v.note} for v in s.versions],
            "found": [{"version": loc.version.name, "status": loc.status, "found": loc.found,
                       "path": str(loc.path) if loc.path else None} for loc in found.get(s.name, [])],
        } for s in chosen], indent=2))
        return 0
    for s in chosen:
        table = Table(title=f"{s.name}: {s.description}")
        columns = ["version", "expected", "looked for"] + (["found", "status"] if found else [])
        for column in columns:
            table.add_column(column)
        located = {loc.version.name: loc for loc in found.get(s.name, [])}
        for v in s.versions:
            row = [v.name, _count(v.expected), escape(", ".join((v.folder_names + v.label_files)[:3]) + " ...")]
            if found:
                loc = located[v.name]
                style = {"ok": "green", "missing": "yellow"}.get(loc.status, "red")
                row += ["-" if loc.found is None else f"{loc.found:,}", f"[{style}]{loc.status}[/{style}]"]
            table.add_row(*row)
        ui.console.print(table)
        for label, text in (("groups", ", ".join(f"{k} ({len(v)})" for k, v in s.groups.items())),
                            ("published", s.source), ("protocol", s.protocol_note)):
            if text:
                ui.console.print(f"  {label}: {escape(text)}", soft_wrap=True)
    return 0


def fetch(args: argparse.Namespace, host: PluginHost) -> int:
    [suite] = _suites(host, args.name)
    if not suite.downloads:
        ui.console.print(f"{suite.name} has no direct public download; {escape(manual_steps(suite, args.dest))}",
                         soft_wrap=True)
        return 1
    with ui.progress() as bar:
        task = bar.add_task(f"fetch {suite.name}", total=None)
        files = fetch_suite(suite, args.dest, lambda n: bar.advance(task, n))
    for path in files:
        ui.console.print(f"downloaded {escape(str(path))}", soft_wrap=True)
    ui.console.print(f"check it: strbench data suites --suite {suite.name} --data-root {escape(str(args.dest))}",
                     soft_wrap=True)
    return 0
