"""Evaluating any dataset: every supported layout is detected and read alike, ``run --dataset``
records custom sets apart from suite versions, and wrong paths or names are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dataset_layouts import LABELS, LAYOUTS, icdar, lmdb_set, lmdb_tree, paddle, png, tab_folder

from strbench.cli.main import main
from strbench.data.annotations import parse_icdar
from strbench.data.loader import open_dataset
from strbench.plugin.host import PluginHost
from strbench.run.records import load_record, read_predictions


@pytest.fixture(scope="module")
def formats():
    return PluginHost(autoload=False).dataset_formats()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_is_detected_and_reads_the_same_samples(layout, formats, tmp_path) -> None:
    path = LAYOUTS[layout](tmp_path / layout)
    detected = [name for name, fmt in formats.items() if fmt.detect(path)]
    assert detected[0] == layout
    source = open_dataset(path, formats)
    samples = [source.read(i) for i in range(len(source))]
    assert [s.label for s in samples] == LABELS
    assert [s.image for s in samples] == [png(i) for i in range(len(LABELS))]


def test_icdar_bom_crlf_escapes_and_a_malformed_line(tmp_path) -> None:
    gt = icdar(tmp_path)
    gt.write_bytes(gt.read_bytes() + b"word_9.png no quotes\r\n")
    lines = parse_icdar(gt)
    assert [label for _, _, label, _ in lines[:3]] == ["hello", 'say "hi"', "back\\slash"]
    assert lines[-1][3] is not None and "malformed" in lines[-1][3]


def test_paddle_label_file_finds_its_data_dir_or_takes_one(formats, tmp_path) -> None:
    label_file = paddle(tmp_path)
    assert formats["paddle"].detect(label_file) and not formats["paddle"].detect(tab_folder(tmp_path / "t") / "gt.txt")
    explicit = formats["folder"].open_rooted(label_file, tmp_path / "train_data" / "rec")
    assert explicit.read(0).image == png(0)


def test_lmdb_tree_lists_each_leaf_and_reads_them_concatenated(formats, tmp_path) -> None:
    root = lmdb_tree(tmp_path / "data")
    fmt = formats["lmdb-tree"]
    assert fmt.detect(root) and not fmt.detect(root / "test" / "A")
    assert [name for name, _ in fmt.versions(root)] == ["test/A", "test/B"]
    source = fmt.open(root)
    assert len(source) == len(LABELS) + len(LABELS) // 2
    assert source.read(len(LABELS)).key == "test/B/000000001"


def err(capsys) -> str:
    """Captured stderr with the console's line wrapping undone."""
    return " ".join(capsys.readouterr().err.split())


def run_cli(*args: str) -> int:
    return main(["-q", *args])


@pytest.fixture
def dummy(install_entry_point):
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")


def records(results: Path) -> list[tuple[Path, dict]]:
    return [(p, load_record(p).to_json()) for p in sorted(results.glob("*.json"))]


def test_run_dataset_every_format_gives_identical_predictions(dummy, tmp_path) -> None:
    results = tmp_path / "results"
    args = ["run", "--plugin", "dummy", "--workers", "0", "--batch-size", "4", "--results-dir", str(results)]
    for layout, build in LAYOUTS.items():
        args += ["--dataset", f"{build(tmp_path / layout)}={layout}"]
    args += ["--dataset", str(lmdb_tree(tmp_path / "tree"))]
    assert run_cli(*args) == 0
    [(path, record)] = records(results)
    by_name = {d["name"]: d for d in record["datasets"]}
    assert set(by_name) == {*LAYOUTS, "tree/test/A", "tree/test/B"}
    assert all(d["custom"] and d["expected"] is None and d["status"] == "ok" for d in by_name.values())
    assert by_name["paddle"]["format"] == "paddle" and by_name["tree/test/A"]["format"] == "lmdb"
    assert len({by_name[name]["content_hash"] for name in [*LAYOUTS, "tree/test/A"]}) == 1
    assert record["data"]["synthetic"] is False and record["missing"] == []
    rows: dict[str, list[tuple[str, str]]] = {}
    for dataset, p in read_predictions(path.parent / record["predictions"]["file"]):
        rows.setdefault(dataset, []).append((p.label, p.prediction))
    reference = rows["folder"]
    assert [label for label, _ in reference] == LABELS
    for name in [*LAYOUTS, "tree/test/A"]:
        assert rows[name] == reference, name
    assert rows["tree/test/B"] == reference[: len(LABELS) // 2]
    assert not list(results.glob(".spool-*"))  # the spool folder is removed


def test_run_combines_a_suite_with_a_custom_set_and_leaderboard_keeps_them_apart(dummy, tmp_path, capsys) -> None:
    root = tmp_path / "root"
    tab_folder(root / "CUTE80_288")  # 6 samples where 288 are expected
    results = tmp_path / "results"
    assert run_cli("run", "--plugin", "dummy", "--workers", "0", "--data-root", str(root), "--results-dir",
                   str(results), "--dataset", f"{tab_folder(tmp_path / 'mine')}=mine") == 0
    out = capsys.readouterr().out
    assert "CUTE80_288 (6 of 288!)" in out  # the terminal row of the short version is marked
    [(_, record)] = records(results)
    cute, mine = record["datasets"]
    assert cute["status"] == "count mismatch" and "custom" not in cute
    assert mine["custom"] is True
    assert run_cli("leaderboard", "--results-dir", str(results), "--format", "markdown", "--include-untrained") == 0
    board = capsys.readouterr().out
    header = board.splitlines()[0]
    assert "CUTE80_288 (6 of 288!)" in header
    assert f"mine (custom {mine['content_hash'][:8]})" in header


@pytest.mark.parametrize("args, message", [
    (["--dataset", "no/such/dir"], "no such file or folder"),
    (["--datasets", "some/path"], "--dataset PATH"),
    (["--suite", "union14m"], "needs --data-root"),
    (["--format", "lmdb"], "apply to --dataset"),
])
def test_wrong_paths_and_names_are_errors_not_the_synthetic_set(dummy, tmp_path, capsys, args, message) -> None:
    results = tmp_path / "results"
    assert run_cli("run", "--plugin", "dummy", "--workers", "0", "--results-dir", str(results), *args) != 0
    assert message in err(capsys)
    assert not results.exists() or not list(results.glob("*.json"))


def test_custom_set_named_like_a_suite_version_or_twice_is_refused(dummy, tmp_path, capsys) -> None:
    folder = tab_folder(tmp_path / "a")
    base = ["run", "--plugin", "dummy", "--workers", "0", "--results-dir", str(tmp_path / "r")]
    assert run_cli(*base, "--dataset", f"{folder}=CUTE80_288") != 0
    assert "is a version of suite 'standard'" in err(capsys)
    assert run_cli(*base, "--dataset", f"{folder}=x", "--dataset", f"{lmdb_set(tmp_path / 'l')}=x") != 0
    assert "two datasets are named 'x'" in err(capsys)


def test_forced_format_and_undetectable_path(dummy, tmp_path, capsys) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    base = ["run", "--plugin", "dummy", "--workers", "0", "--results-dir", str(tmp_path / "r")]
    assert run_cli(*base, "--dataset", str(junk)) != 0
    assert "not a dataset in any known format" in err(capsys)
    assert run_cli(*base, "--dataset", str(tab_folder(tmp_path / "t")), "--format", "nope") != 0
    assert "unknown --format 'nope'" in err(capsys)
    label_file = paddle(tmp_path / "p")
    assert run_cli(*base, "--dataset", f"{label_file}=p", "--format", "folder",
                   "--dataset-root", str(tmp_path / "p" / "train_data" / "rec")) == 0
    [(_, record)] = records(tmp_path / "r")
    assert record["datasets"][0]["evaluated"] == len(LABELS)
    assert json.dumps(record["datasets"][0]["root"]).endswith('rec"')
