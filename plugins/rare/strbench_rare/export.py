"""ONNX export of RARE and its ONNX Runtime recognizer.

The graph is the fast inference rewrite (:class:`strbench_rare.fast.FastRare`) with the TPS sampler
(GridSample) and the 25-step decoder unrolled; input ``images`` ``(batch, 3, 32, 100)``, output
``probs`` ``(batch, 25, 38)``, dynamic batch. Decoding stays in Python. Exporting builds its own
copy of the network and leaves the recognizer it is given untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from strbench import (
    Batch,
    ExportResult,
    NotSupportedError,
    Prediction,
    Recognizer,
    UsageError,
    Variant,
    export_onnx,
    max_abs_diff,
    onnx_session,
)
from strbench_rare.labels import DecodeMode, decode_probs
from strbench_rare.recognizer import RareRecognizer

ONNX_INPUT = "images"
ONNX_OUTPUT = "probs"
#: stays in float under int8 quantization: the TPS localization network and sampling grid (its
#: fiducial regression needs more than 8 bits) and the attention decoder
QUANTIZE_EXCLUDE = ("/transform/*", "/decoder/*")


def export(recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None) -> ExportResult:
    """Write ``recognizer``'s network to ``path`` and compare it with eager on ``check_batch``."""
    if fmt != "onnx":
        raise NotSupportedError(f"rare exports only to onnx, not {fmt!r}")
    if not isinstance(recognizer, RareRecognizer):
        raise UsageError("rare can only export a recognizer it loaded itself (Algorithm.load)")
    net = RareRecognizer(recognizer.model, recognizer.variant, "cpu", fast=True).net.cpu().eval()
    spec = recognizer.input_spec
    example = torch.zeros(2, spec.num_channels, spec.height, spec.max_width)
    export_onnx(
        net, (example,), path, input_names=[ONNX_INPUT], output_names=[ONNX_OUTPUT],
        dynamic_axes={ONNX_INPUT: {0: "batch"}, ONNX_OUTPUT: {0: "batch"}}, opset=17,
    )
    if check_batch is None or len(check_batch) == 0:
        return ExportResult(path=str(path), format="onnx", inputs=(ONNX_INPUT,), quantize_exclude=QUANTIZE_EXCLUDE)
    eager = recognizer.forward(check_batch.to(recognizer.device))
    onnx_out = OnnxRareRecognizer(onnx_session(path), path, recognizer.variant).forward(check_batch)
    eager_text = [p.text for p in decode_probs(eager)]
    onnx_text = [p.text for p in decode_probs(onnx_out)]
    return ExportResult(
        path=str(path), format="onnx", max_abs_diff=max_abs_diff(eager, onnx_out),
        strings_equal=eager_text == onnx_text, checked_samples=len(check_batch), inputs=(ONNX_INPUT,),
        quantize_exclude=QUANTIZE_EXCLUDE,
    )


def load_exported(variant: Variant, path: Path, fmt: str, device: str = "cpu") -> Recognizer:
    """An :class:`OnnxRareRecognizer` over the exported model at ``path``."""
    if fmt != "onnx":
        raise NotSupportedError(f"rare runs exported onnx models only, not {fmt!r}")
    return OnnxRareRecognizer(onnx_session(path, device), path, variant, device)


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

    def onnx_feeds(self, batch: Batch) -> dict[str, np.ndarray]:
        return {ONNX_INPUT: batch.images.detach().to("cpu", torch.float32).numpy()}

    def forward(self, batch: Batch) -> np.ndarray:
        return self.session.run([ONNX_OUTPUT], self.onnx_feeds(batch))[0]

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return decode_probs(outputs, self.decode_mode)

    def num_parameters(self) -> int | None:
        return self.variant.num_parameters

    def describe(self) -> dict[str, Any]:
        return {"runtime": "onnxruntime", "model": str(self.path), "decode": self.decode_mode}
