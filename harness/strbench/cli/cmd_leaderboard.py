"""``strbench leaderboard``: render the records under results/ as markdown, HTML, CSV, JSON or a terminal table."""

from __future__ import annotations

import argparse
import dataclasses
import json
import textwrap
from collections import Counter
from collections.abc import Sequence
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
    p.add_argument("--format", choices=("terminal", "markdown", "readme", "html", "csv", "json"), default="terminal",
                   help="readme: a compact markdown board at most 120 characters wide (ranked rows of the primary "
                        "protocol), linking the full table")
    p.add_argument("--json", action="store_true", help="same as --format json: rows, exclusions and notes")
    p.add_argument("--wide", action="store_true",
                   help="terminal: every benchmark version and speed figure (default: a compact view)")
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")
    p.add_argument("--group", default=lb.DEFAULT_GROUP, help="suite group whose averages are shown")
    p.add_argument("--protocol", help="only rows of this protocol id")
    p.add_argument("--include-subsets", action="store_true", help="include --limit subset runs")
    p.add_argument("--include-synthetic", action="store_true", help="include runs on the synthetic default set")
    p.add_argument("--include-untrained", action="store_true",
                   help="include rows of untrained (randomly initialised) weights; they are never ranked")
    p.add_argument("--include-partial", action="store_true",
                   help="show records less complete than their model's chosen one as their own rows (PARTIAL)")
    p.add_argument("--explain", action="store_true",
                   help="list each row's candidate records and why each one was chosen or not")
    p.add_argument("--verbose", "-v", action="store_true", help="list every record left out and why")
    p.add_argument("--include-training", action="store_true",
                   help="include the evaluations of training snapshots (records under training/)")
    p.add_argument("--include-contended", action="store_true",
                   help="use perf measurements taken under CPU contention for the speed columns (marked *)")
    p.add_argument("--perf-device", default=None, metavar="DEVICE",
                   help="speed columns measured on this device only (cpu, cuda); default: the newest of any")
    p.add_argument("--ci", action="store_true", help="show 95%% intervals in terminal and markdown cells")
    p.add_argument("--calibration", action="store_true",
                   help="add the group's confidence calibration columns (ECE, E-AURC; 'n/i': not informative)")
    p.add_argument("--aggregate", action="store_true",
                   help="one row per model and protocol over all its runs: mean ± std and the run count")
    p.add_argument("--significance", action="store_true",
                   help="mark rows not significantly different from the row above (paired bootstrap)")
    p.add_argument("--plot", type=Path, help="also write the speed-accuracy scatter plot (PNG)")
    p.add_argument("--update-readme", type=Path, metavar="README",
                   help="put the compact board (--format readme) between the leaderboard markers of this file")
    p.add_argument("--full-table", default="results/leaderboard.md", metavar="LINK",
                   help="with --format readme / --update-readme: the full table linked below the compact one "
                        "(default results/leaderboard.md)")
    p.set_defaults(func=run)


def untrained_notes(host: PluginHost, rows: Sequence[lb.Row], hidden: Sequence[lb.Row] = ()) -> list[str]:
    """One note per installed algorithm that ships no weights and has no trained row on the board
    (``hidden``: its untrained rows left off the board)."""
    trained = {r.algorithm for r in rows if r.trained}
    shown = {r.algorithm for r in rows}
    out = []
    for name, algo in sorted(host.algorithms().items()):
        if name in trained or any(v.default_weights is not None for v in algo.variants.values()):
            continue
        state = ("its rows above ran UNTRAINED weights" if name in shown else
                 "its untrained rows are not shown" if any(r.algorithm == name for r in hidden) else "it has no rows yet")
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


def report_exclusions(board: lb.Board, results_dir: Path, verbose: bool = False) -> None:
    """Say in one line how many records were read, shown and left out (by reason); ``verbose``
    (or an empty board) lists every record left out and why."""
    shown = len(board.rows)
    other = f" (and {board.not_records} other .json files that are not records)" if board.not_records else ""
    message = f"{board.found} records found under {results_dir}{other}: {shown} rows shown"
    if board.excluded:
        kinds = Counter(_reason_kind(item.reason) for item in board.excluded)
        message += (f", {len(board.excluded)} records left out ("
                    + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()) + ")"
                    + ("" if verbose or shown == 0 else "; --verbose lists them"))
    if shown == 0:
        ui.warn(message if board.found else f"no records found under {results_dir}{other}")
    else:
        ui.info(message)
    if verbose or shown == 0:
        for item in board.excluded:
            (ui.warn if shown == 0 else ui.info)(f"  {item.record}: {item.reason}")


REASON_KINDS = (("perturbed input", "perturbed"), ("less complete", "less complete"), ("as complete as", "superseded"), ("subset run", "subset"),
                ("synthetic", "synthetic data"), ("training snapshot", "training snapshots"),
                ("untrained", "untrained"), ("protocol", "other protocol"), ("kind ", "not accuracy runs"))


def _reason_kind(reason: str) -> str:
    return next((kind for needle, kind in REASON_KINDS if needle in reason), "other")


def explain(board: lb.Board) -> None:
    """Print, per row, every candidate record with its completeness and what became of it."""
    for label, candidates in board.candidates.items():
        ui.console.print(label, style="bold", highlight=False, markup=False)
        for c in candidates:
            ui.console.print(f"  {c.record}  {c.group_versions} group versions, {c.versions} in all: {c.verdict}",
                             highlight=False, markup=False)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    for out, option in ((args.output, "--output"), (args.plot, "--plot"), (args.update_readme, "--update-readme")):
        if out is not None:
            check_output_file(out, option)
    check_group(args.group, host)
    fmt = "json" if args.json else args.format
    catalog = lb.Catalog(suites=host.suites(), algorithms=host.algorithms())
    board = lb.collect(args.results_dir, group=args.group, include_subsets=args.include_subsets,
                       include_synthetic=args.include_synthetic, perf_device=args.perf_device,
                       include_training=args.include_training, include_untrained=args.include_untrained,
                       include_partial=args.include_partial, protocol=args.protocol,
                       include_contended=args.include_contended, aggregate=args.aggregate, catalog=catalog)
    rows = board.rows
    if args.significance:
        from strbench.report.compare import mark_similar

        mark_similar(rows, args.group)
    report_exclusions(board, args.results_dir, verbose=args.verbose)
    if args.explain:
        explain(board)
    extra = [*lb.hidden_untrained_note(board), *board.speed_notes,
             *untrained_notes(host, rows, board.hidden_untrained)]
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
    if args.update_readme:
        update_readme(args.update_readme, lb.readme_table(rows, args.group, layout, args.full_table))
        if fmt == "terminal" and not args.output:
            return 0
    if fmt == "terminal":
        board_notes = lb.notes(rows, args.group, layout, compact=not args.wide, calibration=args.calibration)
        print_terminal(rows, args.group, layout, [*board_notes, *extra], references, wide=args.wide, ci=args.ci,
                       calibration=args.calibration)
        return 0
    cal = args.calibration
    text = {"markdown": lambda: lb.to_markdown(rows, args.group, extra, layout, references, args.ci, cal),
            "readme": lambda: lb.readme_table(rows, args.group, layout, args.full_table),
            "html": lambda: lb.to_html(rows, args.group, plot_png, extra, layout, references, cal),
            "csv": lambda: lb.to_csv(rows, args.group, layout, cal),
            "json": lambda: board_json(board, args.group, [*lb.notes(rows, args.group, layout), *extra])}[fmt]()
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
COMPACT_MAX_WIDTHS = {1: 14, 2: 16, 3: 33}  # name columns fold beyond these (only very long names)


def print_terminal(rows: list[lb.Row], group: str, layout: lb.Layout, notes: list[str],
                   references: list[lb.ReferenceRow], *, wide: bool, ci: bool = False,
                   calibration: bool = False) -> None:
    """The compact view (fits 100 columns) or, with ``wide``, every column; the compact view's
    notes are wrapped between words (never inside a name, path or URL) to the terminal's width,
    or to 100 columns when piped."""
    tables = [("strbench leaderboard", *lb.table(rows, group, layout, ci, calibration))] if wide else [
        (f"protocol {protocol}" + (" (--wide: every column)" if i == 0 else ""),
         *lb.compact_table(part, group, ci, calibration))
        for i, (protocol, part) in enumerate(lb.by_protocol(rows))]
    names = lb.NAME_COLUMNS if wide else 4
    for title, header, cells in tables:
        table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
        for i, col in enumerate(header):
            limit = COMPACT_MAX_WIDTHS.get(i)
            if calibration and limit and i == 3:
                limit -= 11 if ci else 3  # room for the two calibration columns
            table.add_column(col, overflow="fold", justify="left" if 0 < i < names else "right",
                             max_width=None if wide else limit, no_wrap=not wide and i >= names)
        for row in cells:
            table.add_row(*row)
        ui.console.print(table)
    if not wide:
        notes = [*notes, *(f"{lb.REFERENCE_TITLE}: {r.algorithm} {r.variant}, {r.reported_accuracy} by "
                           f"{r.reported_by}, {r.weights}, {r.source}" for r in references)]
    width = ui.console.width if ui.console.is_terminal else COMPACT_WIDTH
    for note in notes:
        text = f"- {note}"
        if not wide:
            text = textwrap.fill(text, width, subsequent_indent="  ", break_long_words=False,
                                 break_on_hyphens=False)
        ui.console.print(text, highlight=False, markup=False, soft_wrap=True)
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
