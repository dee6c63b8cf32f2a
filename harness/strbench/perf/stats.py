"""Summary statistics of repeated timings (median, p90, IQR; numpy's linear interpolation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("percentile of an empty sample")
    return float(np.percentile(np.asarray(samples, dtype=np.float64), q, method="linear"))


def summarize_ms(seconds: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, p90, IQR, mean, min, max (milliseconds) and the number of runs of ``seconds``."""
    if not seconds:
        return {"runs": 0}
    ms = [s * 1000.0 for s in seconds]
    q1, q3 = percentile(ms, 25), percentile(ms, 75)
    return {
        "runs": len(ms),
        "median_ms": round(percentile(ms, 50), digits),
        "p90_ms": round(percentile(ms, 90), digits),
        "iqr_ms": round(q3 - q1, digits),
        "q1_ms": round(q1, digits),
        "q3_ms": round(q3, digits),
        "mean_ms": round(float(np.mean(ms)), digits),
        "min_ms": round(min(ms), digits),
        "max_ms": round(max(ms), digits),
    }
