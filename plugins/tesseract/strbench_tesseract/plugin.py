"""Entry point module: registers the ``tesseract`` algorithm."""

from __future__ import annotations

import strbench
from strbench_tesseract.algorithm import Tesseract


@strbench.hookimpl
def strbench_algorithms() -> list[strbench.Algorithm]:
    return [Tesseract()]
