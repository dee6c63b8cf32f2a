"""``strbench run``: evaluate an algorithm on the benchmark suite and write a result record."""

from __future__ import annotations

import argparse
from pathlib import Path

from strbench import ui
from strbench.cli.cmd_bench import add_perf_args, perf_options
from strbench.cli.common import (
    add_algorithm_args,
    non_negative_int,
    plugin_options,
    positive_int,
    resolve_device,
)
from strbench.perf.config import PRECISIONS
from strbench.plugin.host import PluginHost
from strbench.report.terminal import print_run_summary
from strbench.run.runinfo import RunInfo
from strbench.run.runner import run_benchmark


def add_run_args(p: argparse.ArgumentParser) -> None:
    add_algorithm_args(p)
    p.add_argument("--data-root", type=Path, help="folder holding the benchmark sets (clovaai LMDB folders or "
                                                  "folder + label files); default: the embedded synthetic set")
    p.add_argument("--suite", default="standard", help="benchmark suite (default: standard)")
    p.add_argument("--datasets", nargs="+", metavar="NAME", help="only these versions or groups (e.g. benchmark)")
    p.add_argument("--protocol", help="evaluation protocol id (default: the plugin's default, e.g. lower36)")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--workers", type=non_negative_int, default=2, help="DataLoader worker processes (default 2)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch",
                   help="torch: the plugin's model; onnx: export and run through ONNX Runtime")
    p.add_argument("--onnx-model", type=Path, help="with --backend onnx: use this exported model")
    p.add_argument("--limit", type=positive_int, help="evaluate only the first N samples of each set (marked as a subset)")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--tag", default="", help="free text added to the record id")
    p.add_argument("--fresh", "--no-resume", dest="fresh", action="store_true",
                   help="recompute every dataset version instead of resuming an interrupted identical run")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="evaluate an algorithm on the benchmark suite and write a record")
    add_run_args(p)
    p.add_argument("--perf", action="store_true", help="also measure latency/throughput/memory (see 'bench')")
    add_perf_args(p)
    p.set_defaults(func=run)


def info_from_args(args: argparse.Namespace) -> RunInfo:
    return RunInfo(
        algorithm=args.plugin, variant=args.variant, weights=args.weights, data_root=args.data_root,
        suite=args.suite, datasets=args.datasets, protocol=args.protocol, batch_size=args.batch_size,
        workers=args.workers, device=resolve_device(args.device), precision=args.precision,
        backend=args.backend, onnx_model=args.onnx_model, limit=args.limit, results_dir=args.results_dir,
        tag=args.tag, perf=getattr(args, "perf", False), perf_options=perf_options(args),
        options=plugin_options(args), resume=not getattr(args, "fresh", False),
    )


def run(args: argparse.Namespace, host: PluginHost) -> int:
    path, record = run_benchmark(host, info_from_args(args))
    print_run_summary(record)
    ui.info(f"record written: {path}")
    return 0
