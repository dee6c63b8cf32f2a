"""``strbench export``: export a model (e.g. to ONNX) and check it numerically against eager."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from strbench import ui
from strbench.cli.common import add_algorithm_args, positive_int, resolve_device
from strbench.data.loader import make_loader, open_dataset
from strbench.errors import DataError, NotSupportedError
from strbench.plugin.host import PluginHost
from strbench.run.preflight import check_output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a model and check it against eager inference")
    add_algorithm_args(p)
    p.add_argument("--format", default="onnx", help="export format (default onnx)")
    p.add_argument("--output", "-o", type=Path, required=True)
    p.add_argument("--check-data", type=Path, help="dataset whose first images check the export "
                                                   "(default: the embedded synthetic set)")
    p.add_argument("--check-samples", type=positive_int, default=16)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    algorithm = host.algorithm(args.algorithm)
    if args.format not in algorithm.capabilities.export:
        raise NotSupportedError(f"algorithm {algorithm.name!r} does not support export to {args.format!r} "
                                f"(supported: {', '.join(algorithm.capabilities.export) or 'none'})")
    variant = algorithm.variant(args.variant).name
    check_output_file(args.output, "--output")
    if args.check_data is None:
        from strbench.data import default_set

        check_data = default_set.path()
    else:
        check_data = args.check_data
    source = open_dataset(check_data, host.dataset_formats())  # before the model: a bad path fails at once
    try:
        weights = algorithm.resolve_weights(variant, args.weights) if args.weights else None
        recognizer = algorithm.load(variant, weights, device=resolve_device(args.device))
        n = min(args.check_samples, len(source))
        loaded = next(iter(make_loader(source, recognizer.input_spec, batch_size=n, indices=range(n))), None)
    finally:
        source.close()
    if loaded is None or not loaded.labels:
        key, reason = loaded.skipped[0] if loaded is not None and loaded.skipped else ("-", "the set is empty")
        raise DataError(f"--check-data {check_data}: none of its first {n} samples can be read ({key}: {reason}); "
                        f"nothing was exported: give a dataset whose images read")
    if loaded.skipped:
        key, reason = loaded.skipped[0]
        ui.warn(escape(f"--check-data {check_data}: {len(loaded.skipped)} of its first {n} samples skipped "
                       f"({key}: {reason}); the export is checked on the other {len(loaded.labels)}"))
    result = algorithm.export(recognizer, args.format, args.output, loaded.batch)
    ui.console.print(f"exported {result.format}: {result.path}")
    ui.console.print(f"check on {result.checked_samples} real images: max |eager - exported| = "
                     f"{result.max_abs_diff:.3g}; identical strings: {result.strings_equal}")
    return 0 if result.strings_equal in (True, None) else 1
