"""Small fake algorithms for testing the conformance kit: one correct, several subtly broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strbench
from strbench import Algorithm, Batch, Capabilities, ExportResult, InputSpec, Prediction, Recognizer, Variant

SPEC = InputSpec(height=16, max_width=0, channels="GRAY", mean=(0.5,), std=(0.5,), pad_to="batch")


class FakeRecognizer(Recognizer):
    """Text = own width + whether the image is dark: a pure function of each sample."""

    def __init__(self, leak_canvas: bool = False, drop_last: bool = False, numpy_confidence: bool = False) -> None:
        self.input_spec, self.charset, self.device = SPEC, "0123456789dlw", "cpu"
        self.leak_canvas, self.drop_last, self.numpy_confidence = leak_canvas, drop_last, numpy_confidence

    def forward(self, batch: Batch) -> list[tuple[int, float]]:
        canvas = int(batch.images.shape[-1])
        out = []
        for image, ratio in zip(batch.images, batch.valid_ratios.tolist()):
            width = canvas if self.leak_canvas else round(ratio * canvas)
            out.append((width, float(image[:, :, :width].mean())))
        return out

    def decode(self, outputs: list[tuple[int, float]], batch: Batch) -> list[Prediction]:
        preds = [Prediction(f"w{w}{'d' if m < 0 else 'l'}", min(1.0, abs(m))) for w, m in outputs]
        if self.numpy_confidence:
            import numpy as np

            preds = [Prediction(p.text, np.float32(p.confidence)) for p in preds]
        return preds[:-1] if self.drop_last else preds


class LongPaddingRecognizer(FakeRecognizer):
    """Runs the whole batch padded to its widest image, and that long padding changes the text of an
    image more than five times narrower than the canvas (like attention drifting into padding)."""

    def decode(self, outputs: list[tuple[int, float]], batch: Batch) -> list[Prediction]:
        canvas = int(batch.images.shape[-1])
        preds = super().decode(outputs, batch)
        return [Prediction(p.text + ("w" if canvas > 5 * w else ""), p.confidence)
                for p, (w, _) in zip(preds, outputs, strict=True)]


class FakeAlgorithm(Algorithm):
    name = "fake-good"
    version = "1.0"
    description = "test fake"
    default_variant = "base"
    variants = {"base": Variant("base", "fake", SPEC, charset="0123456789dlw")}
    recognizer_options: dict[str, Any] = {}

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        return FakeRecognizer(**self.recognizer_options)


class LeakyAlgorithm(FakeAlgorithm):
    name = "fake-leaky"
    recognizer_options = {"leak_canvas": True}


class LongPaddingAlgorithm(FakeAlgorithm):
    name = "fake-long-padding"

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        return LongPaddingRecognizer()


class ShortAlgorithm(FakeAlgorithm):
    name = "fake-short"
    recognizer_options = {"drop_last": True}


class NumpyConfidenceAlgorithm(FakeAlgorithm):
    name = "fake-numpy"
    recognizer_options = {"numpy_confidence": True}


class OverclaimingAlgorithm(FakeAlgorithm):
    """Declares training and ONNX export without implementing either."""

    name = "fake-overclaim"
    capabilities = Capabilities(train=True, export=("onnx",))


class SilentExportAlgorithm(FakeAlgorithm):
    """Implements export without declaring it, and fails with a generic error."""

    name = "fake-silent-export"

    def export(self, recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None) -> Any:
        raise RuntimeError("boom")


class DriftingExportAlgorithm(FakeAlgorithm):
    """Declares an export whose exported model predicts differently from the eager one."""

    name = "fake-drifting-export"
    capabilities = Capabilities(export=("txt",))

    def export(self, recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None) -> ExportResult:
        if fmt != "txt":
            raise strbench.NotSupportedError(f"no {fmt} export")
        path.write_text("exported")
        return ExportResult(path=str(path), format=fmt)

    def load_exported(self, path: Path, fmt: str, variant: str, device: str = "cpu") -> Recognizer:
        return FakeRecognizer(leak_canvas=True)


class FakePlugin:
    """A plugin object returning the given algorithms."""

    def __init__(self, *algorithms: Algorithm) -> None:
        self.algorithms = list(algorithms)

    @strbench.hookimpl
    def strbench_algorithms(self) -> list[Algorithm]:
        return self.algorithms
