"""Conformance tests for the algorithm(s) named with ``--strbench-plugin`` (see :mod:`.plugin`)."""

from __future__ import annotations

import pytest

from strbench.testing.conformance import ConformanceTests


class TestPluginConformance(ConformanceTests):
    """Runs every conformance check on ``--strbench-plugin NAME``."""

    @pytest.fixture(scope="class", autouse=True)
    def _select(self, request: pytest.FixtureRequest, strbench_plugin_name: str) -> None:
        if not strbench_plugin_name:
            pytest.skip("no algorithm given: pass --strbench-plugin NAME (with -p strbench.testing.plugin)")
        type(self).algorithm_name = strbench_plugin_name
        type(self).variant = request.config.getoption("--strbench-variant", default=None)
