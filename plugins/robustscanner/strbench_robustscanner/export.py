"""ONNX export of RobustScanner and its ONNX Runtime recognizer.

The graph takes ``image`` ``(B, 3, 48, W)`` float32 and ``valid_ratio`` ``(B,)`` float32 and
returns ``probs`` ``(B, 40, 92)``: the folded network with incremental decoding unrolled over all
40 steps (no early stop, which is data-dependent control flow). Decoding stays in Python.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from strbench import Batch, ExportResult, NotSupportedError, Prediction, Recognizer
from strbench_robustscanner.labels import Vocabulary, greedy_decode
from strbench_robustscanner.network import RobustScanner, inference_copy
from strbench_robustscanner.recognizer import RobustScannerRecognizer, require_ratios

if TYPE_CHECKING:
    from strbench_robustscanner.algorithm import RobustScannerAlgorithm

INPUT_NAMES = ("image", "valid_ratio")
OUTPUT_NAMES = ("probs",)
#: stays in float under int8 quantization: everything after the ResNet31 backbone (the encoder's
#: LSTM, the position-aware module and the 40 unrolled decoding steps, whose attention and
#: projections the export inlines as /net/MatMul_*, /net/Gemm_*); the backbone's convolutions,
#: nearly all of the compute, are quantized
QUANTIZE_EXCLUDE = ("/net/encoder/*", "/net/position_aware_module/*", "/net/MatMul*", "/net/Gemm*")


class ExportGraph(nn.Module):
    """The traced module: folded network, 40 unrolled incremental decoding steps."""

    def __init__(self, model: RobustScanner) -> None:
        super().__init__()
        self.net = inference_copy(model, channels_last=False)
        self.net.decode_mode = "fast_full"

    def forward(self, image: torch.Tensor, valid_ratio: torch.Tensor) -> torch.Tensor:
        return self.net(image, valid_ratio)


def export(
    algorithm: RobustScannerAlgorithm, recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None
) -> ExportResult:
    from strbench import export_onnx, max_abs_diff

    if fmt != "onnx":
        raise NotSupportedError(f"robustscanner exports to 'onnx' only, not {fmt!r}")
    if not isinstance(recognizer, RobustScannerRecognizer):
        raise NotSupportedError("robustscanner can only export a recognizer it loaded itself (eager PyTorch)")
    model = copy.deepcopy(recognizer.model).to("cpu").eval()  # the recognizer itself stays as it is
    spec = recognizer.input_spec
    if check_batch is not None and len(check_batch):
        images, ratios = check_batch.images.to("cpu"), require_ratios(check_batch).to("cpu")
    else:
        images = torch.full((2, 3, spec.height, spec.max_width), spec.pad_value)
        ratios = torch.tensor([1.0, 0.5])
    export_onnx(
        ExportGraph(model), (images, ratios), path,
        input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
        dynamic_axes={"image": {0: "batch", 3: "width"}, "valid_ratio": {0: "batch"}, "probs": {0: "batch"}},
    )
    diff = strings_equal = None
    checked = 0
    if check_batch is not None and len(check_batch):
        onnx_rec = OnnxRecognizer(path, recognizer.vocab, spec, "cpu")
        batch = Batch(check_batch.keys, images, ratios)
        onnx_probs = onnx_rec.forward(batch)
        with torch.inference_mode():
            model.decode_mode = "plain"
            eager_probs = model(images, ratios)
        diff = max_abs_diff(onnx_probs, eager_probs)
        eager_texts = [p.text for p in recognizer.predict(check_batch.to(recognizer.device))]
        strings_equal = [p.text for p in onnx_rec.decode(onnx_probs, batch)] == eager_texts
        checked = len(check_batch)
    return ExportResult(path=str(path), format="onnx", max_abs_diff=diff, strings_equal=strings_equal,
                        checked_samples=checked, inputs=INPUT_NAMES, quantize_exclude=QUANTIZE_EXCLUDE)


class OnnxRecognizer(Recognizer):
    """Runs the exported graph with ONNX Runtime; decoding as the eager recognizer."""

    def __init__(self, path: Path, vocab: Vocabulary, input_spec: Any, device: str = "cpu") -> None:
        from strbench import onnx_session

        self.session = onnx_session(path, device)
        self.path = Path(path)
        self.vocab = vocab
        self.charset = vocab.charset
        self.input_spec = input_spec
        self.device = device

    def onnx_feeds(self, batch: Batch) -> dict[str, np.ndarray]:
        return {
            "image": np.ascontiguousarray(batch.images.detach().cpu().numpy(), dtype=np.float32),
            "valid_ratio": np.ascontiguousarray(require_ratios(batch).detach().cpu().numpy(), dtype=np.float32),
        }

    def forward(self, batch: Batch) -> torch.Tensor:
        (probs,) = self.session.run(list(OUTPUT_NAMES), self.onnx_feeds(batch))
        return torch.from_numpy(probs)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return [Prediction(text, conf) for text, conf in greedy_decode(outputs, self.vocab)]

    def describe(self) -> dict[str, Any]:
        return {"runtime": "onnxruntime", "model": str(self.path), "decode": "greedy, stops at the end token"}


def load_exported(algorithm: RobustScannerAlgorithm, path: Path, fmt: str, variant: str, device: str) -> Recognizer:
    if fmt != "onnx":
        raise NotSupportedError(f"robustscanner runs exported 'onnx' models only, not {fmt!r}")
    v = algorithm.variant(variant)
    return OnnxRecognizer(path, Vocabulary(v.charset), v.input_spec, device)
