"""strbench entry point of the RobustScanner plugin."""

from __future__ import annotations

import strbench
from strbench_robustscanner import __version__
from strbench_robustscanner.algorithm import RobustScannerAlgorithm

__all__ = ["__version__", "strbench_algorithms"]


@strbench.hookimpl
def strbench_algorithms() -> list[strbench.Algorithm]:
    return [RobustScannerAlgorithm()]
