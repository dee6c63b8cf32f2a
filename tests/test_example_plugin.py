"""The plugin-authoring example registers through a real entry point and passes the kit."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import pytest

from strbench.plugin.host import PluginHost
from strbench.testing.conformance import ConformanceTests

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "example_plugin"


@pytest.fixture(scope="module", autouse=True)
def installed_example(tmp_path_factory: pytest.TempPathFactory):
    """What ``pip install -e docs/example_plugin`` does: the package on sys.path and a
    dist-info folder declaring its ``strbench`` entry point."""
    site = tmp_path_factory.mktemp("site")
    info = site / "strbench_example-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: strbench-example\nVersion: 0.1.0\n")
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    lines = "".join(f"{k} = {v}\n" for k, v in project["entry-points"]["strbench"].items())
    (info / "entry_points.txt").write_text(f"[strbench]\n{lines}")
    sys.path[:0] = [str(site), str(EXAMPLE)]
    importlib.invalidate_caches()
    yield
    for entry_path in (str(site), str(EXAMPLE)):
        sys.path.remove(entry_path)
    for name in [m for m in sys.modules if m.startswith("strbench_example")]:
        del sys.modules[name]


def test_example_is_discovered_as_an_entry_point() -> None:
    host = PluginHost()
    owner = host.algorithm_owner("example-crnn")
    assert owner.source == "entry point" and owner.distribution == "strbench-example"


class TestExampleConformance(ConformanceTests):
    algorithm_name = "example-crnn"
    num_samples = 6
