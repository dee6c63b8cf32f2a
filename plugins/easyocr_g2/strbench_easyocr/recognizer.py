"""Batch-invariant recognizer around :class:`EasyOcrCrnn`."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from strbench import Batch, InputSpec, Prediction, Recognizer
from strbench_easyocr.ctc import greedy_decode
from strbench_easyocr.model import EasyOcrCrnn


def own_widths(batch: Batch) -> list[int]:
    """Each sample's resized width (before padding) recovered from the batch's valid ratios."""
    canvas = int(batch.images.shape[-1])
    ratios = batch.valid_ratios.detach().cpu().tolist()
    return [min(canvas, max(1, round(r * canvas))) for r in ratios]


def easyocr_canvas(width: int, height: int) -> int:
    """EasyOCR pads a crop to ``ceil(w / h) * height``, i.e. its resized width rounded up to a
    multiple of ``height``."""
    return height * math.ceil(width / height)


class EasyOcrRecognizer(Recognizer):
    """Each sample runs on its own EasyOCR canvas (last column replicated), never a batch-wide one.

    The BiLSTMs read the padding, so padding a sample to the widest image of its batch would
    change its prediction. Samples sharing a canvas width run together.
    """

    def __init__(self, model: EasyOcrCrnn, classes: Sequence[str], input_spec: InputSpec,
                 device: str = "cpu", ignore: Iterable[int] = ()) -> None:
        self.model = model.to(device).eval()
        self.classes = list(classes)
        self.charset = "".join(self.classes[1:])
        self.input_spec = input_spec
        self.device = device
        self.ignore = tuple(sorted(set(ignore)))

    def _canvas(self, image: torch.Tensor, width: int, canvas: int) -> torch.Tensor:
        content = image[:, :, :width]
        if canvas == width:
            return content
        return torch.cat([content, content[:, :, -1:].expand(-1, -1, canvas - width)], dim=2)

    @torch.inference_mode()
    def forward(self, batch: Batch) -> list[torch.Tensor]:
        """Per-sample ``(T, C)`` logits."""
        height = self.input_spec.height
        groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for i, width in enumerate(own_widths(batch)):
            groups[easyocr_canvas(width, height)].append((i, width))
        outputs: list[Any] = [None] * len(batch)
        for canvas, members in groups.items():
            x = torch.stack([self._canvas(batch.images[i], w, canvas) for i, w in members])
            logits = self.model(x)
            for j, (i, _) in enumerate(members):
                outputs[i] = logits[j]
        return outputs

    def decode(self, outputs: list[torch.Tensor], batch: Batch) -> list[Prediction]:
        return [greedy_decode(logits.cpu(), self.classes, self.ignore) for logits in outputs]

    def module(self) -> torch.nn.Module:
        return self.model

    def describe(self) -> dict[str, Any]:
        return {
            "runtime": f"torch {torch.__version__}",
            "decode": "greedy CTC; confidence = EasyOCR custom_mean (prod ** (2 / sqrt(n)))",
            "batching": "grouped by EasyOCR canvas width ceil(w/h)*64 (batch-invariant)",
            "ignored_classes": len(self.ignore),
        }
