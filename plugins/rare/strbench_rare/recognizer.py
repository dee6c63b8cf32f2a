"""RARE recognizers: eager PyTorch (plain or the fast rewrite) and ONNX Runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from strbench import Batch, Prediction, Recognizer, Variant
from strbench_rare.allocator import retain_freed_memory
from strbench_rare.fast import FastRare
from strbench_rare.labels import DecodeMode, decode_probs
from strbench_rare.model import RareModel

ONNX_INPUT = "images"
ONNX_OUTPUT = "probs"


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


class OnnxRareRecognizer(Recognizer):
    """Runs an exported RARE ONNX model (input ``images``, output ``probs``) with ONNX Runtime."""

    def __init__(self, session: Any, path: Path, variant: Variant, device: str = "cpu",
                 decode: DecodeMode = "paddle") -> None:
        self.session = session
        self.path = Path(path)
        self.variant = variant
        self.input_spec = variant.input_spec
        self.charset = variant.charset
        self.device = device
        self.decode_mode = decode

    def forward(self, batch: Batch) -> np.ndarray:
        images = batch.images.detach().to("cpu", torch.float32).numpy()
        return self.session.run([ONNX_OUTPUT], {ONNX_INPUT: images})[0]

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return decode_probs(outputs, self.decode_mode)

    def num_parameters(self) -> int | None:
        return self.variant.num_parameters

    def describe(self) -> dict[str, Any]:
        return {"runtime": "onnxruntime", "model": str(self.path), "decode": self.decode_mode}
