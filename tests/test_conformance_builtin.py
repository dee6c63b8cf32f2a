"""The conformance kit on the built-in RARE and RobustScanner plugins (untrained weights:
structure and batch consistency, not accuracy)."""

from __future__ import annotations

import importlib.util

import pytest

from strbench.testing.conformance import ConformanceTests


def require_plugin(module: str) -> None:
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        pytest.skip(f"{module} is not available yet", allow_module_level=False)


@pytest.mark.slow
class TestRareConformance(ConformanceTests):
    algorithm_name = "rare"
    num_samples = 3

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _present(cls) -> None:
        require_plugin("strbench_rare.plugin")


@pytest.mark.slow
class TestRobustScannerConformance(ConformanceTests):
    algorithm_name = "robustscanner"
    num_samples = 3

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _present(cls) -> None:
        require_plugin("strbench_robustscanner.plugin")
