"""``strbench plugins`` reads at 80 columns: two narrow tables (plugins; algorithms) whose cells
fold onto more lines instead of being cut, in a terminal of any width and in a pipe."""

from __future__ import annotations

import pytest
from rich.console import Console

from strbench.cli.cmd_plugins import algorithms_table, capability_lines, plugins_table
from strbench.cli.main import main
from strbench.plugin.host import PluginInfo
from strbench.plugin.types import Capabilities


def render(table, width: int) -> str:
    console = Console(width=width, force_terminal=True, color_system=None, legacy_windows=False)
    with console.capture() as cap:
        console.print(table)
    return cap.get()


def test_piped_listing_fits_80_columns_whole(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    for name in ("robustscanner", "strbench-robustscanner", "benchmark_suites", "dataset_formats",
                 "v6-small, v6-tiny", "import: paddle", "export: onnx"):
        assert name in out


def columns(text: str) -> list[str]:
    """Each body column's cell text with folded lines joined back (one row tables)."""
    body = [line for line in text.splitlines() if line.startswith("│")]
    cells = [[part.strip() for part in line.strip("│").split("│")] for line in body]
    return ["".join(col) for col in zip(*cells)]


@pytest.mark.parametrize("width", [80, 100, 50])
def test_terminal_listing_never_cuts_a_name(width: int) -> None:
    long_dist = "strbench-a-very-long-distribution-name-for-testing"
    infos = [PluginInfo("robustscanner-extended", "entry point", "12.3.4", long_dist,
                        ["strbench_algorithms", "strbench_benchmark_suites"], algorithms={"robustscanner-x": ["r31"]})]
    fake = type("A", (), {"capabilities": Capabilities(train=True, export=("onnx",), import_weights=("paddle",))})()
    plugins = render(plugins_table(infos), width)
    algorithms = render(algorithms_table(infos, {"robustscanner-x": fake}), width)
    for text in (plugins, algorithms):
        assert "…" not in text and max(len(line) for line in text.splitlines()) <= width
    assert columns(plugins)[0] == "robustscanner-extended"
    assert long_dist in columns(plugins)[2]
    assert columns(algorithms)[:3] == ["robustscanner-x", "robustscanner-extended", "r31"]
    if width >= 80:  # room enough: names whole on one line
        assert "│ robustscanner-extended │" in plugins and "benchmark_suites" in plugins


def test_capabilities_one_kind_per_line() -> None:
    assert capability_lines(Capabilities()) == ["infer"]
    assert capability_lines(Capabilities(train=True, export=("onnx", "torchscript"), import_weights=("paddle",))) == \
        ["infer, train", "export: onnx, torchscript", "import: paddle"]
