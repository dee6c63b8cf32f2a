"""A fast deterministic recognizer for ``benchmarks/run_memory.py`` (loaded with ``-p run_memory_plugin``):
it reads a word from each image's pixel sum, so a run is dominated by the harness, not a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

import strbench
from strbench import Algorithm, Batch, Capabilities, InputSpec, Prediction, Recognizer, Variant

SPEC = InputSpec(height=8, max_width=8, channels="GRAY", resize="stretch")
WORDS = ("the", "and", "street", "coffee", "hotel", "exit", "open", "sale", "park", "bank", "stop", "pizza")


class SumRecognizer(Recognizer):
    def __init__(self) -> None:
        self.input_spec, self.charset, self.device = SPEC, "abcdefghijklmnopqrstuvwxyz", "cpu"
        self.layer = torch.nn.Identity()

    def forward(self, batch: Batch) -> Any:
        return batch.images.flatten(1).sum(1)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return [Prediction(WORDS[int(v * 1000) % len(WORDS)], (int(v * 997) % 1000) / 1000) for v in outputs.tolist()]

    def module(self) -> torch.nn.Module:
        return self.layer


class SumAlgorithm(Algorithm):
    name = "memory-probe"
    version = "0.0.1"
    description = "benchmark-only: a word from each image's pixel sum"
    variants = {"base": Variant("base", "pixel-sum lookup", SPEC, "abcdefghijklmnopqrstuvwxyz")}
    default_variant = "base"
    capabilities = Capabilities()

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        return SumRecognizer()


@strbench.hookimpl
def strbench_algorithms() -> list[Algorithm]:
    return [SumAlgorithm()]
