"""The held-out validation split of training crops (strbench.data.holdout, ``strbench data holdout``)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_data_formats import make_folder, png_bytes

from strbench.cli.main import main
from strbench.data.holdout import bucket, is_held_out, read_source, sample_key, threshold, write_holdout
from strbench.data.loader import open_dataset
from strbench.errors import DataError, UsageError

REPO = Path(__file__).resolve().parents[1]
STR_TRAIN = Path(os.environ.get("STRBENCH_TRAIN_ROOT", REPO.parent / "shared" / "data" / "str-train"))
REAL_SPLITS = ("IIIT5K_train_2000", "SVT_train_257", "IC15_train_4468")
# the split of the real training crops at 10% (sources, train, held out): a change of the rule moves these
REAL_COUNTS = {"IIIT5K_train_2000": (2000, 1813, 187), "SVT_train_257": (257, 239, 18),
               "IC15_train_4468": (4468, 4034, 434)}


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")


def crops(root: Path, n: int, *, reverse: bool = False, prefix: str = "images/", seed: int = 0) -> Path:
    """A folder of ``n`` tiny distinct PNG crops with a gt.txt (lines in reverse order with ``reverse``);
    labels and images differ between folders of different ``seed``."""
    names = [f"{prefix}{i}.png" for i in range(n)]
    lines = [f"{name}\tword{seed}_{i}".encode() for i, name in enumerate(names)]
    return make_folder(root, lines[::-1] if reverse else lines,
                       {name: png_bytes(seed * 100_000 + i, (12, 8)) for i, name in enumerate(names)})


def label_lines(path: Path) -> list[tuple[str, str]]:
    parts = (line.partition("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return [(image, label) for image, _, label in parts]


def read_back(label_file: Path) -> list[tuple[str, bytes, str]]:
    """(key, image bytes, label) of every sample, through the dataset loader."""
    source = open_dataset(label_file)
    try:
        return [(s.key, s.image, s.label) for s in (source.read(i) for i in range(len(source)))]
    finally:
        source.close()


# --- the rule ------------------------------------------------------------------------------------


def test_bucket_follows_the_documented_rule() -> None:
    for source, path in [("IIIT5K_train_2000", "images/1.png"), ("SVT_train_257", "images/9.jpg"), ("x", "é/ü.png")]:
        digest = hashlib.sha256(f"{source}/{path}".encode()).digest()
        assert bucket(source, path) == int.from_bytes(digest[:8], "big") % 10000
    # pinned values: the split of every dataset moves if these do
    assert bucket("IIIT5K_train_2000", "images/1.png") == 4264
    assert bucket("IC15_train_4468", "images/word_2.png") == 2388


def test_path_spelling_does_not_move_a_sample() -> None:
    assert sample_key("S", "./images/1.png") == sample_key("S", " images//1.png") == "S/images/1.png"
    assert sample_key("S", "images\\1.png") == "S/images/1.png"
    assert bucket("S", "images/1.png") != bucket("T", "images/1.png")  # the source name is part of the key


def test_bucket_does_not_depend_on_the_python_hash_seed() -> None:
    names = [f"images/{i}.png" for i in range(50)]
    expected = [bucket("src", name) for name in names]
    code = ("import json, sys; from strbench.data.holdout import bucket; "
            "print(json.dumps([bucket('src', n) for n in json.loads(sys.argv[1])]))")
    for seed in ("0", "12345"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(names)], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        assert json.loads(out) == expected


@pytest.mark.parametrize("percent", [10.0, 25.0, 2.5])
def test_held_out_fraction_is_close_to_the_target(percent: float) -> None:
    names = [f"words/{i:05d}.jpg" for i in range(1000)]
    held = sum(is_held_out("synthetic_1000", name, percent) for name in names)
    sigma = (1000 * percent / 100 * (1 - percent / 100)) ** 0.5
    assert abs(held - 10 * percent) <= 4 * sigma, (held, percent)
    assert held > 0


def test_larger_percent_holds_out_a_superset() -> None:
    names = [f"images/{i}.png" for i in range(500)]
    ten = {n for n in names if is_held_out("s", n, 10)}
    twenty = {n for n in names if is_held_out("s", n, 20)}
    assert ten < twenty


@pytest.mark.parametrize("percent", [0, 100, -5, 150, 10.001])
def test_bad_percent_is_refused(percent: float) -> None:
    with pytest.raises(UsageError, match="--percent"):
        threshold(percent)


# --- files ---------------------------------------------------------------------------------------


def test_split_is_disjoint_complete_and_independent_of_line_and_source_order(tmp_path: Path) -> None:
    a, b = crops(tmp_path / "A_set", 120), crops(tmp_path / "B_set", 80, prefix="")
    report = write_holdout([a, b], tmp_path / "out")
    train, held = label_lines(tmp_path / "out" / "train.txt"), label_lines(tmp_path / "out" / "heldout.txt")
    assert len(train) + len(held) == 200 and len(set(train) | set(held)) == 200 and not set(train) & set(held)
    assert 0 < len(held) < 60
    assert [(s.name, s.samples) for s in report.sources] == [("A_set", 120), ("B_set", 80)]
    assert report.heldout == len(held) and report.train == len(train)
    for split in report.sources:  # each sample is on the side its own hash says
        assert all(is_held_out(split.name, s.path) for s in split.heldout)
        assert not any(is_held_out(split.name, s.path) for s in split.train)
    # the same crops listed in reverse order, and the sources given the other way round
    a2 = crops(tmp_path / "again" / "A_set", 120, reverse=True)
    b2 = crops(tmp_path / "again" / "B_set", 80, prefix="")
    again = write_holdout([b2, a2], tmp_path / "out2")
    first = {s.name: {x.path for x in s.heldout} for s in report.sources}
    second = {s.name: {x.path for x in s.heldout} for s in again.sources}
    assert first == second


def test_cli_writes_files_the_loaders_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = crops(tmp_path / "data" / "A_set", 60), crops(tmp_path / "data" / "B_set", 40, seed=1)
    out = tmp_path / "runs" / "split"
    assert main(["-q", "data", "holdout", str(a), str(b / "gt.txt"), "--out", str(out), "--percent", "20"]) == 0
    assert "heldout.txt" in capsys.readouterr().out
    split = json.loads((out / "split.json").read_text(encoding="utf-8"))
    assert split["rule"]["percent"] == 20 and split["rule"]["held_out_buckets"] == 2000
    assert [s["name"] for s in split["sources"]] == ["A_set", "B_set"]
    assert split["sources"][0]["label_file_sha256"] == hashlib.sha256((a / "gt.txt").read_bytes()).hexdigest()
    originals = {label: data for _, data, label in read_back(a / "gt.txt") + read_back(b / "gt.txt")}
    monkeypatch.chdir(tmp_path / "data")  # image paths resolve relative to the label file, not the cwd
    seen: list[str] = []
    for name in ("train.txt", "heldout.txt"):
        assert split["outputs"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
        samples = read_back(out / name)
        assert len(samples) == split["outputs"][name]["samples"] > 0
        assert all(originals[label] == data for _, data, label in samples)  # the right image for each label
        seen += [label for _, _, label in samples]
        assert main(["-q", "data", "validate", str(out / name)]) == 0
        assert f"{len(samples)} samples checked, clean" in capsys.readouterr().out
    assert sorted(seen) == sorted(originals) and len(seen) == 100
    assert split["total"] == {"samples": 100, "train": split["outputs"]["train.txt"]["samples"],
                              "heldout": split["outputs"]["heldout.txt"]["samples"]}
    # the same command again refuses to overwrite, and with --overwrite writes the same bytes
    assert main(["-q", "data", "holdout", str(a), str(b), "--out", str(out), "--percent", "20"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    before = (out / "heldout.txt").read_bytes()
    assert main(["-q", "data", "holdout", str(a), str(b), "--out", str(out), "--percent", "20", "--overwrite"]) == 0
    assert (out / "heldout.txt").read_bytes() == before


def test_missing_source_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "data", "holdout", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "gt.txt" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    (tmp_path / "empty").mkdir()
    assert main(["-q", "data", "holdout", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "no label file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("lines", "expected"), [
    ([b"a.png\tok", b"no tab here"], "gt.txt:2: malformed line"),
    ([b"a.png\tok", b"\xff\xfe.png\tx"], "gt.txt:2: label line is not UTF-8"),
    ([b"a.png\t"], "gt.txt:1: empty label"),
    ([b"a.png\tok", b"a.png\tagain"], "gt.txt:2: duplicate image path"),
    ([b"a.png\tok", b"gone.png\tx"], "gt.txt:2: image"),
])
def test_unusable_line_names_the_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               lines: list[bytes], expected: str) -> None:
    src = make_folder(tmp_path / "set", lines, {"a.png": png_bytes(1)})
    with pytest.raises(DataError, match=expected.replace(".", r"\.")):
        read_source(src)
    assert main(["-q", "data", "holdout", str(src), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(src / "gt.txt") in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_sources_with_the_same_name_are_refused(tmp_path: Path) -> None:
    a, b = crops(tmp_path / "one" / "S", 5), crops(tmp_path / "two" / "S", 5)
    with pytest.raises(UsageError, match="share the name 'S'"):
        write_holdout([a, b], tmp_path / "out")


# --- the real training crops ---------------------------------------------------------------------


def test_real_training_split_matches_split_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = [STR_TRAIN / name for name in REAL_SPLITS]
    missing = [str(s / "gt.txt") for s in sources if not (s / "gt.txt").is_file()]
    if missing:
        pytest.skip(f"real training splits not found ({', '.join(missing)}); set STRBENCH_TRAIN_ROOT")
    out = tmp_path / "holdout"
    assert main(["-q", "data", "holdout", *map(str, sources), "--out", str(out)]) == 0
    split = json.loads((out / "split.json").read_text(encoding="utf-8"))
    counts = {s["name"]: (s["samples"], s["train"], s["heldout"]) for s in split["sources"]}
    assert counts == REAL_COUNTS
    for name, side in (("train.txt", 1), ("heldout.txt", 2)):
        lines = label_lines(out / name)
        assert len(lines) == split["outputs"][name]["samples"]
        assert split["outputs"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
        for source in REAL_SPLITS:  # per source, the lines in the file match split.json
            assert sum(f"/{source}/" in path for path, _ in lines) == REAL_COUNTS[source][side]
    assert main(["-q", "data", "validate", str(out / "heldout.txt")]) == 0
    assert "639 samples checked, clean" in capsys.readouterr().out
