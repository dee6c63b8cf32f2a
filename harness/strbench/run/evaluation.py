"""Run a recognizer over a dataset and score it: the accuracy pass of every benchmark run."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strbench import ui
from strbench.data.base import SampleSource
from strbench.errors import PluginError
from strbench.plugin.algorithm import Recognizer
from strbench.run.metrics import Metric
from strbench.run.protocols import Protocol
from strbench.run.scoring import DatasetScore, SamplePrediction, score

if TYPE_CHECKING:
    from strbench.data.loader import Perturb

#: ``--precision`` names and their autocast dtypes, as ``torch`` attribute names (``None``: no
#: autocast). ``int8`` is not an autocast: the model itself is quantized (an int8 ONNX graph,
#: ``--backend onnx``).
PRECISIONS: dict[str, str | None] = {
    "fp32": None, "fp16": "float16", "bf16": "bfloat16", "int8": None,
}
#: precisions the model is built in rather than autocast to
QUANTIZED_PRECISIONS = ("int8",)


@dataclass
class DatasetResult:
    """Predictions and score of one dataset."""

    predictions: list[SamplePrediction]
    score: DatasetScore
    seconds: float

    @property
    def metrics(self) -> dict[str, float]:
        return self.score.metrics


def autocast(device: str, precision: str) -> contextlib.AbstractContextManager[Any]:
    """Autocast context for ``precision`` (fp32: no-op)."""
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    import torch

    return torch.autocast(device_type=torch.device(device).type, dtype=getattr(torch, dtype))


def predict_source(
    recognizer: Recognizer,
    source: SampleSource,
    *,
    batch_size: int = 64,
    workers: int = 0,
    precision: str = "fp32",
    description: str = "",
    sink: Callable[[list[SamplePrediction]], None] | None = None,
    advance: Callable[[int], None] | None = None,
    perturb: Perturb | None = None,
) -> tuple[list[SamplePrediction], float]:
    """Predict every sample of ``source``; unreadable samples become counted skips.

    With ``sink`` each batch's predictions go to it as they come and the returned list is empty
    (bounded memory); with ``advance`` progress is reported to the caller's bar instead of a new one;
    ``perturb`` corrupts each decoded image first (``--perturb``, :mod:`strbench.data.perturb`)."""
    import torch

    from strbench.data.loader import make_loader

    loader = make_loader(source, recognizer.input_spec, batch_size=batch_size, workers=workers, perturb=perturb)
    out: list[SamplePrediction] = []
    model_seconds = 0.0
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.inference_mode())
        if advance is None:
            bar = stack.enter_context(ui.progress())
            task = bar.add_task(description or source.location, total=len(source))
            advance = lambda n: bar.advance(task, n)  # noqa: E731
        for item in loader:
            for key, reason in item.skipped:
                out.append(SamplePrediction(key, "", skip=reason))
            if len(item.batch):
                start = time.perf_counter()
                with autocast(recognizer.device, precision):
                    preds = recognizer.predict(item.batch.to(recognizer.device))
                model_seconds += time.perf_counter() - start
                if len(preds) != len(item.batch):
                    raise PluginError(f"recognizer returned {len(preds)} predictions for a batch of "
                                      f"{len(item.batch)} images; a plugin must return one per image")
                for key, label, pred in zip(item.batch.keys, item.labels, preds, strict=True):
                    out.append(SamplePrediction(key, label, pred.text, float(pred.confidence)))
            if sink is not None:
                sink(out)
                out = []
            advance(len(item.batch) + len(item.skipped))
    return out, model_seconds


def evaluate_source(
    recognizer: Recognizer,
    source: SampleSource,
    protocol: Protocol,
    metrics: Mapping[str, Metric],
    *,
    batch_size: int = 64,
    workers: int = 0,
    precision: str = "fp32",
    description: str = "",
) -> DatasetResult:
    """Predict and score one dataset under ``protocol`` with ``metrics`` (both from the plugin host)."""
    start = time.perf_counter()
    preds, _ = predict_source(recognizer, source, batch_size=batch_size, workers=workers,
                              precision=precision, description=description)
    return DatasetResult(preds, score(preds, protocol, metrics), time.perf_counter() - start)
