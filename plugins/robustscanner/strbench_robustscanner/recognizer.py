"""The :class:`strbench.Recognizer` of RobustScanner (eager PyTorch)."""

from __future__ import annotations

from typing import Any

import torch

from strbench import Batch, InputSpec, Prediction, Recognizer, UsageError
from strbench_robustscanner.labels import Vocabulary, greedy_decode
from strbench_robustscanner.network import RobustScanner, inference_copy


def require_ratios(batch: Batch) -> torch.Tensor:
    if batch.valid_ratios is None:
        raise UsageError(
            "RobustScanner needs Batch.valid_ratios (the attention mask of padded columns); "
            "build batches with strbench.make_batch or strbench.make_loader"
        )
    return batch.valid_ratios


class RobustScannerRecognizer(Recognizer):
    """``forward`` returns per-step class probabilities ``(B, T, 92)``; ``decode`` applies
    SARLabelDecode (stop at the end token, confidence = mean max-probability).

    ``fast=True`` (default) runs an inference copy (batch norm folded, channels-last, incremental
    decoding that stops once every sequence has ended); ``fast=False`` runs the reference path
    that re-runs the hybrid branch over the whole sequence at every step. Both give the same
    strings. ``shared=True`` (validation during training) decodes incrementally with the live
    model instead of a frozen copy."""

    def __init__(
        self,
        model: RobustScanner,
        vocab: Vocabulary,
        input_spec: InputSpec,
        device: str = "cpu",
        fast: bool = True,
        shared: bool = False,
    ) -> None:
        self.model = model.to(device)
        if shared:
            self.model.decode_mode = "fast" if fast else "plain"
            self.runner = self.model
        else:
            self.model.eval()
            self.runner = inference_copy(self.model) if fast else self.model
        self.vocab = vocab
        self.charset = vocab.charset
        self.input_spec = input_spec
        self.device = device
        self.fast = fast

    def forward(self, batch: Batch) -> torch.Tensor:
        ratios = require_ratios(batch)
        with torch.inference_mode():
            return self.runner(batch.images.to(self.device), ratios.to(self.device))

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return [Prediction(text, conf) for text, conf in greedy_decode(outputs, self.vocab)]

    def module(self) -> torch.nn.Module:
        return self.model

    def runtime_module(self) -> torch.nn.Module:
        return self.runner

    def describe(self) -> dict[str, Any]:
        return {
            "runtime": "pytorch",
            "decode": "greedy, stops at the end token (SARLabelDecode)",
            "confidence": "mean of per-character max probabilities",
            "fast_path": self.fast,
            "network": self.model.config.to_dict(),
        }
