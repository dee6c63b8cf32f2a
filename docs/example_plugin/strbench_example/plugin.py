"""The entry point module: an :class:`strbench.Algorithm` and its :class:`strbench.Recognizer`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

import strbench
from strbench import Algorithm, Batch, InputSpec, Prediction, Recognizer, Variant, load_into, load_weights
from strbench_example import __version__
from strbench_example.model import TinyCrnn

CHARSET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Stretching every image to 32 x 128 means no padding: batching cannot change a prediction.
INPUT_SPEC = InputSpec(height=32, max_width=128, channels="GRAY", mean=(0.5,), std=(0.5,), resize="stretch")


class TinyCrnnRecognizer(Recognizer):
    def __init__(self, model: TinyCrnn, device: str) -> None:
        self.model = model.to(device).eval()
        self.input_spec, self.charset, self.device = INPUT_SPEC, CHARSET, device

    @torch.inference_mode()
    def forward(self, batch: Batch) -> torch.Tensor:
        return self.model(batch.images)

    def decode(self, outputs: torch.Tensor, batch: Batch) -> list[Prediction]:
        probs = outputs.float().softmax(-1).cpu()
        preds = []
        for score, best in zip(*probs.max(-1)):
            keep = (best != 0) & torch.cat([torch.tensor([True]), best[1:] != best[:-1]])
            text = "".join(CHARSET[i - 1] for i in best[keep].tolist())
            preds.append(Prediction(text, float(score[keep].mean()) if keep.any() else 0.0))
        return preds

    def module(self) -> torch.nn.Module:
        return self.model


class TinyCrnnAlgorithm(Algorithm):
    name = "example-crnn"
    version = __version__
    description = "A tiny CTC recognizer used to show how strbench plugins are written"
    default_variant = "tiny"
    variants = {"tiny": Variant("tiny", "3 conv blocks + linear CTC head", INPUT_SPEC, CHARSET)}

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        self.variant(variant)  # raises a UsageError for unknown variants
        torch.manual_seed(0)  # untrained weights are reproducible
        model = TinyCrnn(num_classes=len(CHARSET) + 1)
        if weights is not None:
            state, _ = load_weights(weights)
            load_into(model, state, source=str(weights))
        return TinyCrnnRecognizer(model, device)


@strbench.hookimpl
def strbench_algorithms() -> list[Algorithm]:
    return [TinyCrnnAlgorithm()]
