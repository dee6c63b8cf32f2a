"""``strbench report``: a browsable static site of the records (leaderboards, speed, plots, record pages)."""

from __future__ import annotations

import argparse
from pathlib import Path

from strbench import ui
from strbench.cli.cmd_leaderboard import check_group, report_exclusions, untrained_notes
from strbench.plugin.host import PluginHost
from strbench.report import leaderboard as lb


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a static HTML site of the results (open index.html; no network needed)")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--output", "-o", type=Path, default=Path("report"), metavar="DIR",
                   help="folder to write the site into (default: report)")
    p.add_argument("--group", default=lb.DEFAULT_GROUP, help="suite group whose averages are shown")
    p.add_argument("--include-subsets", action="store_true", help="include --limit subset runs (marked)")
    p.add_argument("--include-synthetic", action="store_true", help="include runs on the synthetic default set")
    p.add_argument("--include-contended", action="store_true",
                   help="use perf measurements taken under CPU contention (marked)")
    p.add_argument("--perf-device", default=None, metavar="DEVICE", help="speed measured on this device only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    from strbench.report.site import build_site

    check_group(args.group, host)
    board = build_site(args.results_dir, args.output, suites=host.suites(), group=args.group,
                       include_subsets=args.include_subsets, include_synthetic=args.include_synthetic,
                       include_contended=args.include_contended, perf_device=args.perf_device,
                       extra_notes=lambda rows: untrained_notes(host, rows))
    report_exclusions(board, args.results_dir)
    ui.console.print(f"report written: {args.output / 'index.html'}", highlight=False, markup=False)
    return 0
