"""What ``strbench run`` shows while it works and after: a model-loading phase, a bar per dataset
version (images/s, ETA) under a bar for the whole run, and, when the algorithm's metadata states
a publisher's figure for the variant, that figure beside the measured benchmark average."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from dataset_layouts import tab_folder
from rich.console import Console

from strbench import WeightsRelease, ui
from strbench.cli.main import main
from strbench.report.terminal import publisher_lines
from strbench.run.records import load_record

REPO = Path(__file__).resolve().parents[1]
RARE_FP32 = REPO / "results" / "20261129T070457153534Z_rare_mv3_lower36.json"
BENCHMARK_FOLDERS = ("IIIT5k_3000", "SVT", "IC13_1015", "IC15_2077", "SVTP", "CUTE80")


@pytest.fixture
def dummy(install_entry_point):
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    import dummy_plugin

    return dummy_plugin


def data_root(tmp_path: Path, folders: tuple[str, ...] = BENCHMARK_FOLDERS) -> Path:
    root = tmp_path / "data"
    for name in folders:
        tab_folder(root / name)  # 6 samples each
    return root


def fake_terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    monkeypatch.setattr(ui, "err_console", Console(file=buffer, force_terminal=True, width=100, color_system=None))
    return buffer


def run_args(root: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--algorithm", "dummy", "--data-root", str(root), "--results-dir", str(tmp_path / "results"),
            "--workers", "0", "--batch-size", "4", *extra]


def test_a_bar_per_version_with_rate_and_a_loading_phase_in_a_terminal(dummy, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_root(tmp_path, ("SVT", "CUTE80"))
    shown = fake_terminal(monkeypatch)
    assert main(run_args(root, tmp_path, "--datasets", "SVT", "CUTE80")) == 0
    text = shown.getvalue()
    assert "loading model dummy/base (torch, fp32, cpu) …" in text  # the spinner's message
    assert "model dummy/base (torch, fp32, cpu) ready in" in text
    final = text.split("ready in")[-1]
    for line in ("all 2 versions", "SVT_647", "CUTE80_288"):
        bar = [row for row in final.splitlines() if line in row and "ETA" in row][-1]  # the last frame
        assert "img/s" in bar and (" 6/6 " in bar or "12/12" in bar)
    assert text.index("loading model") < text.index("all 2 versions")


def test_piped_run_says_it_loads_the_model_and_logs_each_version_once(dummy, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = data_root(tmp_path, ("SVT",))
    assert main(run_args(root, tmp_path, "--datasets", "SVT")) == 0
    err = capsys.readouterr().err
    assert "loading model dummy/base (torch, fp32, cpu) …\n" in err
    assert "\x1b[" not in err  # no cursor movement in a log
    bars = [line for line in err.splitlines() if "ETA" in line]
    assert len(bars) == 1 and bars[0].startswith("SVT_647") and "6/6" in bars[0] and "img/s" in bars[0]
    assert len(bars[0]) <= 80  # a log line, not a terminal-wide bar


def test_quiet_run_shows_no_phase_and_no_bar(dummy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = data_root(tmp_path, ("SVT",))
    assert main(["-q", *run_args(root, tmp_path, "--datasets", "SVT")]) == 0
    err = capsys.readouterr().err
    assert "loading model" not in err and "ETA" not in err


def test_the_publishers_figure_is_set_beside_the_measured_average(dummy, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    release = WeightsRelease("https://example.org/w.tar", reported_accuracy="80.00%", reported_by="Its Lab")
    monkeypatch.setattr(dummy.DummyAlgorithm, "weight_releases", {"lab": {"base": release}}, raising=False)
    weights = tmp_path / "digests.txt"
    weights.write_text("")  # no lookup: every word wrong, 0.00%
    root = data_root(tmp_path)
    assert main(run_args(root, tmp_path, "--weights", str(weights))) == 0
    out = capsys.readouterr().out
    assert ("publisher reports 80.00% (Its Lab, for --weights lab); measured here 0.00% (-80.00 pp; benchmark "
            "weighted average, lower36@2, weights digests.txt)") in " ".join(out.split())
    assert main(run_args(root, tmp_path, "--weights", str(weights), "--limit", "2")) == 0
    assert "no benchmark average to set beside it (subset run, --limit 2)" in " ".join(capsys.readouterr().out.split())
    assert main(run_args(root, tmp_path, "--weights", str(weights), "--datasets", "SVT")) == 0
    assert "not all of its versions were evaluated" in " ".join(capsys.readouterr().out.split())


def test_no_publisher_line_without_metadata_or_on_the_synthetic_set(dummy, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--algorithm", "dummy", "--results-dir", str(tmp_path / "r"), "--workers", "0"]) == 0
    assert "publisher reports" not in capsys.readouterr().out
    record = load_record(RARE_FP32)
    assert publisher_lines(record, SimpleNamespace(weight_releases={})) == []
    synthetic = load_record(RARE_FP32)
    synthetic.data.synthetic = True
    release = WeightsRelease("https://example.org/w.tar", reported_accuracy="82.50%", reported_by="Pub")
    assert publisher_lines(synthetic, SimpleNamespace(weight_releases={"p": {"mv3": release}})) == []


def test_publisher_line_on_the_committed_rare_record() -> None:
    release = WeightsRelease("https://example.org/w.tar", reported_accuracy="82.50%", reported_by="PaddleOCR")
    lines = publisher_lines(load_record(RARE_FP32), SimpleNamespace(weight_releases={"paddle": {"mv3": release}}))
    assert lines == ["publisher reports 82.50% (PaddleOCR, for --weights paddle); measured here 52.05% (-30.45 pp; "
                     "benchmark weighted average, lower36@2, weights strbench RARE-mv3 (2026-11-29))"]


def test_a_bar_started_inside_the_loading_phase_replaces_its_spinner(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = fake_terminal(monkeypatch)
    with ui.status("loading model x …"):
        assert ui._status  # the spinner turns
        with ui.progress() as bar:  # e.g. a weights download: one live display at a time
            assert not ui._status
            bar.add_task("download", total=1, completed=1)
    assert "loading model x …\n" in shown.getvalue() and "download" in shown.getvalue()
    with ui.status("loading model y …"):
        pass
    assert not ui._status
