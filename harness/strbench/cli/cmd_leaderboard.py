"""``strbench leaderboard``: render the records under results/ as markdown, HTML, CSV or a terminal table."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    p.add_argument("--format", choices=("terminal", "markdown", "html", "csv"), default="terminal")
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")
    p.add_argument("--group", default=lb.DEFAULT_GROUP, help="suite group whose averages are shown")
    p.add_argument("--protocol", help="only rows of this protocol id")
    p.add_argument("--include-subsets", action="store_true", help="include --limit subset runs")
    p.add_argument("--include-synthetic", action="store_true", help="include runs on the synthetic default set")
    p.add_argument("--perf-device", default=None, metavar="DEVICE",
                   help="speed columns measured on this device only (cpu, cuda); default: the newest of any")
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


def run(args: argparse.Namespace, host: PluginHost) -> int:
    for out, option in ((args.output, "--output"), (args.plot, "--plot"), (args.update_readme, "--update-readme")):
        if out is not None:
            check_output_file(out, option)
    problems: list[tuple[Path, str]] = []
    rows = lb.collect_rows(args.results_dir, group=args.group, include_subsets=args.include_subsets,
                           include_synthetic=args.include_synthetic, perf_device=args.perf_device,
                           problems=problems)
    for _, message in problems:
        ui.warn(f"left out of the leaderboard: {message}")
    if args.protocol:
        rows = [r for r in rows if r.protocol.split("@")[0] == args.protocol]
    if not rows:
        ui.warn(f"no records found under {args.results_dir}")
    extra = untrained_notes(host, rows)
    if problems:
        extra.append(f"{len(problems)} record(s) could not be read and are not shown: "
                     f"{', '.join(p.name for p, _ in problems)}; rows may not be current.")
    references = lb.reference_rows(host.algorithms())
    layout = lb.suite_layout(rows, host.suites())
    plot_png = None
    if args.plot or args.format == "html":
        from strbench.report.plots import speed_accuracy_png

        plot_png = speed_accuracy_png(rows, args.group)
        if args.plot and plot_png:
            atomic_write_bytes(args.plot, plot_png)
    if args.format == "terminal":
        header, cells = lb.table(rows, args.group, layout)
        table = Table(title="strbench leaderboard")
        for col in header:
            table.add_column(col, overflow="fold")
        for row in cells:
            table.add_row(*row)
        ui.console.print(table)
        for note in [*lb.notes(rows, args.group, layout), *extra]:
            ui.console.print(f"- {note}")
        if references:
            ref = Table(title=lb.REFERENCE_TITLE)
            for col in lb.REFERENCE_HEADER:
                ref.add_column(col, overflow="fold")
            for r in references:
                ref.add_row(r.algorithm, r.variant, r.weights, r.reported_accuracy, r.reported_by, r.source)
            ui.console.print(ref)
        return 0
    text = {"markdown": lambda: lb.to_markdown(rows, args.group, extra, layout, references),
            "html": lambda: lb.to_html(rows, args.group, plot_png, extra, layout, references),
            "csv": lambda: lb.to_csv(rows, args.group, layout)}[args.format]()
    if args.update_readme:
        update_readme(args.update_readme, lb.to_markdown(rows, args.group, extra, layout, references))
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"))
        ui.info(f"written: {args.output}")
    elif not args.update_readme:
        print(text, end="")
    return 0


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
