"""strbench: benchmark harness and plugin registry for scene text recognition.

This module is the public plugin API: everything a plugin (and its tests, with
:mod:`strbench.testing`) may import. Plugins import from ``strbench`` only; the subpackages
(``strbench.plugin``, ``strbench.run``, ``strbench.weights``, ...) are the core's implementation
and may change without notice (a test checks that the packages under ``plugins/`` keep to this).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from strbench.checksum import sha256_file
from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.data.suite import BenchmarkSuite, DatasetVersion, Download
from strbench.errors import (
    DataError,
    NotSupportedError,
    PluginError,
    SampleError,
    StrbenchDeprecationWarning,
    StrbenchError,
    UsageError,
)
from strbench.lazy import lazy_exports
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.types import (
    Batch,
    Capabilities,
    ExportResult,
    InputSpec,
    Prediction,
    TrainResult,
    TrainSetting,
    Variant,
    to_jsonable,
)
from strbench.run.metrics import Metric, Scored
from strbench.run.protocols import Protocol
from strbench.run.runinfo import RunInfo
from strbench.training.config import TrainConfig
from strbench.training.recipes import Recipe, available_recipes, load_recipe
from strbench.weights.download import fetch
from strbench.weights.identity import describe_weights
from strbench.weights.paddle import read_pdparams
from strbench.weights.releases import WeightsRelease

if TYPE_CHECKING:
    from strbench.data.loader import LoadedBatch, decode_image, make_loader, open_dataset
    from strbench.data.preprocess import collate, make_batch, preprocess_image
    from strbench.training import TrainTask, seed_everything, train
    from strbench.weights.export import export_onnx, max_abs_diff, onnx_session
    from strbench.weights.io import compare_state, load_into, load_weights, save_weights

#: Names whose modules import torch (or cv2, onnx): imported on first use, so that importing
#: strbench, and every command that runs no model, stays free of them.
_LAZY = {
    "LoadedBatch": "strbench.data.loader",
    "decode_image": "strbench.data.loader",
    "make_loader": "strbench.data.loader",
    "open_dataset": "strbench.data.loader",
    "collate": "strbench.data.preprocess",
    "make_batch": "strbench.data.preprocess",
    "preprocess_image": "strbench.data.preprocess",
    "TrainTask": "strbench.training",
    "seed_everything": "strbench.training",
    "train": "strbench.training",
    "export_onnx": "strbench.weights.export",
    "max_abs_diff": "strbench.weights.export",
    "onnx_session": "strbench.weights.export",
    "compare_state": "strbench.weights.io",
    "load_into": "strbench.weights.io",
    "load_weights": "strbench.weights.io",
    "save_weights": "strbench.weights.io",
}


__getattr__ = lazy_exports(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

#: Marker for hook implementations in plugins: ``@strbench.hookimpl``.
hookimpl = pluggy.HookimplMarker("strbench")

__all__ = [
    # the algorithm contract
    "Algorithm",
    "Batch",
    "Capabilities",
    "ExportResult",
    "InputSpec",
    "Prediction",
    "Recognizer",
    "TrainResult",
    "TrainSetting",
    "Variant",
    "hookimpl",
    "__version__",
    # what other registration hooks return
    "BenchmarkSuite",
    "DatasetFormat",
    "DatasetVersion",
    "Download",
    "Metric",
    "Protocol",
    "RawSample",
    "SampleSource",
    "Scored",
    # what event hooks receive
    "RunInfo",
    # errors and warnings
    "DataError",
    "NotSupportedError",
    "PluginError",
    "SampleError",
    "StrbenchDeprecationWarning",
    "StrbenchError",
    "UsageError",
    # data and preprocessing
    "LoadedBatch",
    "collate",
    "decode_image",
    "make_batch",
    "make_loader",
    "open_dataset",
    "preprocess_image",
    # training
    "Recipe",
    "TrainConfig",
    "TrainTask",
    "available_recipes",
    "load_recipe",
    "seed_everything",
    "train",
    # weights, downloads and export
    "WeightsRelease",
    "compare_state",
    "describe_weights",
    "export_onnx",
    "fetch",
    "load_into",
    "load_weights",
    "max_abs_diff",
    "onnx_session",
    "read_pdparams",
    "save_weights",
    "sha256_file",
    "to_jsonable",
]
