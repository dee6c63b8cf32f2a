"""strbench: benchmark harness and plugin registry for scene text recognition."""

from __future__ import annotations

import pluggy

from strbench.algorithm import Algorithm, Recognizer
from strbench.errors import DataError, NotSupportedError, PluginError, SampleError, StrbenchError, UsageError
from strbench.types import (
    Batch,
    Capabilities,
    ExportResult,
    InputSpec,
    Prediction,
    TrainResult,
    Variant,
)

__version__ = "0.1.0"

#: Marker for hook implementations in plugins: ``@strbench.hookimpl``.
hookimpl = pluggy.HookimplMarker("strbench")

__all__ = [
    "Algorithm",
    "Batch",
    "Capabilities",
    "DataError",
    "ExportResult",
    "InputSpec",
    "NotSupportedError",
    "PluginError",
    "Prediction",
    "Recognizer",
    "SampleError",
    "StrbenchError",
    "TrainResult",
    "UsageError",
    "Variant",
    "__version__",
    "hookimpl",
]
