"""The command line that reproduces a record, from the options it stores (``record["command"]``)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

# RunInfo field -> (flag, default left out)
FLAGS: tuple[tuple[str, str, Any], ...] = (
    ("algorithm", "--algorithm", None), ("variant", "--variant", None), ("weights", "--weights", None),
    ("data_root", "--data-root", None), ("suite", "--suite", "standard"), ("datasets", "--datasets", None),
    ("dataset_format", "--format", None), ("dataset_root", "--dataset-root", None),
    ("protocol", "--protocol", None), ("batch_size", "--batch-size", 64), ("workers", "--workers", 2),
    ("device", "--device", None), ("precision", "--precision", "fp32"), ("backend", "--backend", "torch"),
    ("onnx_model", "--onnx-model", None), ("calibration_data", "--calibration-data", None),
    ("calibration_samples", "--calibration-samples", 256), ("calibration_method", "--calibration-method", None),
    ("limit", "--limit", None), ("tag", "--tag", ""), ("perturb", "--perturb", None),
    ("perturb_seed", "--perturb-seed", 0),
)
PERF_FLAGS: tuple[tuple[str, str], ...] = (
    ("compile", "--compile"), ("precisions", "--perf-precisions"), ("batch_sizes", "--perf-batch-sizes"),
    ("images", "--perf-images"), ("latency_runs", "--perf-runs"), ("warmup", "--perf-warmup"),
    ("throughput_repeats", "--perf-repeats"),
)


def _words(flag: str, value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [flag, *(str(v) for v in value)]
    return [flag, str(value)]


def reproduce(record: Mapping[str, Any]) -> list[str]:
    """Command lines (one or two) that reproduce ``record``: the ``strbench run`` (``bench`` for a
    perf run) it stores, with its protocol named, and a ``strbench rescore`` when it was re-scored."""
    options = (record.get("command") or {}).get("options")
    if not isinstance(options, Mapping) or not options.get("algorithm"):
        return []
    protocol = record.get("protocol") or {}
    perf = bool(options.get("perf"))
    words = ["strbench", "bench" if perf else "run"]
    rescored = record.get("rescored_from") or {}
    for key, flag, default in FLAGS:
        value = options.get(key)
        if key == "protocol" and value is None and not rescored:
            value = protocol.get("id")  # the algorithm's default then, named so the line stays true
        if key == "calibration_method" and options.get("precision") != "int8":
            continue
        if key == "calibration_samples" and options.get("precision") != "int8":
            continue
        if value is None or value == default or value == [] or value is False:
            continue
        words += _words(flag, value)
    for path in options.get("dataset_paths") or []:
        words += ["--dataset", str(path)]
    if perf:
        perf_options = options.get("perf_options") or {}
        for key, flag in PERF_FLAGS:
            value = perf_options.get(key)
            if value is not None and not (key == "compile" and value == "none"):
                words += _words(flag, value)
    for key, value in (options.get("options") or {}).items():  # the plugin's own options
        if value is not None and value is not False:
            words += [f"--{str(key).replace('_', '-')}"] + ([] if value is True else [str(value)])
    lines = [shlex.join(words)]
    if isinstance(rescored, Mapping) and rescored.get("id"):
        in_place = ["--in-place"] if rescored["id"] == record.get("id") else ["--write"]
        lines.append(shlex.join(["strbench", "rescore", f"results/{rescored['id']}.json", "--protocol",
                                 str(protocol.get("id") or str(protocol.get("key", "")).split("@")[0]), *in_place]))
    return lines
