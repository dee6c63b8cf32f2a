"""The ``tesseract`` algorithm."""

from __future__ import annotations

import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strbench import Algorithm, InputSpec, UsageError, Variant
from strbench_tesseract import __version__
from strbench_tesseract.tessdata import APT_PACKAGE, find_tessdata

if TYPE_CHECKING:
    from strbench_tesseract.recognizer import TesseractRecognizer

#: Raw RGB images (``Batch.raw``): Tesseract does its own binarisation and scaling.
INPUT_SPEC = InputSpec(height=0, max_width=0, channels="RGB", resize="none")
#: The printable ASCII subset of the eng model's character set (its unicharset also holds a few
#: typographic symbols and ligatures).
CHARSET = "".join(c for c in string.printable if c not in "\t\n\r\x0b\x0c")


class Tesseract(Algorithm):
    name = "tesseract"
    version = __version__
    description = "Tesseract 5 LSTM line recognizer (tesserocr), page segmentation mode 7"
    default_variant = "eng-lstm"
    paper = "An Overview of the Tesseract OCR Engine (ICDAR 2007)"
    variants = {
        "eng-lstm": Variant(
            name="eng-lstm",
            description=f"eng.traineddata from the Debian package {APT_PACKAGE}, LSTM engine only",
            input_spec=INPUT_SPEC,
            charset=CHARSET,
            cased=True,
            default_weights=f"{APT_PACKAGE}:eng.traineddata",
            training_data="publisher's data (Tesseract project)",
        )
    }

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> TesseractRecognizer:
        self.variant(variant)
        if weights is not None:
            raise UsageError("tesseract takes its model from the tessdata folder, not --weights; "
                             "set TESSDATA_PREFIX to a folder holding eng.traineddata instead")
        from strbench_tesseract.recognizer import TesseractRecognizer

        return TesseractRecognizer(find_tessdata("eng"), "eng", INPUT_SPEC, CHARSET)

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        path = find_tessdata("eng") / "eng.traineddata"
        return {"name": f"{APT_PACKAGE}:eng.traineddata", "trained": True, "path": str(path)}
