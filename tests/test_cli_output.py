"""What the terminal shows: a leaderboard that fits 100 columns, whole names and paths when piped,
a quiet end on a closed pipe, contended speed kept out of the speed columns, helpful messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from strbench import ui
from strbench.cli.main import main
from strbench.report.terminal import next_steps, perf_lines

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"
PERF_RECORD = next((RESULTS / "perf").glob("*ppocr-onnx_v6-tiny*_perf-suite.json"))


def leaderboard(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["leaderboard", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_piped_leaderboard_fits_100_columns(capsys) -> None:
    rc, out, _ = leaderboard(capsys, "--results-dir", str(RESULTS))
    assert rc == 0 and "tesseract-ocr-eng:eng.traineddata" in out and "robustscanner" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_wide_leaderboard_has_every_version(capsys) -> None:
    _, out, _ = leaderboard(capsys, "--results-dir", str(RESULTS), "--wide")
    assert "IC13_1015" in out and "latency bs1 p90 ms" in out


def test_piped_plugins_table_shows_whole_names(capsys) -> None:
    capsys.readouterr()
    main(["plugins"])
    out = capsys.readouterr().out
    assert "…" not in out
    assert "robustscanner │ r31" in out and "strbench-robustscanner" in out


def test_a_long_path_is_printed_on_one_line(capsys) -> None:
    path = "/very/" + "long-folder-name/" * 20 + "20261123T004629056287Z_ppocr-onnx_v6-small_lower36.json"
    ui.info(f"record written: {path}")
    err = capsys.readouterr().err
    assert f"record written: {path}\n" in err


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    errors = tmp_path / "stderr"
    with open(errors, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "strbench", "plugins", "--json"], stdout=subprocess.PIPE,
                                stderr=err, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before the first write
        rc = proc.wait(timeout=120)
    text = errors.read_text()
    assert "Traceback" not in text and "BrokenPipe" not in text
    assert rc == 141


def _perf_results(tmp_path: Path, contended: bool) -> Path:
    record = json.loads(PERF_RECORD.read_text())
    record["data"]["subset_limit"] = None
    record["perf"]["system"]["other_processes"].update(other_cpu_cores=1.5, contended=contended)
    out = tmp_path / "results"
    out.mkdir()
    (out / f"{record['id']}.json").write_text(json.dumps(record))
    return out


def test_contended_speed_is_left_out_with_a_note(tmp_path: Path, capsys) -> None:
    results = _perf_results(tmp_path, contended=True)
    _, out, _ = leaderboard(capsys, "--results-dir", str(results), "--json")
    board = json.loads(out)
    (row,) = board["rows"]
    assert row["perf"] == {} and not row["contended"]
    assert any(row["record_id"] in n and "contended" in n and "left out" in n for n in board["notes"])
    _, out, _ = leaderboard(capsys, "--results-dir", str(results))
    assert "418" not in out and "--include-contended" in out


def test_contended_speed_is_marked_when_asked_for(tmp_path: Path, capsys) -> None:
    results = _perf_results(tmp_path, contended=True)
    _, out, _ = leaderboard(capsys, "--results-dir", str(results), "--include-contended")
    assert "418.0*" in out and "contended" in out
    _, md, _ = leaderboard(capsys, "--results-dir", str(results), "--include-contended", "--format", "markdown")
    assert "418.05*" in md and "CONTENDED" in md


def test_quiet_speed_reaches_the_speed_column(tmp_path: Path, capsys) -> None:
    _, out, _ = leaderboard(capsys, "--results-dir", str(_perf_results(tmp_path, contended=False)))
    assert re.search(r" 418\.0$", out, re.MULTILINE) and "418.0*" not in out


def test_leaderboard_says_what_it_left_out_and_why(tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    (out_dir / PERF_RECORD.name).write_text(PERF_RECORD.read_text())
    (out_dir / "notes.json").write_text("{}")
    _, _, err = leaderboard(capsys, "--results-dir", str(out_dir))
    record_id = PERF_RECORD.stem
    assert "1 records found" in err and "1 other .json" in err
    assert f"{record_id}: subset run (first 100 samples per set); --include-subsets shows it" in err


def test_training_snapshot_evaluations_stay_off_the_board_unless_asked(tmp_path: Path, capsys) -> None:
    results = _perf_results(tmp_path, contended=False)
    curve = results / "training" / "algo_v" / "curve"
    curve.mkdir(parents=True)
    (results / f"{PERF_RECORD.stem}.json").rename(curve / f"{PERF_RECORD.stem}.json")
    _, out, err = leaderboard(capsys, "--results-dir", str(results), "--json")
    assert json.loads(out)["rows"] == [] and "--include-training shows it" in err
    _, out, _ = leaderboard(capsys, "--results-dir", str(results), "--json", "--include-training")
    assert len(json.loads(out)["rows"]) == 1


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "csv", "html", "json"])
def test_subset_rows_are_marked_in_every_format(capsys, fmt: str) -> None:
    _, out, _ = leaderboard(capsys, "--results-dir", str(RESULTS / "perf"), "--include-subsets", "--format", fmt)
    assert "SUBSET 100" in out or '"subset_limit": 100' in out


def test_unknown_group_lists_the_known_ones(capsys) -> None:
    rc, _, err = leaderboard(capsys, "--results-dir", str(RESULTS), "--group", "benchmarks")
    assert rc == 2 and "unknown group 'benchmarks'" in err and "benchmark" in err


def test_perf_summary_lines_and_contention() -> None:
    record = json.loads(PERF_RECORD.read_text())
    lines = "\n".join(perf_lines(record))
    assert "p50 2.73 ms, p90 2.81 ms" in lines and "at batch size 8" in lines and "peak memory" in lines
    assert "contention: none" in lines
    record["perf"]["system"]["other_processes"].update(other_cpu_cores=1.5, contended=True)
    assert "CONTENDED: other processes kept 1.50 CPU cores busy" in "\n".join(perf_lines(record))


def test_next_steps_after_an_untrained_synthetic_run() -> None:
    record = {"algorithm": "rare", "variant": "mv3", "weights": {"trained": False}, "data": {"synthetic": True}}
    steps = "\n".join(next_steps(record, can_train=True, releases=["paddle"]))
    assert "--weights paddle" in steps and "strbench train --algorithm rare --variant mv3" in steps
    assert "--data-root DIR" in steps
    trained = {**record, "weights": {"trained": True}, "data": {}}
    assert next_steps(trained, can_train=True, releases=[]) == []


def test_run_json_prints_the_record_and_its_path(install_entry_point, tmp_path: Path, capsys) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    capsys.readouterr()
    assert main(["-q", "run", "--algorithm", "dummy", "--results-dir", str(tmp_path), "--workers", "0",
                 "--limit", "5", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert Path(printed["path"]).is_file() and printed["record"]["algorithm"] == "dummy"
