"""What a performance measurement does: counts, batch sizes, precisions, compile mode."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strbench.errors import UsageError
from strbench.run.evaluation import PRECISIONS as PRECISION_DTYPES
from strbench.run.evaluation import QUANTIZED_PRECISIONS

COMPILE_MODES = ("none", "default", "reduce-overhead", "max-autotune")
PRECISIONS = tuple(PRECISION_DTYPES)  # fp32, fp16, bf16, int8
AUTOCAST_PRECISIONS = tuple(p for p in PRECISIONS if p not in QUANTIZED_PRECISIONS)
GPU_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
CPU_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class PerfConfig:
    """Counts and options of one measurement; :meth:`for_device` fills device-dependent defaults.

    ``precisions[0]`` is the precision of the accuracy pass (the record's primary perf row);
    the others are measured in addition, each with its accuracy delta against fp32.
    """

    images: int = 64  # real images read from the first benchmark set
    warmup: int = 5  # untimed batch-1 iterations before the latency runs
    latency_runs: int = 50  # timed batch-1 iterations (cycling through the images)
    batch_sizes: tuple[int, ...] = CPU_BATCH_SIZES
    warmup_batches: int = 1  # untimed batches before each batch size's timed batches
    throughput_repeats: int = 3  # at least this many timed batches per batch size ...
    throughput_min_images: int = 64  # ... and at least this many images
    precisions: tuple[str, ...] = ("fp32",)
    compile: str = "none"
    flop_images: int = 4  # real images whose batch-1 FLOPs are counted
    accuracy_batch_size: int = 64
    power_interval_s: float = 0.05  # NVML power sampling period when no energy counter exists

    @classmethod
    def for_device(cls, device: str, precision: str = "fp32", batch_size: int = 64,
                   options: Mapping[str, Any] | None = None) -> PerfConfig:
        """Defaults for ``device`` (GPU: sweep to 512, more runs), overridden by ``options``."""
        gpu = device.startswith("cuda")
        base: dict[str, Any] = {"accuracy_batch_size": batch_size}
        if gpu:
            base.update(images=512, warmup=20, latency_runs=200, batch_sizes=GPU_BATCH_SIZES, warmup_batches=3,
                        throughput_repeats=10, throughput_min_images=2048, flop_images=8)
        opts = {k: v for k, v in dict(options or {}).items() if v is not None}
        extra = [p for p in opts.pop("precisions", ()) if p != precision]
        base["precisions"] = tuple(dict.fromkeys([precision, *extra]))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(opts) - known
        if unknown:
            raise UsageError(f"unknown perf option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        base.update(opts)
        if "batch_sizes" in base:
            base["batch_sizes"] = tuple(int(b) for b in base["batch_sizes"])
        return cls(**base).validated()

    def validated(self) -> PerfConfig:
        if self.compile not in COMPILE_MODES:
            raise UsageError(f"unknown compile mode {self.compile!r}; choose one of {', '.join(COMPILE_MODES)}")
        bad = [p for p in self.precisions if p not in PRECISIONS]
        if bad:
            raise UsageError(f"unknown precision(s) {bad}; choose from {', '.join(PRECISIONS)}")
        if not self.batch_sizes or any(b < 1 for b in self.batch_sizes):
            raise UsageError(f"perf batch sizes must be positive integers, got {list(self.batch_sizes)}")
        for name in ("images", "latency_runs", "throughput_repeats", "accuracy_batch_size"):
            if getattr(self, name) < 1:
                raise UsageError(f"perf option {name} must be at least 1, got {getattr(self, name)}")
        for name in ("warmup", "warmup_batches", "flop_images", "throughput_min_images"):
            if getattr(self, name) < 0:
                raise UsageError(f"perf option {name} must not be negative, got {getattr(self, name)}")
        return self

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}
