"""The leaderboard shows the right row (the most complete record, a quick run never replaces a full
one), ranks trained rows and keeps untrained ones off, carries each cell's stored interval, splits
regular/irregular text, puts the publisher's figure beside the measured one, fits the README in 120
columns and keeps the terminal short."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from strbench.builtin.datasets import STANDARD
from strbench.cli.main import main
from strbench.report import leaderboard as lb
from strbench.run.record import Record
from strbench.run.records import SCHEMA, write_record
from strbench.run.stats import clopper_pearson
from strbench.weights.releases import WeightsRelease

SIX = STANDARD.groups["benchmark"]
SIZES = {v.name: v.expected for v in STANDARD.versions}
RIGHT = {"IIIT5k_3000": 2400, "SVT_647": 500, "IC13_1015": 900, "IC15_2077": 1200, "SVTP_645": 400,
         "CUTE80_288": 150}


def record(rid: str, versions: tuple[str, ...] = SIX, *, variant: str = "v", trained: bool = True,
           limit: int | None = None, precision: str = "fp32", created: str | None = None,
           right: dict[str, int] | None = None) -> dict:
    """A standard-suite record of algorithm 'algo' scoring ``right[v]`` of each version's samples
    (``limit``: a --limit run of that many samples per version)."""
    right = right or RIGHT
    datasets, intervals = [], {}
    for name in versions:
        n = limit or SIZES[name]
        k = min(right[name], n)
        datasets.append({"name": name, "family": STANDARD.version(name).family, "evaluated": n,
                         "metrics": {"word_accuracy": 100.0 * k / n}, "skipped": {"total": 0}})
        intervals[name] = {"word_accuracy": list(clopper_pearson(k, n))}
    complete = set(SIX) <= set(versions)
    group: dict = {"datasets": list(SIX), "complete": complete}
    if complete:
        n_all = sum(d["evaluated"] for d in datasets if d["name"] in SIX)
        k_all = sum(d["metrics"]["word_accuracy"] * d["evaluated"] / 100 for d in datasets if d["name"] in SIX)
        group["weighted"] = {"word_accuracy": 100.0 * k_all / n_all}
        group["mean"] = {"word_accuracy": sum(d["metrics"]["word_accuracy"] for d in datasets) / len(datasets)}
    return {
        "schema": SCHEMA, "id": rid, "kind": "accuracy", "created": created or rid, "algorithm": "algo",
        "variant": variant, "weights": {"name": "w" if trained else "untrained", "sha256": "ab" * 32, "trained": trained},
        "params": 2_000_000, "protocol": {"key": "lower36@2"},
        "runtime": {"backend": "torch", "precision": precision},
        "data": {"synthetic": False, "subset_limit": limit, "suite": "standard"}, "datasets": datasets,
        "summary": {"groups": {"benchmark": group}},
        "intervals": {"datasets": intervals,
                      "groups": {"benchmark": {"weighted": {"word_accuracy": [40.0, 80.0]}}} if complete else {}},
    }


def save(folder: Path, data: dict) -> Path:
    return write_record(folder, Record.from_json(data), None)


CATALOG = lb.Catalog(suites={"standard": STANDARD})


def render_all(results: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    out = {}
    for fmt in ("terminal", "markdown", "html"):
        capsys.readouterr()
        assert main(["-q", "leaderboard", "--results-dir", str(results), "--format", fmt]) == 0
        out[fmt] = capsys.readouterr().out
    return out


def test_a_quick_run_after_a_full_run_leaves_the_board_unchanged(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    save(tmp_path, record("2026-01-01T00:00:00"))
    before = lb.collect(tmp_path, catalog=CATALOG)
    shown_before = render_all(tmp_path, capsys)
    save(tmp_path, record("2026-02-01T00:00:00", ("CUTE80_288",), right={**RIGHT, "CUTE80_288": 10}))
    save(tmp_path, record("2026-03-01T00:00:00", limit=100))  # a --limit run: its own marked row if asked for
    after = lb.collect(tmp_path, catalog=CATALOG)
    (row,) = before.rows
    assert [r.record_id for r in after.rows] == [row.record_id] == ["2026-01-01T00:00:00"]
    assert after.rows[0].group_weighted == row.group_weighted and after.rows[0].accuracy == row.accuracy
    reasons = {e.record: e.reason for e in after.excluded}
    assert reasons["2026-02-01T00:00:00"].startswith("less complete than 2026-01-01T00:00:00 (1 of 6 vs 6 of 6")
    assert "subset run" in reasons["2026-03-01T00:00:00"]
    shown_after = render_all(tmp_path, capsys)
    for fmt in ("markdown", "html"):
        assert shown_after[fmt] == shown_before[fmt], fmt
    table = shown_after["terminal"].split("- ")[0]
    assert table == shown_before["terminal"].split("- ")[0]


def test_partial_records_can_show_as_their_own_unranked_rows(tmp_path: Path) -> None:
    save(tmp_path, record("2026-01-01T00:00:00"))
    save(tmp_path, record("2026-02-01T00:00:00", ("CUTE80_288",)))
    board = lb.collect(tmp_path, include_partial=True, catalog=CATALOG)
    assert [(r.record_id, r.partial, r.rank) for r in board.rows] == [
        ("2026-01-01T00:00:00", False, 1), ("2026-02-01T00:00:00", True, None)]
    header, cells = lb.table(board.rows)
    assert cells[1][header.index("weights")].endswith("[PARTIAL]")


def test_equally_complete_records_the_newest_wins_and_explain_says_why(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    save(tmp_path, record("2026-01-01T00:00:00", right={**RIGHT, "IIIT5k_3000": 1000}))
    save(tmp_path, record("2026-02-01T00:00:00"))
    save(tmp_path, record("2026-03-01T00:00:00", ("IIIT5k_3000",)))
    (row,) = lb.collect_rows(tmp_path)
    assert row.record_id == "2026-02-01T00:00:00"
    capsys.readouterr()
    assert main(["-q", "leaderboard", "--results-dir", str(tmp_path), "--explain"]) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("2026-")]
    assert lines[0].startswith("2026-02-01T00:00:00  6 of 6 group versions, 6 in all: chosen")
    assert "as complete as 2026-02-01T00:00:00, which is newer" in lines[1]
    assert lines[2].startswith("2026-03-01T00:00:00  1 of 6") and "less complete" in lines[2]


def test_untrained_rows_leave_the_board_and_are_never_ranked(tmp_path: Path) -> None:
    save(tmp_path, record("2026-01-01T00:00:00", right={**RIGHT, "IIIT5k_3000": 100}))
    save(tmp_path, record("2026-01-02T00:00:00", variant="strong"))
    save(tmp_path, record("2026-01-03T00:00:00", variant="fresh", trained=False))
    board = lb.collect(tmp_path, catalog=CATALOG)
    assert [(r.variant, r.rank) for r in board.rows] == [("strong", 1), ("v", 2)]  # sorted by the headline
    assert [r.variant for r in board.hidden_untrained] == ["fresh"]
    (note,) = lb.hidden_untrained_note(board)
    assert note.startswith("1 untrained row(s) not shown") and "algo fresh" in note
    shown = lb.collect_rows(tmp_path, include_untrained=True)
    assert [(r.variant, r.rank) for r in shown] == [("strong", 1), ("v", 2), ("fresh", None)]


def test_a_perf_run_gives_every_precision_it_measured_its_speed(tmp_path: Path) -> None:
    def config(precision: str, ips: float) -> dict:
        best = {"batch_size": 8, "images_per_s": ips, "memory": {}}
        return {"precision": precision, "throughput": {"best": best, "points": [best]},
                "latency_bs1": {"stages": {"model_and_decode": {"median_ms": 1.0, "p90_ms": 2.0}}}}

    save(tmp_path, record("2026-01-01T00:00:00"))
    save(tmp_path, record("2026-01-02T00:00:00", precision="bf16"))
    perf = {**record("2026-01-03T00:00:00", limit=50),
            "perf": {"configs": [config("fp32", 100.0), config("bf16", 170.0)], "primary": 0,
                     "system": {"device": "cpu", "cpu_model": "X", "torch_threads": 2}, "flops": {}}}
    save(tmp_path, perf)
    speeds = {r.precision: r.perf.get("img/s (best bs)") for r in lb.collect_rows(tmp_path)}
    assert speeds == {"fp32": 100.0, "bf16": 170.0}


def test_each_rendered_cell_carries_the_interval_its_record_stores(tmp_path: Path) -> None:
    path = save(tmp_path, record("2026-01-01T00:00:00"))
    stored = json.loads(path.read_text())["intervals"]
    rows = lb.collect_rows(tmp_path, catalog=CATALOG)
    header, cells = lb.table(rows, ci=True)
    for version in SIX:
        low, high = stored["datasets"][version]["word_accuracy"]
        assert cells[0][header.index(version)].endswith(f"[{low:.2f}, {high:.2f}]")
    assert cells[0][header.index("benchmark avg (weighted)")].endswith("[40.00, 80.00]")
    page = lb.to_html(rows)
    low, high = stored["datasets"]["SVT_647"]["word_accuracy"]
    assert f'<small class="ci">[{low:.2f}, {high:.2f}]</small>' in page  # visible without hover
    _, compact = lb.compact_table(rows, ci=True)
    assert compact[0][4] == f"{rows[0].group_weighted:.2f}\n40.00–80.00"


def test_regular_irregular_split_pools_the_samples_of_each_kind(tmp_path: Path) -> None:
    save(tmp_path, record("2026-01-01T00:00:00"))
    (row,) = lb.collect_rows(tmp_path, catalog=CATALOG)
    regular = ("IIIT5k_3000", "SVT_647", "IC13_1015")
    n = sum(SIZES[v] for v in regular)
    k = sum(RIGHT[v] for v in regular)
    assert row.regular == pytest.approx(100.0 * k / n)
    assert row.intervals[lb.REGULAR] == pytest.approx(list(clopper_pearson(k, n)))
    low, high = row.intervals[lb.REGULAR]
    assert 0.0 <= low < row.regular < high <= 100.0 and high - low < 5.0  # percent, like every interval
    irregular = ("IC15_2077", "SVTP_645", "CUTE80_288")
    assert row.irregular == pytest.approx(100.0 * sum(RIGHT[v] for v in irregular) / sum(SIZES[v] for v in irregular))
    assert lb.collect_rows(tmp_path)[0].regular is None  # without the suite the split is unknown


def test_published_figure_and_training_data_come_from_plugin_metadata(tmp_path: Path) -> None:
    data = record("2026-01-01T00:00:00")
    save(tmp_path, data)
    release = WeightsRelease("https://example.org/w.tar", reported_accuracy="82.50%", reported_by="the publisher")
    algo = SimpleNamespace(weight_releases={"up": {"v": release}},
                           variants={"v": SimpleNamespace(training_data="synthetic 1k, test recipe")},
                           weights_identity=lambda variant, weights: {"name": "w", "trained": True})
    (row,) = lb.collect_rows(tmp_path, catalog=lb.Catalog(algorithms={"algo": algo}))
    assert row.published == 82.5 and row.published_gap == pytest.approx(row.group_weighted - 82.5)
    assert row.training_data == "synthetic 1k, test recipe"
    header, cells = lb.table([row])
    assert cells[0][header.index("published")] == "82.50"
    assert cells[0][header.index("gap (pp)")] == f"{row.group_weighted - 82.5:+.2f}"
    # weights that are not the plugin's packaged ones get no packaged training data
    other = SimpleNamespace(**{**vars(algo), "weights_identity": lambda variant, weights: {"name": "other"}})
    (row,) = lb.collect_rows(tmp_path, catalog=lb.Catalog(algorithms={"algo": other}))
    assert row.training_data is None and row.published == 82.5


def test_readme_board_fits_120_columns_and_links_the_full_table(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    save(tmp_path, record("2026-01-01T00:00:00", variant="a-rather-long-variant-name"))
    save(tmp_path, record("2026-01-02T00:00:00", precision="bf16"))
    save(tmp_path, record("2026-01-03T00:00:00", variant="fresh", trained=False))
    capsys.readouterr()
    assert main(["-q", "leaderboard", "--results-dir", str(tmp_path), "--format", "readme"]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 120
    header = text.splitlines()[0]
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "#", "model", "params", "IIIT5k", "SVT", "IC13", "IC15", "SVTP", "CUTE80", "avg", "img/s"]
    assert "fresh" not in text and "[results/leaderboard.md](results/leaderboard.md)" in text
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- leaderboard:start -->\nold\n<!-- leaderboard:end -->\nrest\n")
    assert main(["-q", "leaderboard", "--results-dir", str(tmp_path), "--update-readme", str(readme)]) == 0
    assert "old" not in readme.read_text() and "algo v native/bf16" in readme.read_text()


def test_terminal_left_out_list_is_one_counted_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(tmp_path, record("2026-01-01T00:00:00"))
    for day in range(2, 6):
        save(tmp_path, record(f"2026-01-0{day}T00:00:00", ("SVT_647",)))
    save(tmp_path, record("2026-01-09T00:00:00", variant="fresh", trained=False))
    capsys.readouterr()
    assert main(["leaderboard", "--results-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"6 records found .*: 1 rows shown, 5 records left out \(4 less complete, 1 untrained\); "
                     r"--verbose lists them", err)
    assert "2026-01-02T00:00:00" not in err
    assert main(["leaderboard", "--results-dir", str(tmp_path), "--verbose"]) == 0
    assert "2026-01-02T00:00:00: less complete" in capsys.readouterr().err


def test_perturbed_records_never_join_the_clean_board(tmp_path: Path) -> None:
    save(tmp_path, record("2026-01-01T00:00:00"))
    blurred = record("2026-02-01T00:00:00", right={**RIGHT, "IIIT5k_3000": 10})
    blurred["data"]["perturbation"] = {"name": "blur", "severity": 3, "seed": 0}
    save(tmp_path, blurred)
    for options in ({}, {"include_subsets": True, "include_partial": True, "include_untrained": True}):
        board = lb.collect(tmp_path, **options)
        assert [r.record_id for r in board.rows] == ["2026-01-01T00:00:00"]
        assert any(e.record == "2026-02-01T00:00:00" and "perturbed input (blur:3)" in e.reason
                   for e in board.excluded)
    from strbench.cli.cmd_leaderboard import _reason_kind

    assert {_reason_kind(e.reason) for e in lb.collect(tmp_path).excluded} == {"perturbed"}


def test_calibration_columns_show_figures_or_say_not_informative(tmp_path: Path) -> None:
    good = record("2026-01-01T00:00:00")
    good["calibration"] = {"groups": {"benchmark": {"informative": True, "ece": 7.5, "e_aurc": 1.25}}}
    flat = record("2026-01-02T00:00:00", variant="flat")
    flat["calibration"] = {"groups": {"benchmark": {"informative": False, "reason": "constant confidence"}}}
    save(tmp_path, good)
    save(tmp_path, flat)
    rows = {r.variant: r for r in lb.collect_rows(tmp_path)}
    header, cells = lb.table(list(rows.values()), calibration=True)
    by_variant = {c[header.index("variant")]: c for c in cells}
    assert by_variant["v"][header.index(lb.ECE)] == "7.50" and by_variant["v"][header.index(lb.E_AURC)] == "1.25"
    assert by_variant["flat"][header.index(lb.ECE)] == "n/i" and rows["flat"].ece is None
    assert lb.ECE not in lb.table(list(rows.values()))[0]  # only when asked for
    assert any("n/i" in n for n in lb.notes(list(rows.values()), lb.DEFAULT_GROUP, calibration=True))
