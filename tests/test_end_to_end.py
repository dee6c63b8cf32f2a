"""End to end: a test-only plugin registered through an entry point, run over subsets of the real
benchmarks in folder form and in converted-LMDB form (identical results), re-scored and ranked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strbench.cli.main import main
from strbench.run.records import Record, load_record, predictions_path, read_predictions

SUBSETS = {  # shared layout label file -> (folder name in the subset root, clovaai LMDB name, samples)
    "IIIT5K_3000/gt_cased.txt": ("IIIT5K_3000", "IIIT5k_3000", 40),
    "IC13/gt_857.txt": ("IC13_857", "IC13_857", 30),
    "CUTE80_288/gt.txt": ("CUTE80_288", "CUTE80", 20),
}


def make_folder_subsets(data_root: Path, dest: Path) -> Path:
    for label_file, (folder, _, n) in SUBSETS.items():
        src = data_root / label_file
        out = dest / folder
        out.mkdir(parents=True)
        (out / "images").symlink_to(src.parent / "images", target_is_directory=True)
        lines = src.read_text(encoding="utf-8").splitlines()[:n]
        (out / "gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def run_cli(*args: str) -> None:
    assert main(["-q", *args]) == 0


@pytest.mark.realdata
def test_folder_and_lmdb_give_identical_records_and_a_leaderboard(data_root, install_entry_point, tmp_path, capsys) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    folder_root = make_folder_subsets(data_root, tmp_path / "folder")
    lmdb_root = tmp_path / "lmdb"
    for _, (folder, lmdb_name, _) in SUBSETS.items():
        run_cli("data", "convert", str(folder_root / folder), str(lmdb_root / lmdb_name))

    results = tmp_path / "results"
    for root, tag in ((folder_root, "folder"), (lmdb_root, "lmdb")):
        run_cli("run", "--plugin", "dummy", "--data-root", str(root), "--results-dir", str(results),
                "--workers", "0", "--batch-size", "16", "--tag", tag)
    records = {p.stem.rsplit("_", 1)[-1]: (p, load_record(p)) for p in results.glob("*.json")}
    assert set(records) == {"folder", "lmdb"}
    (fp, folder_rec), (lp, lmdb_rec) = records["folder"], records["lmdb"]

    names = [d.name for d in folder_rec.datasets]
    assert names == ["IIIT5k_3000", "IC13_857", "CUTE80_288"]
    assert [d.name for d in lmdb_rec.datasets] == names
    assert [d.format for d in lmdb_rec.datasets] == ["lmdb"] * 3
    for f, m in zip(folder_rec.datasets, lmdb_rec.datasets, strict=True):
        assert f.metrics == m.metrics and f.evaluated == m.evaluated
        assert f.status == "count mismatch" and f.found is not None and f.expected is not None and f.found < f.expected  # subsets are reported as such
    assert folder_rec.summary.all == lmdb_rec.summary.all
    assert "IC15_2077" in folder_rec.missing

    def pairs(path: Path, rec: Record) -> list[tuple[str, str, str]]:
        return [(ds, p.label, p.prediction) for ds, p in read_predictions(predictions_path(path, rec))]

    assert pairs(fp, folder_rec) == pairs(lp, lmdb_rec)
    assert folder_rec.weights.trained is False
    assert folder_rec.environment.packages["torch"]
    assert folder_rec.protocol.key == "lower36@2"

    run_cli("rescore", str(fp), "--protocol", "cased62", "--write")
    rescored = [load_record(p) for p in results.glob("*rescored*.json")]
    assert len(rescored) == 1 and rescored[0].protocol.key == "cased62@2"
    assert rescored[0].datasets[0].evaluated == folder_rec.datasets[0].evaluated
    assert rescored[0].rescored_from is not None and rescored[0].rescored_from.id == folder_rec.id

    capsys.readouterr()
    run_cli("leaderboard", "--results-dir", str(results), "--format", "markdown", "--include-untrained")
    md = capsys.readouterr().out
    assert "| dummy" in md and "IIIT5k_3000" in md and "CUTE80_288" in md and "cased62@2" in md
    html_path = tmp_path / "board.html"
    run_cli("leaderboard", "--results-dir", str(results), "--format", "html", "-o", str(html_path), "--include-untrained")
    assert "<table>" in html_path.read_text()
    run_cli("leaderboard", "--results-dir", str(results), "--format", "csv", "-o", str(tmp_path / "b.csv"),
            "--include-untrained")
    assert (tmp_path / "b.csv").read_text().startswith("rank,algorithm,variant")


def test_run_without_data_root_uses_the_synthetic_default_set(install_entry_point, tmp_path) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    run_cli("run", "--plugin", "dummy", "--results-dir", str(tmp_path), "--workers", "0")
    (path,) = tmp_path.glob("*.json")
    record = json.loads(path.read_text())
    assert record["data"]["synthetic"] is True
    assert record["datasets"][0]["synthetic"] is True and record["datasets"][0]["evaluated"] > 0


def test_unknown_protocol_and_plugin_are_clear_errors(install_entry_point, tmp_path, capsys) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    assert main(["run", "--plugin", "dummy", "--protocol", "nope", "--results-dir", str(tmp_path)]) == 2
    assert "unknown protocol 'nope'" in capsys.readouterr().err
    assert main(["run", "--plugin", "nope", "--results-dir", str(tmp_path)]) == 2
    assert "unknown plugin/algorithm 'nope'" in capsys.readouterr().err
