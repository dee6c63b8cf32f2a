"""``strbench bench``: ``strbench run --perf``, an accuracy pass with the measured perf protocol next to it.

The perf options below are shared with ``strbench run --perf``; device-dependent defaults are in
:class:`strbench.perf.PerfConfig` (CPU: batch sizes 1..64, GPU: 1..512).
"""

from __future__ import annotations

import argparse
from typing import Any

from strbench.cli.common import non_negative_int, positive_int
from strbench.perf.config import AUTOCAST_PRECISIONS, COMPILE_MODES


def add_perf_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("performance measurement (see docs/perf-protocol.md)")
    g.add_argument("--compile", choices=COMPILE_MODES, default="none",
                   help="also measure the module under torch.compile in this mode (reduce-overhead: CUDA graphs)")
    g.add_argument("--perf-precisions", nargs="+", choices=AUTOCAST_PRECISIONS, metavar="P",
                   help="extra precisions to measure (each with its accuracy delta vs fp32)")
    g.add_argument("--perf-batch-sizes", nargs="+", type=positive_int, metavar="N",
                   help="throughput sweep (default: 1..64 on CPU, 1..512 on GPU; ends at out of memory)")
    g.add_argument("--perf-images", type=positive_int, metavar="N", help="real images used (default 64 CPU, 512 GPU)")
    g.add_argument("--perf-runs", type=positive_int, metavar="N", help="timed batch-1 runs (default 50 CPU, 200 GPU)")
    g.add_argument("--perf-warmup", type=non_negative_int, metavar="N", help="untimed batch-1 warm-up runs (default 5 CPU, 20 GPU)")
    g.add_argument("--perf-repeats", type=positive_int, metavar="N", help="minimum timed batches per batch size")


def perf_options(args: argparse.Namespace) -> dict[str, Any]:
    """The perf options given on the command line (unset ones keep PerfConfig's device defaults)."""
    values = {"compile": getattr(args, "compile", None), "precisions": getattr(args, "perf_precisions", None),
              "batch_sizes": getattr(args, "perf_batch_sizes", None), "images": getattr(args, "perf_images", None),
              "latency_runs": getattr(args, "perf_runs", None), "warmup": getattr(args, "perf_warmup", None),
              "throughput_repeats": getattr(args, "perf_repeats", None)}
    return {k: v for k, v in values.items() if v is not None}


def register(sub: argparse._SubParsersAction) -> None:
    from strbench.cli.cmd_run import add_run_args, run

    p = sub.add_parser("bench", help="run with --perf: accuracy plus latency/throughput/memory/energy/FLOPs",
                       description="Same as 'strbench run --perf': the accuracy pass, then the perf protocol on "
                                   "real images of the first benchmark set, both in one record. Use --limit for "
                                   "a quick subset run (marked as a subset).")
    add_run_args(p)
    add_perf_args(p)
    p.set_defaults(func=run, perf=True)
