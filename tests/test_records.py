"""Record writing is atomic and self-describing; predictions round-trip; leaderboard rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strbench.atomic import atomic_write_bytes
from strbench.errors import DataError
from strbench.report import leaderboard as lb
from strbench.run.record import Record
from strbench.run.records import (
    SCHEMA,
    iter_records,
    load_record,
    predictions_path,
    read_predictions,
    write_record,
)
from strbench.run.scoring import SamplePrediction


def save(folder: Path, data: dict, rows: list[dict] | None = None) -> Path:
    """Write a record given as its JSON form."""
    return write_record(folder, Record.from_json(data), rows)


def minimal_record(rid: str, acc: float, trained: bool = True) -> dict:
    ds = {"name": "IIIT5k_3000", "evaluated": 10, "metrics": {"word_accuracy": acc}, "skipped": {"total": 0}}
    return {
        "schema": SCHEMA, "id": rid, "kind": "accuracy", "created": rid, "algorithm": "algo", "variant": "v",
        "weights": {"name": "w", "sha256": "ab" * 32, "trained": trained}, "params": 1_500_000,
        "protocol": {"key": "lower36@1"}, "runtime": {"backend": "torch", "precision": "fp32"},
        "data": {"synthetic": False, "subset_limit": None}, "datasets": [ds],
        "summary": {"groups": {"benchmark": {"complete": False}}},
    }


def test_write_and_read_back(tmp_path: Path) -> None:
    rows = [SamplePrediction("a.png", "Hi", "hi", 0.5).to_json("IIIT5k_3000"),
            SamplePrediction("b.png", "", skip="cannot decode image").to_json("IIIT5k_3000")]
    path = save(tmp_path, minimal_record("r1", 50.0), rows)
    record = load_record(path)
    assert record.predictions is not None and record.predictions.count == 2
    got = list(read_predictions(predictions_path(path, record)))
    assert got[0] == ("IIIT5k_3000", SamplePrediction("a.png", "Hi", "hi", 0.5))
    assert got[1][1].skip == "cannot decode image"
    assert not list(tmp_path.glob(".*tmp"))  # no temporary files left behind


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert not list(tmp_path.glob(".*tmp"))


def test_non_record_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"hello": 1}))
    with pytest.raises(DataError, match="not a strbench record"):
        load_record(p)


def test_leaderboard_newest_record_per_row_and_untrained_flag(tmp_path: Path) -> None:
    save(tmp_path, minimal_record("2026-01-01", 10.0))
    save(tmp_path, minimal_record("2026-02-01", 20.0))
    rows = lb.collect_rows(tmp_path)
    assert len(rows) == 1 and rows[0].accuracy["IIIT5k_3000"] == 20.0
    save(tmp_path, {**minimal_record("2026-03-01", 1.0, trained=False),
                    "weights": {"name": "untrained", "trained": False}})
    board = lb.collect(tmp_path)  # untrained rows leave the table by default, counted in one note
    assert [r.trained for r in board.rows] == [True] and len(board.hidden_untrained) == 1
    assert "--include-untrained" in lb.hidden_untrained_note(board)[0]
    rows = lb.collect_rows(tmp_path, include_untrained=True)
    md = lb.to_markdown(rows)
    assert "UNTRAINED" in md and "20.00" in md and "1.500" in md


def perf_section(device: str, images_per_s: float) -> dict:
    point = {"batch_size": 8, "images_per_s": images_per_s, "memory": {}}
    config = {"precision": "fp32", "latency_bs1": {"stages": {"model_and_decode": {"median_ms": 2.0, "p90_ms": 3.0}}},
              "throughput": {"best": point, "points": [point]}}
    system = {"device": device, "cpu_model": "TestCPU", "torch_threads": 2, "gpu": "TestGPU"}
    return {"configs": [config], "primary": 0, "system": system, "flops": {}}


def test_speed_columns_come_from_the_newest_perf_run_of_the_same_model(tmp_path: Path) -> None:
    save(tmp_path, minimal_record("2026-01-01", 50.0))  # full accuracy run, no perf
    subset = {**minimal_record("2026-02-01", 99.0), "data": {"synthetic": False, "subset_limit": 100}}
    save(tmp_path, {**subset, "perf": perf_section("cpu", 40.0)})
    save(tmp_path, {**subset, "id": "2026-03-01", "created": "2026-03-01", "perf": perf_section("cuda:0", 900.0)})
    other = {**minimal_record("2026-04-01", 1.0), "variant": "other", "perf": perf_section("cpu", 7.0)}
    other["data"] = {"synthetic": False, "subset_limit": 10}
    save(tmp_path, other)

    (row,) = lb.collect_rows(tmp_path)  # subset runs give speed, never accuracy
    assert row.accuracy["IIIT5k_3000"] == 50.0
    assert row.perf["img/s (best bs)"] == 900.0
    assert row.perf["perf device"] == "cuda:0 (TestGPU)"
    (cpu_row,) = lb.collect_rows(tmp_path, perf_device="cpu")
    assert cpu_row.perf["img/s (best bs)"] == 40.0 and cpu_row.perf["perf device"] == "cpu (TestCPU, 2 threads)"
    md = lb.to_markdown([cpu_row])
    assert "40.00" in md and "perf device" in md and "Speed columns" in md
    lb.to_markdown(lb.collect_rows(tmp_path, perf_device="mps"))  # no perf on that device: no speed columns
    assert not lb.collect_rows(tmp_path, perf_device="mps")[0].perf


def test_plot_shows_one_protocol(tmp_path: Path) -> None:
    from strbench.report.plots import plot_protocol, speed_accuracy_png

    base = {**minimal_record("2026-01-01", 50.0), "perf": perf_section("cpu", 40.0)}
    save(tmp_path, base)
    save(tmp_path, {**base, "id": "2026-01-02", "protocol": {"key": "cased62@1"}})
    rows = lb.collect_rows(tmp_path)
    assert len(rows) == 2 and plot_protocol(rows) == "lower36"
    assert plot_protocol([r for r in rows if r.protocol == "cased62@1"]) == "cased62"
    assert speed_accuracy_png(rows, "benchmark").startswith(b"\x89PNG")
    assert speed_accuracy_png(rows, "benchmark", protocol="exact") is None  # no row of that protocol


def test_board_notes_appear_once_and_say_which_algorithms_ran_untrained(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from strbench.cli.cmd_leaderboard import untrained_notes
    from strbench.weights.releases import WeightsRelease

    save(tmp_path, {**minimal_record("2026-03-01", 0.0, trained=False),
                    "weights": {"name": "untrained", "trained": False}})
    rows = lb.collect_rows(tmp_path, include_untrained=True)
    untrained = SimpleNamespace(variants={"v": SimpleNamespace(default_weights=None)},
                                weight_releases={"upstream": {"v": WeightsRelease("https://x/w.tar")}})
    unseen = SimpleNamespace(variants={"a": SimpleNamespace(default_weights=None)}, weight_releases={})
    shipped = SimpleNamespace(variants={"a": SimpleNamespace(default_weights="w.onnx")}, weight_releases={})
    host = SimpleNamespace(algorithms=lambda: {"algo": untrained, "other": unseen, "bundled": shipped})
    extra = untrained_notes(host, rows)  # type: ignore[arg-type]
    assert extra == [
        "algo (v): no trained weights are available offline, so its rows above ran UNTRAINED weights; rank it "
        "with its published weights: --weights upstream (downloaded on first use, see 'strbench weights releases').",
        "other (a): no trained weights are available offline, so it has no rows yet.",
    ]
    md = lb.to_markdown(rows, extra_notes=extra)
    bullets = [line for line in md.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(set(bullets)) == len(lb.notes(rows, lb.DEFAULT_GROUP)) + 2


def test_reported_figures_stay_apart_from_measured_rows() -> None:
    from types import SimpleNamespace

    from strbench import WeightsRelease

    release = WeightsRelease("https://example.org/rec_x_train.tar", reported_accuracy="82.50%",
                             reported_by="the publisher's own evaluation")
    algos = {"x": SimpleNamespace(weight_releases={"paddle": {"v1": release}}),
             "y": SimpleNamespace(weight_releases={"paddle": {"v1": WeightsRelease("https://example.org/y.tar")}})}
    refs = lb.reference_rows(algos)
    assert [(r.algorithm, r.variant, r.reported_accuracy) for r in refs] == [("x", "v1", "82.50%")]
    text = lb.to_markdown([], references=refs)
    measured, _, reported = text.partition(lb.REFERENCE_TITLE)
    assert "82.50%" not in measured and "82.50%" in reported
    assert "rec_x_train.tar (--weights paddle)" in reported and "not measured here" in text
    import html

    assert html.escape(lb.REFERENCE_TITLE) in lb.to_html([], references=refs)


COMMITTED = Path(__file__).resolve().parents[1] / "results"


def committed_records() -> list[Path]:
    return [p for p in sorted(COMMITTED.rglob("*.json")) if json.loads(p.read_text()).get("schema") == SCHEMA]


def test_committed_records_load_and_round_trip() -> None:
    paths = committed_records()
    if not paths:
        pytest.skip(f"no committed records under {COMMITTED}")
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = load_record(path)
        assert record.to_json() == data, path
        assert list(record.to_json()) == list(data), path  # key order kept: rewriting changes nothing
        assert record.datasets and record.protocol.key and record.predictions is not None


def test_unknown_fields_survive_a_round_trip(tmp_path: Path) -> None:
    data = minimal_record("r1", 50.0)
    data["from_the_future"] = {"a": 1}
    data["weights"] = {"name": "w", "trained": True, "release": {"alias": "x"}}
    data["datasets"][0]["new_count"] = 3
    data["summary"]["groups"]["benchmark"]["note"] = "n"
    path = save(tmp_path, data)
    again = load_record(path).to_json()
    assert again["from_the_future"] == {"a": 1} and again["weights"]["release"] == {"alias": "x"}
    assert again["datasets"][0]["new_count"] == 3 and again["summary"]["groups"]["benchmark"]["note"] == "n"
    assert Record.from_json(again).to_json() == again


def test_damaged_record_names_the_file(tmp_path: Path) -> None:
    data = minimal_record("r1", 50.0)
    del data["algorithm"]
    path = tmp_path / "r1.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="r1.json lacks algorithm"):
        load_record(path)
    data = minimal_record("r2", 50.0)
    data["datasets"][0]["evaluated"] = "many"  # present but malformed: Record.from_json refuses it
    (tmp_path / "r2.json").write_text(json.dumps(data))
    with pytest.raises(DataError, match="r2.json is a damaged strbench record"):
        load_record(tmp_path / "r2.json")
    problems: list[tuple[Path, str]] = []
    assert list(iter_records(tmp_path, problems)) == []  # the board leaves them out, and says so
    assert [p.name for p, _ in problems] == ["r1.json", "r2.json"]
