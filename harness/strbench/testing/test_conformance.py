"""Conformance tests for the algorithm(s) named with ``--strbench-plugin`` (see :mod:`.plugin`)."""

from __future__ import annotations

import pytest

from strbench.testing.conformance import ConformanceTests


class TestPluginConformance(ConformanceTests):
    """Runs every conformance check on ``--strbench-plugin NAME``."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _select(cls, request: pytest.FixtureRequest, strbench_plugin_name: str) -> None:
        if not strbench_plugin_name:
            pytest.skip("no algorithm given: pass --strbench-plugin NAME (with -p strbench.testing.plugin)")
        cls.algorithm_name = strbench_plugin_name
        cls.variant = request.config.getoption("--strbench-variant", default=None)
