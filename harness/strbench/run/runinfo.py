"""What a benchmark run was asked to do (passed to event hooks and stored in the record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strbench.weights.quantize import DEFAULT_CALIBRATION_METHOD


@dataclass
class RunInfo:
    """Configuration of one ``strbench run``."""

    algorithm: str
    variant: str | None = None
    weights: str | None = None
    data_root: Path | None = None
    suite: str = "standard"
    datasets: list[str] | None = None  # restrict to these version names (None: every version)
    dataset_paths: list[str] = field(default_factory=list)  # --dataset PATH[=NAME]: custom sets
    dataset_format: str | None = None  # --format: force this dataset format for dataset_paths
    dataset_root: Path | None = None  # --dataset-root: image root of dataset_paths' annotation files
    protocol: str | None = None  # None: the algorithm's default protocol
    batch_size: int = 64
    workers: int = 2
    device: str = "cpu"
    precision: str = "fp32"
    backend: str = "torch"  # "torch" (eager, as the plugin builds it) or "onnx" (exported, ONNX Runtime)
    onnx_model: Path | None = None
    calibration_data: Path | None = None  # int8: training crops whose activations calibrate the ranges
    calibration_samples: int = 256
    calibration_method: str = DEFAULT_CALIBRATION_METHOD  # int8: percentile or minmax (weights/quantize.py)
    allow_test_calibration: bool = False  # int8: calibrate even on benchmark test samples (recorded)
    limit: int | None = None  # first N samples per dataset (a subset run, marked as such)
    results_dir: Path = Path("results")
    tag: str = ""
    perf: bool = False
    perf_options: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # plugin options from strbench_addoption
    record_id: str = ""
    resume: bool = True  # reuse the dataset versions an interrupted identical run finished (run/resume.py)
    perturb: str | None = None  # --perturb NAME[:SEVERITY]: a controlled corruption (data/perturb.py)
    perturb_seed: int = 0  # --perturb-seed: the seed of the corruption's per-sample draws
