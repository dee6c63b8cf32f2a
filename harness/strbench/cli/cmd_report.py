"""``strbench report``: a browsable static site of the records (leaderboards, speed, plots, record pages,
error galleries)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from strbench import ui
from strbench.cli.cmd_leaderboard import check_group, report_exclusions, untrained_notes
from strbench.cli.common import non_negative_int
from strbench.plugin.host import PluginHost
from strbench.report import leaderboard as lb
from strbench.run.preflight import check_new_folder


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
    p.add_argument("--gallery-size", type=non_negative_int, default=120, metavar="N",
                   help="wrong samples in each record's error gallery, from every version in turn (default 120; "
                        "0: no galleries)")
    p.add_argument("--data-root", type=Path, metavar="DIR",
                   help="where the benchmark sets are, for the galleries' thumbnails, if not where the records ran")
    p.add_argument("--overwrite", action="store_true", help="replace the report an existing DIR already holds")
    p.set_defaults(func=run)


#: What a report folder holds; any other entry means DIR is someone else's folder.
REPORT_FILES = ("index.html", "records", "plots")


def display_names(algorithms: dict[str, Any]) -> dict[str, str]:
    """How the pages write each algorithm: the plugin's own spelling of its name when its description
    starts with it (``RARE: ...`` -> ``RARE``), else the algorithm's id."""
    names = {}
    for name, algo in algorithms.items():
        words = str(getattr(algo, "description", "") or "").split()
        first = words[0].rstrip(":,;") if words else ""
        if first.lower() == name.lower():
            names[name] = first
    return names


def run(args: argparse.Namespace, host: PluginHost) -> int:
    from strbench.report.site import build_site

    check_group(args.group, host)
    check_new_folder(args.output, "--output", overwrite=args.overwrite, own=REPORT_FILES, what="a strbench report")
    algorithms = host.algorithms()
    warnings: list[str] = []
    board = build_site(args.results_dir, args.output, suites=host.suites(), group=args.group,
                       include_subsets=args.include_subsets, include_synthetic=args.include_synthetic,
                       include_contended=args.include_contended, perf_device=args.perf_device,
                       extra_notes=lambda rows: untrained_notes(host, rows), algorithms=algorithms,
                       names=display_names(algorithms), formats=host.dataset_formats(), data_root=args.data_root,
                       gallery_size=args.gallery_size, warnings=warnings)
    for warning in warnings[:5]:
        ui.warn(warning)
    if len(warnings) > 5:
        ui.warn(f"... and {len(warnings) - 5} more gallery warnings")
    report_exclusions(board, args.results_dir)
    ui.console.print(f"report written: {args.output / 'index.html'}", highlight=False, markup=False)
    return 0
