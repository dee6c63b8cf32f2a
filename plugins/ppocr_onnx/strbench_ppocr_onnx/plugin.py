"""Entry point module: registers the ``ppocr-onnx`` algorithm."""

from __future__ import annotations

import strbench
from strbench_ppocr_onnx.algorithm import PpocrOnnx


@strbench.hookimpl
def strbench_algorithms() -> list[strbench.Algorithm]:
    return [PpocrOnnx()]
