"""Performance measurement: latency, throughput, memory, energy and FLOPs under one protocol.

The protocol is documented in ``docs/perf-protocol.md``; :func:`measure_for_run` produces the
``perf`` section of a result record. ``PerfConfig`` imports without torch; the measuring
functions load it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strbench.perf.config import PerfConfig

if TYPE_CHECKING:
    from strbench.perf.measure import measure_for_run, measure_recognizer


def __getattr__(name: str) -> Any:
    if name in ("measure_for_run", "measure_recognizer"):
        from strbench.perf import measure

        return getattr(measure, name)
    raise AttributeError(f"module 'strbench.perf' has no attribute {name!r}")


__all__ = ["PerfConfig", "measure_for_run", "measure_recognizer"]
