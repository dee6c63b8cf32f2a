"""Built-in metrics."""

from __future__ import annotations

from strbench import hookimpl
from strbench.run.metrics import BUILTIN_METRICS


@hookimpl
def strbench_metrics() -> list:
    return list(BUILTIN_METRICS)
