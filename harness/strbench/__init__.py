"""strbench: benchmark harness and plugin registry for scene text recognition.

This module is the public plugin API: everything a plugin (and its tests, with
:mod:`strbench.testing`) may import. Plugins import from ``strbench`` only; the subpackages
(``strbench.plugin``, ``strbench.run``, ``strbench.weights``, ...) are the core's implementation
and may change without notice (a test checks that the packages under ``plugins/`` keep to this).
"""

from __future__ import annotations

import pluggy

from strbench.checksum import sha256_file
from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.data.loader import LoadedBatch, decode_image, make_loader, open_dataset
from strbench.data.preprocess import collate, make_batch, preprocess_image
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
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.types import (
    Batch,
    Capabilities,
    ExportResult,
    InputSpec,
    Prediction,
    TrainResult,
    Variant,
    to_jsonable,
)
from strbench.run.metrics import Metric, Scored
from strbench.run.protocols import Protocol
from strbench.run.runinfo import RunInfo
from strbench.training import TrainConfig, TrainTask, seed_everything, train
from strbench.training.recipes import Recipe, available_recipes, load_recipe
from strbench.weights.download import fetch
from strbench.weights.export import export_onnx, max_abs_diff, onnx_session
from strbench.weights.identity import describe_weights
from strbench.weights.io import compare_state, load_into, load_weights, save_weights
from strbench.weights.paddle import read_pdparams
from strbench.weights.releases import WeightsRelease

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
