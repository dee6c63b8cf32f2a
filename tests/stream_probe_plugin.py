"""Test-only plugin: a fast fake recognizer that, at every batch, counts the predictions already
written to the run's spool files (``STRBENCH_PROBE_RESULTS``), to show they are streamed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

import strbench
from strbench import Algorithm, Batch, Capabilities, InputSpec, Prediction, Recognizer, Variant

SPEC = InputSpec(height=8, max_width=8, channels="GRAY", resize="stretch")
SEEN: list[tuple[int, int]] = []  # (predictions made before this batch, lines on disk at this batch)


def spooled_lines(results: Path) -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in results.glob(".spool-*/*.jsonl"))


class ProbeRecognizer(Recognizer):
    def __init__(self) -> None:
        self.input_spec, self.charset, self.device = SPEC, "ab", "cpu"
        self.layer = torch.nn.Identity()
        self.done = 0

    def forward(self, batch: Batch) -> Any:
        SEEN.append((self.done, spooled_lines(Path(os.environ["STRBENCH_PROBE_RESULTS"]))))
        self.done += len(batch)
        return batch.images

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return [Prediction("a", 1.0) for _ in range(len(batch))]

    def module(self) -> torch.nn.Module:
        return self.layer


class ProbeAlgorithm(Algorithm):
    name = "stream-probe"
    version = "0.0.1"
    description = "test-only streaming probe"
    variants = {"base": Variant("base", "probe", SPEC, "ab")}
    default_variant = "base"
    capabilities = Capabilities()

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        return ProbeRecognizer()


@strbench.hookimpl
def strbench_algorithms() -> list[Algorithm]:
    return [ProbeAlgorithm()]
