"""``strbench compare`` at a glance: sides labelled with runtime and precision, significant rows
marked, a one-line verdict; progress only in a terminal; the leaderboard's significance marks
score each record once and agree with a direct comparison."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from strbench import ui
from strbench.builtin.metrics import METRICS
from strbench.builtin.protocols import PROTOCOLS
from strbench.cli.main import main
from strbench.plugin.types import to_jsonable
from strbench.report import compare as cmp
from strbench.run.record import Record
from strbench.run.records import SCHEMA, load_record, write_record
from strbench.run.scoring import SamplePrediction, score

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"
RARE_FP32 = RESULTS / "20261129T070457153534Z_rare_mv3_lower36.json"  # native (torch) fp32
RARE_BF16 = RESULTS / "20261129T070613872527Z_rare_mv3_lower36.json"  # native bf16
RARE_INT8 = RESULTS / "20261129T071906299590Z_rare_mv3_lower36.json"  # onnx int8
P = {p.id: p for p in PROTOCOLS}
M = {m.name: m for m in METRICS}


def make_record(tmp: Path, rid: str, outcomes: list[bool], backend: str = "torch", precision: str = "fp32",
                weights: str = "w", groups: bool = True) -> Path:
    """A record of one version 'IIIT5k_3000' whose sample i is right iff outcomes[i]."""
    preds = [SamplePrediction(f"img/{i}.png", "word", "word" if ok else "ward", 1.0) for i, ok in enumerate(outcomes)]
    s = score(preds, P["lower36"], M)
    summary = {"groups": {"g": {"datasets": ["IIIT5k_3000"], "complete": True,
                                "weighted": {"word_accuracy": s.metrics["word_accuracy"]}}}} if groups else {}
    record = {
        "schema": SCHEMA, "id": rid, "kind": "accuracy", "created": f"2026-01-01T00:00:0{len(rid) % 10}",
        "algorithm": "algo", "variant": "v", "weights": {"name": weights, "trained": True}, "params": 10,
        "protocol": {"key": P["lower36"].key, **to_jsonable(P["lower36"])},
        "runtime": {"backend": backend, "precision": precision},
        "data": {"root": "root", "synthetic": False, "subset_limit": None, "suite": None},
        "datasets": [{"name": "IIIT5k_3000", "format": "folder", "path": "nowhere", "samples_run": len(preds),
                      "evaluated": s.evaluated, "skipped": {"total": s.skipped}, "metrics": s.metrics}],
        "summary": summary,
    }
    return write_record(tmp, Record.from_json(record), (p.to_json("IIIT5k_3000") for p in preds))


def test_sides_differing_only_in_runtime_or_precision_get_different_labels(tmp_path: Path) -> None:
    a = load_record(make_record(tmp_path, "a", [True] * 4))
    b = load_record(make_record(tmp_path, "b", [True] * 4, backend="onnx", precision="int8"))
    c = load_record(make_record(tmp_path, "c", [True] * 4, precision="bf16"))
    assert cmp.side_labels(a, b) == ("algo v native/fp32", "algo v onnx/int8")
    assert cmp.side_labels(a, c) == ("algo v native/fp32", "algo v native/bf16")
    w = load_record(make_record(tmp_path, "w", [True] * 4, weights="other"))
    assert cmp.side_labels(a, w) == ("algo v native/fp32 (w)", "algo v native/fp32 (other)")
    again = load_record(make_record(tmp_path, "again", [True] * 4))
    la, lb = cmp.side_labels(a, again)
    assert la != lb  # two runs of one configuration: told apart by when they ran


def test_the_committed_rare_records_are_labelled_by_runtime() -> None:
    la, lb = cmp.side_labels(load_record(RARE_FP32), load_record(RARE_INT8))
    assert (la, lb) == ("rare mv3 native/fp32", "rare mv3 onnx/int8")


def test_verdict_on_the_committed_records_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(RARE_FP32), str(RARE_INT8)]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress, no chatter in a pipe
    lines = out.splitlines()
    assert lines[0].startswith("A = rare mv3 native/fp32,") and lines[2].startswith("B = rare mv3 onnx/int8,")
    assert lines[-1] == ("B (rare mv3 onnx/int8) is 0.56 pp below A (rare mv3 native/fp32) on the benchmark "
                         "weighted average, significant (p = 0.014)")
    # the significant rows are marked, the others not
    marked = {line.split()[0] for line in lines if line.rstrip().endswith(" *")}
    assert marked == {"IC15_2077", "benchmark"}
    assert "benchmark      mean" in out and "0.2160" in out
    assert main(["compare", str(RARE_FP32), str(RARE_BF16)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "B (rare mv3 native/bf16) is 0.10 pp above A (rare mv3 native/fp32) on the benchmark weighted average, "
        "not significant (p = 0.76)")


def test_verdict_wording_and_group_choice(tmp_path: Path) -> None:
    a = make_record(tmp_path, "a", [i < 80 for i in range(100)])
    b = make_record(tmp_path, "b", [i < 50 for i in range(100)])
    close = make_record(tmp_path, "close", [i < 79 for i in range(100)])
    result = cmp.compare_records(a, load_record(a), b, load_record(b))
    assert cmp.verdict(result) == "B is 30.00 pp below A on the g weighted average, significant (p <= 0.0005)"
    result = cmp.compare_records(b, load_record(b), a, load_record(a))
    assert cmp.verdict(result, "g", "A (x)", "B (y)").startswith("B (y) is 30.00 pp above A (x) on the g")
    result = cmp.compare_records(a, load_record(a), close, load_record(close))
    line = cmp.verdict(result)
    assert line is not None and line.startswith("B is 1.00 pp below A") and ", not significant (p = " in line
    # records without a complete group: the verdict speaks of every compared version
    na = make_record(tmp_path / "n", "na", [i < 80 for i in range(100)], groups=False)
    nb = make_record(tmp_path / "n", "nb", [i < 50 for i in range(100)], groups=False)
    result = cmp.compare_records(na, load_record(na), nb, load_record(nb))
    assert "on the weighted average of every version" in (cmp.verdict(result) or "")


def test_an_unknown_verdict_group_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_record(tmp_path, "a", [True] * 10)
    b = make_record(tmp_path, "b", [False] * 10)
    assert main(["compare", str(a), str(b), "--group", "nope"]) == 2
    assert "compared: g" in capsys.readouterr().err


def test_format_p() -> None:
    assert cmp.format_p(0.014) == "p = 0.014" and cmp.format_p(0.4123) == "p = 0.41"
    assert cmp.format_p(0.0005, 2000) == "p <= 0.0005" and cmp.format_p(1e-6) == "p < 0.0001"


def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Point the progress console at a fake terminal; return what it receives."""
    buffer = io.StringIO()
    monkeypatch.setattr(ui, "err_console", Console(file=buffer, force_terminal=True, width=100, color_system=None))
    return buffer


def test_compare_shows_progress_only_in_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a = make_record(tmp_path, "a", [i < 60 for i in range(100)])
    b = make_record(tmp_path, "b", [10 <= i < 65 for i in range(100)])
    shown = terminal(monkeypatch)
    assert main(["-q", "compare", str(a), str(b)]) == 0
    assert shown.getvalue() == ""  # -q: no bar
    assert main(["compare", str(a), str(b)]) == 0
    assert "bootstrap IIIT5k_3000" in shown.getvalue()
    assert "━" not in capsys.readouterr().out  # the tables' stream carries no bar


def rows_for(paths: list[Path]) -> list[SimpleNamespace]:
    return [SimpleNamespace(protocol="lower36@2", path=p, group_weighted=1.0, runs=1, similar_to_above=False,
                            algorithm="algo", variant=p.stem) for p in paths]


def test_significance_marks_score_each_record_once_and_match_compare(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [make_record(tmp_path, "r1", [i < 80 for i in range(100)]),
             make_record(tmp_path, "r2", [i < 79 for i in range(100)]),
             make_record(tmp_path, "r3", [i < 40 for i in range(100)])]
    calls: list[Path] = []
    real = cmp.scored_samples

    def counting(path: Path, record: Record, protocol: object) -> cmp.ScoredSamples:
        calls.append(path)
        return real(path, record, protocol)  # type: ignore[arg-type]

    monkeypatch.setattr(cmp, "scored_samples", counting)
    shown = terminal(monkeypatch)
    rows = rows_for(paths)
    cmp.mark_similar(rows, "g")
    assert [r.similar_to_above for r in rows] == [False, True, False]
    assert sorted(calls) == sorted(paths)  # r2 is compared twice but scored once
    assert "significance" in shown.getvalue()
    direct = cmp.compare_records(paths[0], load_record(paths[0]), paths[1], load_record(paths[1]))
    cached = cmp.compare_records(paths[0], load_record(paths[0]), paths[1], load_record(paths[1]),
                                 cache=cmp.ScoreCache())
    assert direct == cached  # same seed, same draws: identical intervals and p-values


def test_significance_marks_are_silent_in_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [make_record(tmp_path, "r1", [i < 80 for i in range(100)]),
             make_record(tmp_path, "r2", [i < 79 for i in range(100)])]
    cmp.mark_similar(rows_for(paths), "g")
    assert capsys.readouterr() == ("", "")
