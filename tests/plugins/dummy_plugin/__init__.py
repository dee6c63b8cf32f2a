"""A tiny test-only recognizer plugin: predicts from a fixed lookup of image sizes.

It "recognises" an image by returning the label stored for an image of the same content hash
when taught one, otherwise a deterministic string derived from the image statistics. It exists
to exercise the harness end to end through a real entry point without a neural network.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

import strbench
from strbench import Algorithm, Batch, Capabilities, InputSpec, Prediction, Recognizer, Variant

__version__ = "0.0.1"

SPEC = InputSpec(height=16, max_width=64, channels="RGB", resize="keep_ratio", pad_value=0.0)
CHARSET = "0123456789abcdefghijklmnopqrstuvwxyz"


class DigestRecognizer(Recognizer):
    """Maps each image tensor (its valid columns) to a string through a digest; optional lookup."""

    def __init__(self, lookup: dict[str, str] | None = None) -> None:
        self.input_spec = SPEC
        self.charset = CHARSET
        self.lookup = lookup or {}
        self.layer = torch.nn.Conv2d(3, 4, 3)

    def forward(self, batch: Batch) -> Any:
        return batch.images, batch.valid_ratios

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        images, ratios = outputs
        preds = []
        for img, ratio in zip(images, ratios, strict=True):
            width = max(1, round(float(ratio) * img.shape[-1]))
            digest = hashlib.sha1(img[..., :width].numpy().round(3).tobytes()).hexdigest()
            text = self.lookup.get(digest, "".join(CHARSET[int(c, 16)] for c in digest[:5]))
            preds.append(Prediction(text, 0.5))
        return preds

    def module(self) -> torch.nn.Module:
        return self.layer


class DummyAlgorithm(Algorithm):
    name = "dummy"
    version = __version__
    description = "test-only digest recognizer"
    variants = {"base": Variant("base", "digest of the image", SPEC, CHARSET)}
    default_variant = "base"
    capabilities = Capabilities()

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        lookup = {}
        if weights is not None:
            for line in weights.read_text().splitlines():
                digest, _, label = line.partition("\t")
                lookup[digest] = label
        return DigestRecognizer(lookup)

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        return {"name": weights.name if weights else "digest-only", "trained": weights is not None}


@strbench.hookimpl
def strbench_algorithms() -> list[Algorithm]:
    return [DummyAlgorithm()]
