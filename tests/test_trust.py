"""compare (paired tests), leaderboard intervals / aggregation / significance marks, error analysis
and the gallery, on small hand-made records with stored predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from strbench.builtin.metrics import METRICS
from strbench.builtin.protocols import PROTOCOLS
from strbench.cli.main import main
from strbench.errors import UsageError
from strbench.plugin.types import to_jsonable
from strbench.report import leaderboard as lb
from strbench.report.compare import compare_records
from strbench.report.error_analysis import Sample, analyse, case_class, char_class, confusions, marked
from strbench.run.record import Record
from strbench.run.records import SCHEMA, load_record, write_record
from strbench.run.scoring import SamplePrediction, score
from strbench.run.stats import record_intervals

P = {p.id: p for p in PROTOCOLS}
M = {m.name: m for m in METRICS}


def make_record(tmp: Path, rid: str, outcomes: list[bool], protocol: str = "lower36", variant: str = "v",
                data_path: str = "nowhere") -> Path:
    """A record of one version 'IIIT5k_3000' whose sample i is right iff outcomes[i]."""
    preds = [SamplePrediction(f"img/{i}.png", "word", "word" if ok else "ward", 1.0) for i, ok in enumerate(outcomes)]
    s = score(preds, P[protocol], M)
    record = {
        "schema": SCHEMA, "id": rid, "kind": "accuracy", "created": rid, "algorithm": "algo", "variant": variant,
        "weights": {"name": "w", "sha256": "ab" * 32, "trained": True}, "params": 10,
        "protocol": {"key": P[protocol].key, **to_jsonable(P[protocol])},
        "runtime": {"backend": "torch", "precision": "fp32"},
        "data": {"root": "root", "synthetic": False, "subset_limit": None, "suite": None},
        "datasets": [{"name": "IIIT5k_3000", "format": "folder", "path": data_path, "samples_run": len(preds),
                      "evaluated": s.evaluated, "skipped": {"total": s.skipped}, "metrics": s.metrics}],
        "summary": {"groups": {"g": {"datasets": ["IIIT5k_3000"], "complete": True,
                                     "weighted": {"word_accuracy": s.metrics["word_accuracy"]}}}},
        "intervals": record_intervals({"IIIT5k_3000": s}),
    }
    return write_record(tmp, Record.from_json(record), (p.to_json("IIIT5k_3000") for p in preds))


def test_compare_counts_discordant_pairs_and_exact_mcnemar(tmp_path: Path) -> None:
    # A right on 0..59, B right on 10..59 and 60..64: only A 10, only B 5
    a = make_record(tmp_path, "a", [i < 60 for i in range(100)])
    b = make_record(tmp_path, "b", [10 <= i < 65 for i in range(100)])
    result = compare_records(a, load_record(a), b, load_record(b))
    v = result.versions[0]
    assert (v.shared, v.only_a, v.only_b) == (100, 10, 5)
    assert v.diff == pytest.approx(5.0) and v.interval[0] < 5.0 < v.interval[1]
    assert v.p_value == pytest.approx(0.30175781, abs=1e-8)  # 2 * P(X <= 5), X ~ Bin(15, 1/2)
    assert result.groups[0].name == "g" and result.groups[0].diff == pytest.approx(5.0)


def test_compare_refuses_different_protocols_and_samples(tmp_path: Path) -> None:
    a = make_record(tmp_path, "a", [True] * 10)
    b = make_record(tmp_path, "b", [True] * 10, protocol="cased62")
    c = make_record(tmp_path, "c", [True] * 12)
    with pytest.raises(UsageError, match="different protocols"):
        compare_records(a, load_record(a), b, load_record(b))
    assert compare_records(a, load_record(a), b, load_record(b), allow_different_protocols=True).versions
    assert compare_records(a, load_record(a), b, load_record(b), override=P["lower36"]).protocol == "lower36@2"
    with pytest.raises(UsageError, match="same samples"):
        compare_records(a, load_record(a), c, load_record(c))
    shared = compare_records(a, load_record(a), c, load_record(c), allow_different_samples=True)
    assert shared.versions[0].shared == 10 and shared.notes


def test_compare_command_prints_the_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_record(tmp_path, "a", [i < 60 for i in range(100)])
    b = make_record(tmp_path, "b", [10 <= i < 65 for i in range(100)])
    assert main(["-q", "compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "McNemar" in out and "0.3018" in out


def test_leaderboard_ci_aggregate_and_significance(tmp_path: Path) -> None:
    make_record(tmp_path, "r1", [i < 60 for i in range(100)])
    make_record(tmp_path, "r2", [i < 70 for i in range(100)])
    rows = lb.collect_rows(tmp_path, group="g")
    assert len(rows) == 1 and rows[0].intervals["IIIT5k_3000"][0] < 70 < rows[0].intervals["IIIT5k_3000"][1]
    header, cells = lb.table(rows, "g", ci=True)
    assert "70.00 [" in cells[0][header.index("IIIT5k_3000")]
    assert 'title="95% CI [' in lb.to_html(rows, "g")
    agg = lb.collect_rows(tmp_path, group="g", aggregate=True)
    header, cells = lb.table(agg, "g")
    assert agg[0].runs == 2 and "runs" in header and cells[0][header.index("IIIT5k_3000")] == "65.00 ± 7.07"
    # two models one sample apart are not significantly different; the mark goes on the lower row
    make_record(tmp_path, "m2", [i < 69 for i in range(100)], variant="other")
    from strbench.report.compare import mark_similar

    rows = lb.collect_rows(tmp_path, group="g")
    mark_similar(rows, "g")
    assert [r.similar_to_above for r in rows] == [False, True]
    header, cells = lb.table(rows, "g")
    assert "≈" in cells[1][header.index("g avg (weighted)")]


def test_error_analysis_classes_and_confusions() -> None:
    assert [case_class(w) for w in ("abc", "ABC", "Abc", "aBc", "12")] == \
        ["lower", "UPPER", "Capitalised", "MiXed", "no letters"]
    assert [char_class(w) for w in ("ab", "12", "a1", "a-b", "é")] == \
        ["letters only", "digits only", "letters+digits", "with punctuation/space", "non-ASCII"]
    assert confusions("cafe", "caf") == [("e", "∅")]
    assert confusions("rn", "m") == [("r", "m"), ("n", "∅")]
    lab, pred = marked("hello", "helo")
    assert sum(d for _, d in lab) == 1 and not any(d for _, d in pred)
    scored = score([SamplePrediction("1", "Cafe", "caf", 1.0), SamplePrediction("2", "Cafe", "cafe", 1.0),
                    SamplePrediction("3", "OK", "0K", 1.0)], P["lower36"], M).samples
    rep = analyse(Sample("D", k, "Cafe" if k != "3" else "OK", "", s) for k, s in scored)
    assert rep.samples == 3 and rep.correct == 1
    assert rep.by_case.counts == {"Capitalised": [1, 2], "UPPER": [0, 1]}
    assert rep.confusions[("e", "∅")] == 1 and rep.confusions[("o", "0")] == 1
    assert rep.wrong_words.most_common(1)[0] == ("cafe", 1)


def test_errors_command_writes_a_gallery_with_thumbnails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data" / "SET"
    (data / "img").mkdir(parents=True)
    for i in range(4):
        Image.new("RGB", (40, 16), "white").save(data / "img" / f"{i}.png")
    (data / "gt.txt").write_text("".join(f"img/{i}.png\tword\n" for i in range(4)))
    rec = make_record(tmp_path, "e", [True, False, True, False], data_path=str(tmp_path / "data" / "SET" / "gt.txt"))
    assert main(["-q", "errors", str(rec), "--html", str(tmp_path / "gal")]) == 0
    out = capsys.readouterr().out
    assert "4 samples, 2 right" in out and "'o'" in out
    page = (tmp_path / "gal" / "index.html").read_text()
    assert page.count("data:image/jpeg;base64,") == 2 and "<mark>a</mark>" in page


def test_errors_gallery_without_data_says_where_to_look(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = make_record(tmp_path, "e", [True, False])
    assert main(["errors", str(rec), "--html", str(tmp_path / "gal")]) == 0
    err = capsys.readouterr()
    assert "--data-root" in err.out + err.err
    assert "data:image" not in (tmp_path / "gal" / "index.html").read_text()


def test_rescore_in_place_keeps_id_and_adds_intervals(tmp_path: Path) -> None:
    rec = make_record(tmp_path, "x", [True, False, True])
    data = json.loads(rec.read_text())
    data["protocol"] = {"key": "lower36@1", "id": "lower36", "version": 1}
    del data["intervals"]
    rec.write_text(json.dumps(data))
    assert main(["-q", "rescore", str(rec), "--in-place"]) == 0
    new = load_record(rec)
    assert new.id == "x" and new.protocol.key == "lower36@2"
    assert new.rescored_from is not None and new.rescored_from.protocol == "lower36@1"
    assert new.intervals is not None and new.intervals["datasets"]["IIIT5k_3000"]


def test_a_perturbed_records_gallery_shows_the_crops_as_the_model_read_them(tmp_path: Path) -> None:
    import base64
    import io

    import numpy as np

    from strbench.data.perturb import Perturbation
    from strbench.report.gallery import record_perturbation, thumbnail

    data = tmp_path / "data" / "SET"
    (data / "img").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (16, 40, 3), dtype=np.uint8)).save(data / "img" / f"{i}.png")
    (data / "gt.txt").write_text("".join(f"img/{i}.png\tword\n" for i in range(2)))
    rec = make_record(tmp_path, "p", [False, False], data_path=str(data / "gt.txt"))
    record = json.loads(rec.read_text())
    assert record_perturbation(record) is None  # a clean record's crops are shown as they are
    record["data"]["perturbation"] = {"name": "rotation", "severity": 1, "seed": 0}
    rec.write_text(json.dumps(record))
    perturb = record_perturbation(record)
    assert perturb == Perturbation("rotation", 1, 0)
    raw = (data / "img" / "0.png").read_bytes()
    shown = Image.open(io.BytesIO(base64.b64decode(thumbnail(raw, perturb, "img/0.png").split(",", 1)[1])))
    assert shown.height > shown.width  # rotated by 90 degrees: the thumbnail is what the model saw
    assert main(["-q", "errors", str(rec), "--html", str(tmp_path / "gal")]) == 0
    page = (tmp_path / "gal" / "index.html").read_text()
    assert "as the model read them, after rotation:1" in page and page.count("data:image/jpeg;base64,") == 2


@pytest.mark.parametrize("command", [["errors"], ["calibration"], ["rescore"]])
def test_a_replaced_predictions_file_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        command: list[str]) -> None:
    rec = make_record(tmp_path, "r", [True, False, True])
    other = make_record(tmp_path / "other", "r", [False, False, True])  # same file name, other outcomes
    predictions = rec.parent / json.loads(rec.read_text())["predictions"]["file"]
    predictions.write_bytes((other.parent / predictions.name).read_bytes())
    assert main([*command, str(rec)]) != 0
    err = capsys.readouterr().err
    assert predictions.name in err and "does not match" in err and "Traceback" not in err
