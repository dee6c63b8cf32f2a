"""Shared fixtures: real benchmark data location and entry-point registration of test plugins."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("STRBENCH_DATA_ROOT", REPO.parent / "shared" / "data" / "str-benchmarks"))
TEST_PLUGINS = Path(__file__).resolve().parent / "plugins"


@pytest.fixture
def data_root() -> Path:
    if not DATA_ROOT.is_dir():
        pytest.skip(f"real benchmark data not found at {DATA_ROOT} (set STRBENCH_DATA_ROOT to run this test)")
    return DATA_ROOT


@pytest.fixture
def install_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Register modules under the ``strbench`` entry-point group, exactly as an installed
    distribution does (a ``*.dist-info`` folder with ``entry_points.txt`` on ``sys.path``)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(TEST_PLUGINS))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(TEST_PLUGINS), os.environ.get("PYTHONPATH", "")]))

    def install(dist: str, entry_points: dict[str, str], version: str = "1.0", modules: dict[str, str] | None = None) -> Path:
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[strbench]\n{lines}\n")
        for module, source in (modules or {}).items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
        for name in list(sys.modules):
            if name in (modules or {}):
                del sys.modules[name]
        import importlib

        importlib.invalidate_caches()
        return site

    return install


@pytest.fixture(autouse=True)
def _reset_console_verbosity():
    """CLI calls with ``-q`` set a process-wide flag; keep it from leaking into later tests."""
    from strbench import ui

    yield
    ui.configure(quiet=False)


@pytest.fixture(scope="module")
def fonts():
    """The usable synthetic-data fonts of this machine (skips the test when too few are installed)."""
    from strbench.data.synth.fonts import MIN_FONTS, discover_fonts
    from strbench.errors import DataError

    try:
        return discover_fonts()
    except DataError as exc:
        pytest.skip(f"fewer than {MIN_FONTS} usable fonts installed ({exc}); install Debian fonts-* packages or trdg")
