"""Performance measurement: latency, throughput, memory, energy and FLOPs under one protocol.

The protocol is documented in ``docs/perf-protocol.md``; :func:`measure_for_run` produces the
``perf`` section of a result record. ``PerfConfig`` imports without torch; the measuring
functions load it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strbench.lazy import lazy_exports
from strbench.perf.config import PerfConfig

if TYPE_CHECKING:
    from strbench.perf.measure import measure_for_run, measure_recognizer


__getattr__ = lazy_exports(__name__, {"measure_for_run": "strbench.perf.measure",
                                      "measure_recognizer": "strbench.perf.measure"})


__all__ = ["PerfConfig", "measure_for_run", "measure_recognizer"]
