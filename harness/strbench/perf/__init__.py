"""Performance measurement: latency, throughput, memory, energy and FLOPs under one protocol.

The protocol is documented in ``docs/perf-protocol.md``; :func:`measure_for_run` produces the
``perf`` section of a result record.
"""

from strbench.perf.config import PerfConfig
from strbench.perf.measure import measure_for_run, measure_recognizer

__all__ = ["PerfConfig", "measure_for_run", "measure_recognizer"]
