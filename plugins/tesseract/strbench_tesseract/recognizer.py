"""Tesseract single-line recognizer over raw RGB images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tesserocr
from PIL import Image

from strbench import Batch, InputSpec, Prediction, Recognizer


class TesseractRecognizer(Recognizer):
    """One Tesseract API instance, LSTM engine only, page segmentation mode 7 (single line).

    The legacy engine's adaptive classifier learns from the images it has seen; using the LSTM
    engine alone keeps every prediction a function of its own image.
    """

    def __init__(self, tessdata: Path, lang: str, input_spec: InputSpec, charset: str) -> None:
        self.tessdata, self.lang = tessdata, lang
        self.input_spec = input_spec
        self.charset = charset
        self.device = "cpu"
        self.api = tesserocr.PyTessBaseAPI(
            path=f"{tessdata}/", lang=lang, psm=tesserocr.PSM.SINGLE_LINE, oem=tesserocr.OEM.LSTM_ONLY
        )

    def _read(self, rgb: np.ndarray) -> tuple[str, float]:
        self.api.SetImage(Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB"))
        text = self.api.GetUTF8Text().strip()
        return text, self.api.MeanTextConf() / 100.0 if text else 0.0

    def forward(self, batch: Batch) -> list[tuple[str, float]]:
        """``(text, mean word confidence / 100)`` per image."""
        return [self._read(rgb) for rgb in batch.raw or []]

    def decode(self, outputs: list[tuple[str, float]], batch: Batch) -> list[Prediction]:
        return [Prediction(text=text, confidence=min(max(float(conf), 0.0), 1.0)) for text, conf in outputs]

    def describe(self) -> dict[str, Any]:
        return {
            "runtime": f"tesserocr {tesserocr.__version__}, {tesserocr.tesseract_version().splitlines()[0]}",
            "tessdata": str(self.tessdata),
            "language": self.lang,
            "page_segmentation_mode": 7,
            "engine": "LSTM only",
        }

    def close(self) -> None:
        self.api.End()
