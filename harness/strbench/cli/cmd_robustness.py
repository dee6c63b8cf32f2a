"""``strbench robustness``: run a model over a preset matrix of corruptions and summarise it.

With ``--algorithm`` it runs the preset's cells the results folder does not hold yet (one record
each under ``results/robustness/``), then prints the model's accuracy per corruption and severity
with the drop from its clean subset and, with ``--reference``, its mean corruption error; it writes
the degradation plot. ``--summary`` prints one row per model found in the folder instead (no runs).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich import box
from rich.table import Table

from strbench import ui
from strbench.cli.common import (
    add_algorithm_args,
    non_negative_int,
    plugin_options,
    positive_int,
    resolve_device,
)
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost
from strbench.report import robustness as rb
from strbench.report.readme_block import replace_block
from strbench.run.record import Record
from strbench.run.runinfo import RunInfo

README_BLOCK = "robustness"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("robustness", help="accuracy under a preset matrix of controlled corruptions (mCE)")
    add_algorithm_args(p)
    for action in p._actions:  # --algorithm is not needed with --summary
        if action.dest == "algorithm":
            action.required = False
    p.add_argument("--preset", choices=tuple(rb.PRESETS), default="quick",
                   help="; ".join(pr.describe() for pr in rb.PRESETS.values()))
    p.add_argument("--data-root", type=Path, help="folder holding the benchmark sets (needed to run cells)")
    p.add_argument("--reference", metavar="RECORD",
                   help="the reference model of the mean corruption error: any of its records (its preset runs "
                        "are read from --results-dir) or ALGORITHM[/VARIANT]")
    p.add_argument("--protocol", help="evaluation protocol id (default: the plugin's default)")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--workers", type=non_negative_int,
                   help="DataLoader worker processes (default: 0 for a preset with a sample limit, whose short "
                        "runs lose more to starting workers than they gain, else 2)")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch")
    p.add_argument("--results-dir", type=Path, default=rb.DEFAULT_DIR,
                   help=f"where the runs' records go and are looked up (default {rb.DEFAULT_DIR})")
    p.add_argument("--plot", type=Path, metavar="DIR",
                   help="folder of the degradation plot <model>_<preset>.png (default: --results-dir)")
    p.add_argument("--report-only", action="store_true", help="run nothing: summarise the runs already there")
    p.add_argument("--fresh", action="store_true", help="re-run every cell, even those already recorded")
    p.add_argument("--summary", action="store_true", help="one row per model with runs of the preset (no runs)")
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument("--update-readme", type=Path, metavar="README",
                   help="with --summary: put the tables between <!-- robustness:start --> and <!-- robustness:end -->")
    p.set_defaults(func=run)


def _print(header: list[str], rows: list[list[str]], fmt: str, title: str | None = None) -> None:
    if fmt == "markdown":
        if title:
            print(f"\n{title}\n")
        print(rb.markdown(header, rows), end="")
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*row)
    ui.console.print(table)


def _reference(args: argparse.Namespace, preset: rb.Preset) -> rb.Matrix | None:
    if not args.reference:
        return None
    return rb.reference_matrix(rb.resolve_reference(args.reference, args.results_dir, preset), args.results_dir, preset)


def summary(args: argparse.Namespace, preset: rb.Preset) -> int:
    ref = _reference(args, preset)
    matrices = [rb.matrix_of(model, runs) for model, runs in sorted(rb.find_runs(args.results_dir, preset).items(),
                                                                      key=lambda kv: kv[0].label)]
    if not matrices:
        raise UsageError(f"no {preset.name} runs in {args.results_dir}")
    if args.format == "json":
        print(json.dumps([rb.summary_json(m, preset, ref) for m in matrices], indent=1))
        return 0
    summary_rows = [rb.summary_row(m, preset, ref) for m in matrices]
    header, per_rows = rb.corruption_header(preset), [rb.corruption_row(m, preset) for m in matrices]
    per_title = "mean word accuracy (%) over the severities, per corruption"
    note = (f"preset {preset.describe()}; "
            + (f"mCE against {ref.model.label} (100 by definition)" if ref else "no --reference: no mCE"))
    _print(rb.SUMMARY_HEADER, summary_rows, args.format)
    _print(header, per_rows, args.format, per_title)
    if args.format == "markdown":
        print(f"\n{note}")
    else:
        ui.console.print(note, highlight=False, markup=False)
    if args.update_readme:
        text = (rb.markdown(rb.SUMMARY_HEADER, summary_rows) + f"\n{per_title[0].upper()}{per_title[1:]}:\n\n"
                + rb.markdown(header, per_rows) + f"\n{note[0].upper()}{note[1:]}.\n")
        replace_block(args.update_readme, README_BLOCK, text)
        ui.info(f"robustness tables updated in {args.update_readme}")
    return 0


def run(args: argparse.Namespace, host: PluginHost) -> int:
    preset = rb.PRESETS[args.preset]
    if args.summary:
        return summary(args, preset)
    if args.update_readme:
        raise UsageError("--update-readme goes with --summary")
    if not args.algorithm:
        raise UsageError("give --algorithm (or --summary)")
    algorithm = host.algorithm(args.algorithm)
    variant = algorithm.variant(args.variant).name
    protocol = host.protocol(args.protocol or algorithm.default_protocol)
    model = rb.ModelKey(algorithm.name, variant, args.weights, args.backend, "fp32", protocol.key)
    ref = _reference(args, preset)  # before any run: a wrong reference fails fast
    if not args.report_only:
        if args.data_root is None:
            raise UsageError("--data-root is needed to run the preset (or --report-only)")
        base = RunInfo(algorithm=algorithm.name, variant=variant, weights=args.weights, data_root=args.data_root,
                       protocol=args.protocol, batch_size=args.batch_size,
                       workers=args.workers if args.workers is not None else (0 if preset.limit else 2),
                       device=resolve_device(args.device), backend=args.backend, options=plugin_options(args))
        ui.info(f"preset {preset.describe()}")
        start = time.perf_counter()

        def one(info: RunInfo) -> tuple[Path, Record]:
            from strbench.run.runner import run_benchmark

            was_quiet = ui.quiet()
            ui.configure(quiet=True)  # one line per cell instead of the run's own report
            try:
                return run_benchmark(host, info)
            finally:
                ui.configure(quiet=was_quiet)

        rb.run_preset(base, preset, args.results_dir, model, one, fresh=args.fresh, report=ui.info)
        ui.info(f"preset {preset.name} done in {time.perf_counter() - start:.0f} s")
    runs = rb.find_runs(args.results_dir, preset).get(model)
    if not runs:
        raise UsageError(f"no {preset.name} runs of {model.label} in {args.results_dir}")
    m = rb.matrix_of(model, runs)
    if args.format == "json":
        print(json.dumps(rb.summary_json(m, preset, ref), indent=1))
    else:
        _print(rb.MATRIX_HEADER, rb.matrix_rows(m, preset, ref), args.format,
               f"{model.label}: word accuracy under corruption ({preset.name}, {m.samples} words, {model.protocol})")
        _print(rb.SUMMARY_HEADER, [rb.summary_row(m, preset, ref)], args.format)
        for note in rb.extra_levels_note(preset):
            ui.info(note)
    plot = rb.plot_degradation(m, preset, (args.plot or args.results_dir) / f"{model.slug}_{preset.name}.png")
    ui.info(f"degradation plot: {plot}")
    return 0
