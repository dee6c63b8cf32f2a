"""Calibration of confidences on hand-computed cases; the record section, rescore and the command."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from strbench.builtin.metrics import METRICS
from strbench.builtin.protocols import PROTOCOLS
from strbench.cli.main import main
from strbench.run.calibration import calibration_of, record_calibration
from strbench.run.metrics import Scored
from strbench.run.record import Record
from strbench.run.records import SCHEMA, load_record, write_record
from strbench.run.scoring import SamplePrediction, score

P = {p.id: p for p in PROTOCOLS}
M = {m.name: m for m in METRICS}


def sample(confidence: float, right: bool) -> Scored:
    return Scored("word", "word" if right else "wrd", confidence)


def test_four_words_by_hand() -> None:
    # sorted by confidence: right, right, wrong, right; each word in its own 1/15 bin
    e = calibration_of([sample(0.9, True), sample(0.8, True), sample(0.7, False), sample(0.6, True)])
    assert e["informative"] and e["samples"] == 4 and e["accuracy"] == 75.0
    assert e["ece"] == pytest.approx(100 * (0.1 + 0.2 + 0.7 + 0.4) / 4)  # 35
    assert e["brier"] == pytest.approx((0.01 + 0.04 + 0.49 + 0.16) / 4)  # 0.175
    assert e["aurc"] == pytest.approx(100 * (0 + 0 + 1 / 3 + 1 / 4) / 4, abs=1e-4)  # 14.5833
    assert e["e_aurc"] == pytest.approx(e["aurc"] - 100 * (1 / 4) / 4, abs=1e-4)  # perfect: 0, 0, 0, 1/4
    assert e["accuracy_at_coverage"] == {"90": 75.0, "95": 75.0}  # ceil(3.6) = ceil(3.8) = 4 words


def test_shared_bin_and_ties_by_hand() -> None:
    # 0.9 twice (one right), 0.3 twice (both wrong): bins hold (acc 0.5, conf 0.9) and (0, 0.3)
    words = [sample(0.9, True), sample(0.3, False), sample(0.9, False), sample(0.3, False)]
    e = calibration_of(words)
    assert e["ece"] == pytest.approx(100 * (0.5 * 0.4 + 0.5 * 0.3))  # 35
    assert e["brier"] == pytest.approx((0.01 + 0.81 + 0.09 + 0.09) / 4)  # 0.25
    # ties: expected cumulative errors 0.5, 1, 2, 3 -> risks 1/2, 1/2, 2/3, 3/4
    assert e["aurc"] == pytest.approx(100 * (0.5 + 0.5 + 2 / 3 + 0.75) / 4, abs=1e-4)  # 60.4167
    for _ in range(5):  # the order samples are stored in changes nothing
        random.shuffle(words)
        assert calibration_of(words) == e


def test_accuracy_at_coverage_keeps_the_most_confident_words() -> None:
    # 20 words, confidence 1.00, 0.95, ..., 0.05; the 3 least confident and the 5th most confident are wrong
    words = [sample(1 - i / 20, i not in (4, 17, 18, 19)) for i in range(20)]
    e = calibration_of(words, curves=True)
    assert e["accuracy_at_coverage"] == {"90": pytest.approx(100 * 16 / 18, abs=1e-4),  # 18 words, 2 wrong
                                         "95": pytest.approx(100 * 16 / 19, abs=1e-4)}  # 19 words, 3 wrong
    assert e["accuracy"] == 80.0 and e["risk_coverage"]["risk"][-1] == 20.0
    assert sum(e["reliability"]["count"]) == 20 and len(e["reliability"]["count"]) == 15
    assert e["reliability"]["count"][14] == 2  # 1.00 and 0.95 share the top bin [14/15, 1]


@pytest.mark.parametrize(("confidences", "reason"), [
    ([0.9, 0.9, 0.9], "the same confidence (0.9)"),
    ([0.0, 0.0], "the same confidence (0)"),  # predictions stored without a confidence
    ([0.5, 1.7], "outside [0, 1]"),
    ([0.5, float("nan")], "non-finite"),
])
def test_constant_or_missing_confidences_get_no_figures(confidences: list[float], reason: str) -> None:
    e = calibration_of([sample(c, i % 2 == 0) for i, c in enumerate(confidences)])
    assert e["informative"] is False and "confidence not informative" in e["reason"] and reason in e["reason"]
    assert not {"ece", "brier", "aurc", "e_aurc", "accuracy_at_coverage"} & set(e)


def test_record_section_pools_complete_groups() -> None:
    preds = {"A": [SamplePrediction("a1", "cat", "cat", 0.9), SamplePrediction("a2", "dog", "dig", 0.6)],
             "B": [SamplePrediction("b1", "Sun", "sun", 0.8), SamplePrediction("b2", "", "x", 0.1)]}  # b2: empty label
    scores = {name: score(p, P["lower36"], M) for name, p in preds.items()}

    class Suite:
        groups = {"both": ("A", "B"), "ab_c": ("A", "B", "C")}

    section = record_calibration(scores, Suite())
    assert set(section["groups"]) == {"both"}  # C was not evaluated
    assert section["datasets"]["B"]["samples"] == 1 and section["datasets"]["B"]["informative"] is False
    pooled = section["groups"]["both"]
    assert pooled["samples"] == 3 and pooled == section["all"]
    assert pooled["brier"] == pytest.approx((0.01 + 0.36 + 0.04) / 3, abs=1e-6)
    assert "reliability" in pooled and "reliability" not in section["datasets"]["A"]


def minimal(rid: str, rows: list[SamplePrediction]) -> dict:
    correct = sum(p.label.lower() == p.prediction.lower() for p in rows)
    ds = {"name": "IIIT5k_3000", "evaluated": len(rows), "samples_run": len(rows),
          "metrics": {"word_accuracy": 100.0 * correct / len(rows)}, "skipped": {"total": 0}}
    return {"schema": SCHEMA, "id": rid, "kind": "accuracy", "created": rid, "algorithm": "algo", "variant": "v",
            "weights": {"name": "w", "trained": True}, "protocol": {"key": "lower36@2", "id": "lower36"},
            "runtime": {"backend": "torch", "precision": "fp32"}, "data": {"suite": "standard"},
            "datasets": [ds], "summary": {}}


def write(tmp_path: Path, rid: str, confidences: list[float]) -> Path:
    labels = ["cat", "dog", "sun", "sea", "car"]
    rows = [SamplePrediction(f"k{i}", w, w if i % 2 == 0 else w[::-1], c)
            for i, (w, c) in enumerate(zip(labels, confidences, strict=True))]
    return write_record(tmp_path, Record.from_json(minimal(rid, rows)), [r.to_json("IIIT5k_3000") for r in rows])


def test_rescore_in_place_adds_the_section_and_keeps_scores(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, "r1", [0.99, 0.2, 0.8, 0.4, 0.7])
    before = load_record(path)
    assert before.calibration is None
    assert main(["-q", "rescore", "--in-place", str(path)]) == 0
    after = load_record(path)
    assert after.datasets[0].metrics["word_accuracy"] == before.datasets[0].metrics["word_accuracy"] == 60.0
    entry = after.calibration["datasets"]["IIIT5k_3000"]  # type: ignore[index]
    assert entry["informative"] and entry["samples"] == 5 and entry["accuracy"] == 60.0
    assert after.rescored_from is None  # same protocol, same scores: not presented as re-scored
    data = json.loads(path.read_text(encoding="utf-8"))
    assert Record.from_json(data).to_json() == data  # round-trips with the new section
    data["rescored_from"] = {"id": "r0", "protocol": "lower36@1", "at": "2026-01-01T00:00:00Z"}
    del data["calibration"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["-q", "rescore", "--in-place", str(path)]) == 0
    again = load_record(path)
    assert again.calibration is not None and again.rescored_from is not None
    assert again.rescored_from.to_json() == data["rescored_from"]  # its history stands


def test_command_table_plots_and_uninformative_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = write(tmp_path, "good", [0.99, 0.2, 0.8, 0.4, 0.7])
    flat = write(tmp_path, "flat", [1.0] * 5)
    plots = tmp_path / "plots"
    assert main(["-q", "calibration", str(good), str(flat), "--plot", str(plots), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| algo/v")]
    assert len(lines) == 2 and "not informative" in lines[1] and "not informative" not in lines[0]
    assert "the same confidence (1) for every word" in out
    assert sorted(p.name for p in plots.iterdir()) == ["good_reliability.png", "good_risk_coverage.png"]
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- calibration:start -->\nold\n<!-- calibration:end -->\nb\n", encoding="utf-8")
    assert main(["-q", "calibration", str(good), "--update-readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and "| algo/v | all | 5 | 60.00 |" in text and text.endswith("end -->\nb\n")
