"""Entry point module: registers the ``easyocr`` algorithm."""

from __future__ import annotations

import strbench
from strbench_easyocr.algorithm import EasyOcr


@strbench.hookimpl
def strbench_algorithms() -> list[strbench.Algorithm]:
    return [EasyOcr()]
