"""strbench's plugin conformance checks on the untrained RARE-mv3 (registration, metadata,
inference, batch independence)."""

from __future__ import annotations

from strbench.testing import ConformanceTests


class TestRareConformance(ConformanceTests):
    algorithm_name = "rare"
    variant = "mv3"
