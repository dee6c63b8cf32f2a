"""pytest plugin: ``--strbench-plugin NAME`` runs the conformance tests on an installed algorithm::

    pytest -p strbench.testing.plugin --pyargs strbench.testing --strbench-plugin NAME [--strbench-variant V]
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("strbench", "strbench plugin conformance")
    group.addoption("--strbench-plugin", action="append", default=[], metavar="NAME",
                    help="algorithm name to run the conformance tests on (repeatable)")
    group.addoption("--strbench-variant", default=None, metavar="VARIANT",
                    help="variant to load (default: the algorithm's default variant)")
    group.addoption("--strbench-data-root", default=None, metavar="DIR",
                    help="real benchmark root for the sample images (sets STRBENCH_DATA_ROOT; "
                         "default: ../shared/data/str-benchmarks, else the embedded synthetic set)")


def pytest_configure(config: pytest.Config) -> None:
    import os

    root = config.getoption("--strbench-data-root", default=None)
    if root:
        os.environ["STRBENCH_DATA_ROOT"] = str(root)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "strbench_plugin_name" in metafunc.fixturenames:
        names = metafunc.config.getoption("--strbench-plugin", default=[]) or []
        metafunc.parametrize("strbench_plugin_name", names or [""], scope="session")
