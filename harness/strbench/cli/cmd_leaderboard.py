"""``strbench leaderboard``: render the records under results/ as markdown, HTML, CSV, JSON or a terminal table."""

from __future__ import annotations

import argparse
import dataclasses
import json
import textwrap
from pathlib import Path

from rich import box
from rich.table import Table

from strbench import ui
from strbench.atomic import atomic_write_bytes
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost
from strbench.report import leaderboard as lb
from strbench.run.preflight import check_output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="render leaderboards from result records")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--format", choices=("terminal", "markdown", "html", "csv", "json"), default="terminal")
    p.add_argument("--json", action="store_true", help="same as --format json: rows, exclusions and notes")
    p.add_argument("--wide", action="store_true",
                   help="terminal: every benchmark version and speed figure (default: a compact view)")
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")
    p.add_argument("--group", default=lb.DEFAULT_GROUP, help="suite group whose averages are shown")
    p.add_argument("--protocol", help="only rows of this protocol id")
    p.add_argument("--include-subsets", action="store_true", help="include --limit subset runs")
    p.add_argument("--include-synthetic", action="store_true", help="include runs on the synthetic default set")
    p.add_argument("--include-training", action="store_true",
                   help="include the evaluations of training snapshots (records under training/)")
    p.add_argument("--include-contended", action="store_true",
                   help="use perf measurements taken under CPU contention for the speed columns (marked *)")
    p.add_argument("--perf-device", default=None, metavar="DEVICE",
                   help="speed columns measured on this device only (cpu, cuda); default: the newest of any")
    p.add_argument("--ci", action="store_true", help="show 95%% intervals in terminal and markdown cells")
    p.add_argument("--aggregate", action="store_true",
                   help="one row per model and protocol over all its runs: mean ± std and the run count")
    p.add_argument("--significance", action="store_true",
                   help="mark rows not significantly different from the row above (paired bootstrap)")
    p.add_argument("--plot", type=Path, help="also write the speed-accuracy scatter plot (PNG)")
    p.add_argument("--update-readme", type=Path, metavar="README",
                   help="replace the markdown table between the leaderboard markers of this file")
    p.set_defaults(func=run)


def untrained_notes(host: PluginHost, rows: list[lb.Row]) -> list[str]:
    """One note per installed algorithm that ships no weights and has no trained row on the board."""
    trained = {r.algorithm for r in rows if r.trained}
    shown = {r.algorithm for r in rows}
    out = []
    for name, algo in sorted(host.algorithms().items()):
        if name in trained or any(v.default_weights is not None for v in algo.variants.values()):
            continue
        state = "its rows above ran UNTRAINED weights" if name in shown else "it has no rows yet"
        note = f"{name} ({', '.join(algo.variants)}): no trained weights are available offline, so {state}"
        aliases = sorted(algo.weight_releases)
        if aliases:
            note += (f"; rank it with its published weights: --weights {' | '.join(aliases)} "
                     f"(downloaded on first use, see 'strbench weights releases')")
        out.append(note + ".")
    return out


def check_group(group: str, host: PluginHost) -> None:
    """Reject a ``--group`` no installed suite defines, listing the known ones."""
    known = sorted({name for suite in host.suites().values() for name in suite.groups})
    if known and group not in known:
        raise UsageError(f"unknown group {group!r}; the installed suites define: {', '.join(known)}")


def report_exclusions(board: lb.Board, results_dir: Path) -> None:
    """Say how many records were read and why each one left out is not on the board."""
    shown = len(board.rows)
    other = f" (and {board.not_records} other .json files that are not records)" if board.not_records else ""
    message = f"{board.found} records found under {results_dir}{other}: {shown} rows shown"
    if board.excluded:
        message += f", {len(board.excluded)} records left out:"
    if shown == 0:
        ui.warn(message if board.found else f"no records found under {results_dir}{other}")
    else:
        ui.info(message)
    for item in board.excluded:
        (ui.warn if shown == 0 else ui.info)(f"  {item.record}: {item.reason}")


def run(args: argparse.Namespace, host: PluginHost) -> int:
    for out, option in ((args.output, "--output"), (args.plot, "--plot"), (args.update_readme, "--update-readme")):
        if out is not None:
            check_output_file(out, option)
    check_group(args.group, host)
    fmt = "json" if args.json else args.format
    board = lb.collect(args.results_dir, group=args.group, include_subsets=args.include_subsets,
                       include_synthetic=args.include_synthetic, perf_device=args.perf_device,
                       include_training=args.include_training,
                       protocol=args.protocol, include_contended=args.include_contended, aggregate=args.aggregate)
    rows = board.rows
    if args.significance:
        from strbench.report.compare import mark_similar

        mark_similar(rows, args.group)
    report_exclusions(board, args.results_dir)
    extra = [*board.speed_notes, *untrained_notes(host, rows)]
    for _, message in board.problems:
        ui.warn(f"left out of the leaderboard: {message}")
    if board.problems:
        extra.append(f"{len(board.problems)} record(s) could not be read and are not shown: "
                     f"{', '.join(p.name for p, _ in board.problems)}; rows may not be current.")
    references = lb.reference_rows(host.algorithms())
    layout = lb.suite_layout(rows, host.suites())
    plot_png = None
    if args.plot or fmt == "html":
        from strbench.report.plots import speed_accuracy_png

        plot_png = speed_accuracy_png(rows, args.group)
        if args.plot and plot_png:
            atomic_write_bytes(args.plot, plot_png)
    if fmt == "terminal":
        print_terminal(rows, args.group, layout, [*lb.notes(rows, args.group, layout), *extra], references,
                       wide=args.wide, ci=args.ci)
        return 0
    text = {"markdown": lambda: lb.to_markdown(rows, args.group, extra, layout, references, args.ci),
            "html": lambda: lb.to_html(rows, args.group, plot_png, extra, layout, references),
            "csv": lambda: lb.to_csv(rows, args.group, layout),
            "json": lambda: board_json(board, args.group, [*lb.notes(rows, args.group, layout), *extra])}[fmt]()
    if args.update_readme:
        update_readme(args.update_readme, lb.to_markdown(rows, args.group, extra, layout, references, args.ci))
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"))
        ui.info(f"written: {args.output}")
    elif not args.update_readme:
        print(text, end="")
    return 0


def board_json(board: lb.Board, group: str, notes: list[str]) -> str:
    """The board as JSON: rows (every field), the records left out and why, and the notes."""
    out = {"group": group, "records_found": board.found, "rows": [dataclasses.asdict(r) for r in board.rows],
           "excluded": [dataclasses.asdict(e) for e in board.excluded], "notes": notes}
    return json.dumps(out, indent=1, ensure_ascii=False, default=str) + "\n"  # default: Path -> str


COMPACT_WIDTH = 100  # the default terminal view fits this many columns
COMPACT_MAX_WIDTHS = {0: 14, 1: 14, 2: 33, 3: 12}  # name columns fold beyond these (only very long names)


def print_terminal(rows: list[lb.Row], group: str, layout: lb.Layout, notes: list[str],
                   references: list[lb.ReferenceRow], *, wide: bool, ci: bool = False) -> None:
    """The compact view (fits 100 columns; notes wrapped between words, never inside a name, path
    or URL) or, with ``wide``, every column."""
    header, cells = lb.table(rows, group, layout, ci) if wide else lb.compact_table(rows, group, ci)
    table = Table(title="strbench leaderboard" + ("" if wide else " (--wide: every version and speed figure)"),
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for i, col in enumerate(header):
        table.add_column(col, overflow="fold", justify="left" if i < 4 else "right",
                         max_width=None if wide else COMPACT_MAX_WIDTHS.get(i))
    for row in cells:
        table.add_row(*row)
    ui.console.print(table)
    if not wide:
        notes = [*notes, *(f"{lb.REFERENCE_TITLE}: {r.algorithm} {r.variant}, {r.reported_accuracy} by "
                           f"{r.reported_by}, {r.weights}, {r.source}" for r in references)]
    for note in notes:
        text = f"- {note}"
        if not wide:
            text = textwrap.fill(text, COMPACT_WIDTH, subsequent_indent="  ", break_long_words=False,
                                 break_on_hyphens=False)
        ui.console.print(text, highlight=False, markup=False)
    if references and wide:
        ref = Table(title=lb.REFERENCE_TITLE, box=box.SIMPLE_HEAD, pad_edge=False)
        for col in lb.REFERENCE_HEADER:
            ref.add_column(col, overflow="fold")
        for r in references:
            ref.add_row(r.algorithm, r.variant, r.weights, r.reported_accuracy, r.reported_by, r.source)
        ui.console.print(ref)


def update_readme(path: Path, markdown: str) -> None:
    """Put ``markdown`` between ``<!-- leaderboard:start -->`` and ``<!-- leaderboard:end -->``."""
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
    if start not in text or end not in text:
        raise UsageError(f"{path} has no '{start}' ... '{end}' markers")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    atomic_write_bytes(path, f"{head}{start}\n{markdown}{end}{tail}".encode())
    ui.info(f"leaderboard updated in {path}")
