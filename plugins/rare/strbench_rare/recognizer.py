"""The RARE recognizer: eager PyTorch, plain or the fast rewrite (the ONNX Runtime one is in :mod:`.export`)."""

from __future__ import annotations

from typing import Any

import torch

from strbench import Batch, Prediction, Recognizer, Variant
from strbench_rare.allocator import retain_freed_memory
from strbench_rare.fast import FastRare
from strbench_rare.labels import DecodeMode, decode_probs
from strbench_rare.model import RareModel


class RareRecognizer(Recognizer):
    """Runs a :class:`RareModel`; ``forward`` returns ``(B, 25, 38)`` probabilities.

    ``fast=True`` runs :class:`strbench_rare.fast.FastRare` (same outputs, faster) built from the
    model's current weights and keeps freed memory in the process
    (:func:`strbench_rare.allocator.retain_freed_memory`); ``fast=False`` runs the model as it
    is, which is what training validation needs (it shares the model being trained).
    """

    def __init__(self, model: RareModel, variant: Variant, device: str = "cpu", *, fast: bool = True,
                 decode: DecodeMode = "paddle") -> None:
        self.model = model
        self.variant = variant
        self.input_spec = variant.input_spec
        self.charset = variant.charset
        self.device = device
        self.fast = fast
        self.decode_mode = decode
        self.net: torch.nn.Module = FastRare(model).to(device).eval() if fast else model
        self.heap_retained = retain_freed_memory() if fast and device == "cpu" else False

    def forward(self, batch: Batch) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                return self.net(batch.images.to(self.device))
        finally:
            self.model.train(was_training)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return decode_probs(outputs, self.decode_mode)

    def module(self) -> torch.nn.Module:
        return self.model

    def runtime_module(self) -> torch.nn.Module:
        return self.net

    def describe(self) -> dict[str, Any]:
        return {
            "runtime": "pytorch",
            "path": "fast (folded BN, channels_last, precomputed decoder projections)" if self.fast else "plain eager",
            "heap_retained": self.heap_retained,
            "decode": self.decode_mode,
            "confidence": "mean max-probability of the kept steps",
        }
