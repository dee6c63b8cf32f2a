"""Built-in metrics (registered through the ``strbench_metrics`` hook, like a plugin's)."""

from __future__ import annotations

from strbench import hookimpl
from strbench.run.metrics import (
    Metric,
    char_precision,
    char_recall,
    mean_confidence,
    one_minus_ned,
    word_accuracy,
)

METRICS: tuple[Metric, ...] = (
    Metric("word_accuracy", "exact match after protocol normalisation", word_accuracy),
    Metric("one_minus_ned", "1 - normalised edit distance (ICDAR 2019)", one_minus_ned),
    Metric("char_precision", "LCS characters / predicted characters (corpus level)", char_precision),
    Metric("char_recall", "LCS characters / label characters (corpus level)", char_recall),
    Metric("mean_confidence", "mean prediction confidence", mean_confidence),
)


@hookimpl
def strbench_metrics() -> list[Metric]:
    return list(METRICS)
