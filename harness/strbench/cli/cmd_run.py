"""``strbench run``: evaluate an algorithm on the benchmark suite and write a result record."""

from __future__ import annotations

import argparse
import json
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
from strbench.data.perturb import PERTURB_HELP, perturbation_arg, tag_with
from strbench.perf.config import PRECISIONS
from strbench.plugin.host import PluginHost
from strbench.report.terminal import (
    print_next_steps,
    print_perf_summary,
    print_publisher_lines,
    print_run_summary,
)
from strbench.run.runinfo import RunInfo
from strbench.weights.quantize import CALIBRATION_METHOD_NAMES, DEFAULT_CALIBRATION_METHOD


def add_run_args(p: argparse.ArgumentParser) -> None:
    add_algorithm_args(p)
    p.add_argument("--data-root", type=Path, help="folder holding the benchmark sets of --suite (clovaai LMDB "
                                                  "folders or folder + label files); without it and without "
                                                  "--dataset: the embedded synthetic set")
    p.add_argument("--suite", default="standard", help="benchmark suite found below --data-root (default: standard; "
                                                       "'strbench data suites' lists them)")
    p.add_argument("--datasets", nargs="+", metavar="NAME",
                   help="only these versions, families or groups of the suite below --data-root (e.g. benchmark, "
                        "IC13_857, CUTE80: a family with one version; any case)")
    p.add_argument("--dataset", dest="dataset_paths", action="append", default=[], metavar="PATH[=NAME]",
                   help="also evaluate the dataset at PATH as a custom set named NAME (default: from the path); "
                        "repeatable, combinable with --data-root. Formats are detected (docs/datasets.md)")
    p.add_argument("--format", dest="dataset_format", metavar="FORMAT",
                   help="read every --dataset with this dataset format instead of detecting it")
    p.add_argument("--dataset-root", type=Path, metavar="DIR",
                   help="folder the image paths of --dataset annotation files are relative to (PaddleOCR data_dir; "
                        "default: the annotation file's folder, or the nearest parent where the paths exist)")
    p.add_argument("--protocol", help="evaluation protocol id (default: the plugin's default, e.g. lower36)")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--workers", type=non_negative_int, default=2, help="DataLoader worker processes (default 2)")
    p.add_argument("--precision", choices=PRECISIONS,
                   default="fp32", help="fp32, autocast fp16/bf16, or int8 (a quantized ONNX graph: with "
                                        "--backend onnx and --calibration-data)")
    p.add_argument("--calibration-data", type=Path, metavar="PATH",
                   help="with --precision int8: training crops that calibrate the int8 ranges (never a test set)")
    p.add_argument("--calibration-samples", type=positive_int, default=256, metavar="N",
                   help="with --precision int8: calibration images, spread over the set (default 256)")
    p.add_argument("--calibration-method", choices=CALIBRATION_METHOD_NAMES, default=DEFAULT_CALIBRATION_METHOD,
                   help="with --precision int8: how activation ranges are set from the calibration images "
                        f"(ONNX Runtime; default {DEFAULT_CALIBRATION_METHOD})")
    p.add_argument("--allow-test-calibration", action="store_true",
                   help="with --precision int8: calibrate even when --calibration-data holds benchmark test "
                        "samples (refused by default; recorded in the record's weights.quantization)")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch",
                   help="torch: the plugin's model; onnx: export and run through ONNX Runtime")
    p.add_argument("--onnx-model", type=Path, help="with --backend onnx: use this exported model")
    p.add_argument("--limit", type=positive_int, help="evaluate only the first N samples of each set (marked as a subset)")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--tag", default="", help="free text added to the record id")
    p.add_argument("--json", action="store_true",
                   help="print {'path': record file, 'record': the record} as JSON instead of the tables")
    p.add_argument("--fresh", "--no-resume", dest="fresh", action="store_true",
                   help="recompute every dataset version instead of resuming an interrupted identical run")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="evaluate an algorithm on the benchmark suite and write a record")
    add_run_args(p)
    p.add_argument("--perf", action="store_true", help="also measure latency/throughput/memory (see 'bench')")
    p.add_argument("--perturb", type=perturbation_arg, metavar="NAME[:SEVERITY]", help=PERTURB_HELP)
    p.add_argument("--perturb-seed", type=non_negative_int, default=0, metavar="N",
                   help="seed of --perturb's per-sample random draws (default 0; recorded)")
    add_perf_args(p)
    p.set_defaults(func=run)


def info_from_args(args: argparse.Namespace) -> RunInfo:
    return RunInfo(
        algorithm=args.algorithm, variant=args.variant, weights=args.weights, data_root=args.data_root,
        suite=args.suite, datasets=args.datasets, dataset_paths=args.dataset_paths,
        dataset_format=args.dataset_format, dataset_root=args.dataset_root, protocol=args.protocol,
        batch_size=args.batch_size,
        workers=args.workers, device=resolve_device(args.device), precision=args.precision,
        backend=args.backend, onnx_model=args.onnx_model, calibration_data=args.calibration_data,
        calibration_samples=args.calibration_samples, calibration_method=args.calibration_method,
        allow_test_calibration=getattr(args, "allow_test_calibration", False),
        limit=args.limit, results_dir=args.results_dir,
        tag=tag_with(args.tag, getattr(args, "perturb", None)), perf=getattr(args, "perf", False),
        perf_options=perf_options(args),
        options=plugin_options(args), resume=not getattr(args, "fresh", False),
        perturb=getattr(args, "perturb", None), perturb_seed=getattr(args, "perturb_seed", 0),
    )


def run(args: argparse.Namespace, host: PluginHost) -> int:
    from strbench.run.runner import execute
    from strbench.run.sharding import distributed_run

    with distributed_run(info_from_args(args)) as (ctx, info):
        if not ctx.is_main:  # under torchrun rank 0 reports the run
            ui.configure(quiet=True)
        result = execute(host, info, ctx)
    if not ctx.is_main:
        return 0
    record, data, algorithm = result.record, result.data, result.plan.algorithm
    if args.json:
        print(json.dumps({"path": str(result.path), "record": data}, indent=1, ensure_ascii=False, allow_nan=True))
        return 0
    print_run_summary(record)
    print_publisher_lines(record, algorithm)
    print_perf_summary(data)
    ui.info(f"record written: {result.path}")
    print_next_steps(data, algorithm.capabilities.train, sorted(algorithm.weight_releases))
    return 0
