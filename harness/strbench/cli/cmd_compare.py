"""``strbench compare A.json B.json``: a paired significance test of two records."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich import box
from rich.table import Table

from strbench import ui
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost
from strbench.report.compare import (
    SIGNIFICANCE,
    compare_records,
    side_labels,
    significant,
    verdict,
)
from strbench.run.records import load_record

#: the group the verdict speaks of when the records have it (the leaderboard's default group)
VERDICT_GROUP = "benchmark"
SIGNIFICANT_MARK = "*"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="paired test of two records on the samples both scored")
    p.add_argument("a", type=Path, help="record A (results/*.json)")
    p.add_argument("b", type=Path, help="record B")
    p.add_argument("--protocol", help="re-score both records under this protocol before comparing")
    p.add_argument("--group", help=f"suite group whose weighted average the verdict speaks of (default: "
                                   f"{VERDICT_GROUP} when compared, else the first group compared)")
    p.add_argument("--allow-different-protocols", action="store_true",
                   help="compare records scored under different protocols, each under its own")
    p.add_argument("--allow-different-samples", action="store_true",
                   help="compare records whose sample sets differ, on the samples both hold")
    p.set_defaults(func=run)


def _p(p: float, resamples: int | None = None) -> str:
    """A p-value cell: four decimals, the bootstrap's floor as ``<=``, marked when significant."""
    if resamples is not None and p <= 1.0 / resamples:
        text = f"<={1.0 / resamples:g}"
    else:
        text = "<0.0001" if p < 1e-4 else f"{p:.4f}"
    return f"{text} {SIGNIFICANT_MARK}" if significant(p) else text


def _table(title: str, columns: tuple[str, ...]) -> Table:
    """A compact right-aligned table (fits 80 columns): a rule under the header, no vertical lines."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for col in columns:
        table.add_column(col, justify="left" if col == columns[0] else "right", no_wrap=True, overflow="fold")
    return table


def _interval(interval: tuple[float, float]) -> str:
    return f"[{interval[0]:+.2f}, {interval[1]:+.2f}]"


def run(args: argparse.Namespace, host: PluginHost) -> int:
    ra, rb = load_record(args.a), load_record(args.b)
    override = host.protocol(args.protocol) if args.protocol else None
    with ui.progress(terminal_only=True, transient=True) as bar:
        task = bar.add_task("comparing", total=2 + len(ra.datasets))
        started: list[str] = []

        def step(description: str) -> None:
            if started:
                bar.advance(task)
            started.append(description)
            bar.update(task, description=description)

        result = compare_records(args.a, ra, args.b, rb, override, args.allow_different_protocols,
                                 args.allow_different_samples, step=step)
    if args.group and result.group(args.group) is None:
        compared = sorted({g.name for g in result.groups})
        raise UsageError(f"--group {args.group}: not compared (its versions are not all in both records); "
                         f"compared: {', '.join(compared) or 'none'}")
    label_a, label_b = side_labels(ra, rb)
    for side, label, record in (("A", label_a, ra), ("B", label_b, rb)):
        ui.console.print(f"{side} = {label}, weights {record.weights.name}\n    record {record.id}",
                         highlight=False, markup=False)
    ui.console.print(f"protocol: {result.protocol}; word accuracy on the samples both scored", highlight=False)
    table = _table("per dataset version (exact McNemar)",
                   ("version", "shared", "A %", "B %", "only A/B", "A-B pp", "95% CI", "p"))
    for v in result.versions:
        table.add_row(v.name, str(v.shared), f"{v.acc_a:.2f}", f"{v.acc_b:.2f}", f"{v.only_a}/{v.only_b}",
                      f"{v.diff:+.2f}", _interval(v.interval), _p(v.p_value),
                      style="bold" if significant(v.p_value) else None)
    ui.console.print(table)
    if result.groups:
        gt = _table("group averages (paired bootstrap)", ("group", "average", "A-B pp", "95% CI", "p"))
        for g in result.groups:
            gt.add_row(g.name, g.kind, f"{g.diff:+.2f}", _interval(g.interval), _p(g.p_value, g.resamples),
                       style="bold" if significant(g.p_value) else None)
        ui.console.print(gt)
    for note in result.notes:
        ui.console.print(f"- {note}", highlight=False, markup=False)
    ui.console.print("- only A/B: samples only A / only B got right (the pairs McNemar's test weighs)",
                     highlight=False, markup=False)
    ui.console.print(f"- {SIGNIFICANT_MARK} p < {SIGNIFICANCE:g}: the difference is significant at the 95% level",
                     highlight=False, markup=False)
    line = verdict(result, args.group or VERDICT_GROUP, f"A ({label_a})", f"B ({label_b})")
    if line is not None:  # a sentence: wrapped at word boundaries in a terminal, one line in a pipe
        ui.console.print(line, highlight=False, markup=False, soft_wrap=False)
    return 0
