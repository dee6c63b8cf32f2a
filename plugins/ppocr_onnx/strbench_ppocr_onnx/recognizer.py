"""ONNX Runtime recognizer for PP-OCR CTC models, batch-invariant by construction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

from strbench import Batch, InputSpec, Prediction, Recognizer, UsageError
from strbench_ppocr_onnx.ctc import greedy_decode
from strbench_ppocr_onnx.models import unreadable_onnx


def providers_for(device: str) -> list[str]:
    """ONNX Runtime execution providers for a strbench device string."""
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise UsageError(f"device {device!r} needs onnxruntime with CUDA (pip install onnxruntime-gpu); "
                             f"available providers: {', '.join(ort.get_available_providers())}")
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise UsageError(f"unsupported device {device!r} for ONNX Runtime; use cpu or cuda")


def own_widths(batch: Batch) -> list[int]:
    """Each sample's resized width (before padding) recovered from the batch's valid ratios."""
    canvas = int(batch.images.shape[-1])
    ratios = batch.valid_ratios.detach().cpu().tolist()
    return [min(canvas, max(1, round(r * canvas))) for r in ratios]


class PpocrRecognizer(Recognizer):
    """Runs each sample on its own canvas (``max(min_canvas_width, own width)``).

    PP-OCR's SVTR neck mixes information across the whole width, so a wider padded canvas can
    change a prediction. Samples are grouped by canvas width and each group is one ONNX call,
    which makes results independent of how samples are batched.
    """

    def __init__(self, model_path: Path, classes: Sequence[str], input_spec: InputSpec, device: str = "cpu") -> None:
        self.model_path = model_path
        self.classes = list(classes)
        self.input_spec = input_spec
        self.charset = "".join(self.classes[1:])
        self.device = device
        providers = providers_for(device)
        try:
            self.session = ort.InferenceSession(str(model_path), providers=providers)
        except Exception as exc:  # ONNX Runtime's own error types: a damaged or foreign file
            raise unreadable_onnx(Path(model_path), exc) from None
        self.input_name = self.session.get_inputs()[0].name
        self._check_classes()

    def _check_classes(self) -> None:
        probe = np.zeros((1, 3, self.input_spec.height, max(self.input_spec.min_canvas_width, 32)), np.float32)
        try:
            num_classes = self.session.run(None, {self.input_name: probe})[0].shape[-1]
        except Exception as exc:  # another kind of model: wrong input shape, type or rank
            text = str(exc).strip()
            raise UsageError(f"{self.model_path} is an ONNX model but not a PP-OCR recognition model (a 1x3x"
                             f"{self.input_spec.height}xW image input fails: "
                             f"{text.splitlines()[0] if text else type(exc).__name__}); give a PP-OCR rec "
                             f".onnx file") from None
        if num_classes != len(self.classes):
            raise UsageError(f"{self.model_path}: the model predicts {num_classes} classes but its charset has "
                             f"{len(self.classes)} (with blank and space); give a model whose 'character' "
                             f"metadata or dictionary matches it")

    def forward(self, batch: Batch) -> list[np.ndarray]:
        """Per-sample ``(T, C)`` probability matrices."""
        images = batch.images.detach().cpu().numpy().astype(np.float32, copy=False)
        groups: dict[int, list[int]] = defaultdict(list)
        for i, width in enumerate(own_widths(batch)):
            groups[max(self.input_spec.min_canvas_width, width)].append(i)
        outputs: list[Any] = [None] * len(batch)
        for canvas, members in groups.items():
            x = np.ascontiguousarray(images[members, :, :, :canvas])
            probs = self.session.run(None, {self.input_name: x})[0]
            for j, i in enumerate(members):
                outputs[i] = probs[j]
        return outputs

    def decode(self, outputs: list[np.ndarray], batch: Batch) -> list[Prediction]:
        return [greedy_decode(probs, self.classes) for probs in outputs]

    def num_parameters(self) -> int | None:
        model = onnx.load(str(self.model_path), load_external_data=False)
        return sum(int(np.prod(t.dims)) for t in model.graph.initializer)

    def describe(self) -> dict[str, Any]:
        return {
            "runtime": f"onnxruntime {ort.__version__}",
            "providers": self.session.get_providers(),
            "model_file": str(self.model_path),
            "decode": "greedy CTC, confidence = mean max probability of kept characters",
            "batching": "grouped by canvas width (batch-invariant)",
        }
