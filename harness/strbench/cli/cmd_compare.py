"""``strbench compare A.json B.json``: a paired significance test of two records."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from strbench import ui
from strbench.plugin.host import PluginHost
from strbench.report.compare import COMPARE_RESAMPLES, SIGNIFICANCE, compare_records, describe
from strbench.run.records import load_record


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="paired test of two records on the samples both scored")
    p.add_argument("a", type=Path, help="record A (results/*.json)")
    p.add_argument("b", type=Path, help="record B")
    p.add_argument("--protocol", help="re-score both records under this protocol before comparing")
    p.add_argument("--allow-different-protocols", action="store_true",
                   help="compare records scored under different protocols, each under its own")
    p.add_argument("--allow-different-samples", action="store_true",
                   help="compare records whose sample sets differ, on the samples both hold")
    p.set_defaults(func=run)


def _p(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def run(args: argparse.Namespace, host: PluginHost) -> int:
    ra, rb = load_record(args.a), load_record(args.b)
    override = host.protocol(args.protocol) if args.protocol else None
    result = compare_records(args.a, ra, args.b, rb, override, args.allow_different_protocols,
                             args.allow_different_samples)
    ui.console.print(f"A = {describe(ra)}  [{ra.id}]\nB = {describe(rb)}  [{rb.id}]\n"
                     f"protocol: {result.protocol}; word accuracy on the samples both scored")
    table = Table(title="per dataset version (exact McNemar)")
    for col in ("version", "shared", "A %", "B %", "only A right", "only B right", "A-B (pp)", "95% CI", "p"):
        table.add_column(col, justify="right")
    for v in result.versions:
        table.add_row(v.name, str(v.shared), f"{v.acc_a:.2f}", f"{v.acc_b:.2f}", str(v.only_a), str(v.only_b),
                      f"{v.diff:+.2f}", f"[{v.interval[0]:+.2f}, {v.interval[1]:+.2f}]", _p(v.p_value))
    ui.console.print(table)
    if result.groups:
        gt = Table(title="group averages (paired bootstrap)")
        for col in ("group", "average", "A-B (pp)", "95% CI", "p"):
            gt.add_column(col, justify="right")
        for g in result.groups:
            gt.add_row(g.name, g.kind, f"{g.diff:+.2f}", f"[{g.interval[0]:+.2f}, {g.interval[1]:+.2f}]",
                       f"<={g.p_value:g}" if g.p_value <= 1.0 / COMPARE_RESAMPLES else _p(g.p_value))
        ui.console.print(gt)
    for note in result.notes:
        ui.console.print(f"- {note}")
    ui.console.print(f"- p < {SIGNIFICANCE:g}: the difference is significant at the 95% level")
    return 0
