"""Dataset tools: LMDB conversion, inspection, validation, the embedded default set and ``strbench data``."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import lmdb
import pytest
from PIL import Image
from test_data_formats import lmdb_entries, make_folder, make_lmdb, png_bytes

from strbench.builtin.datasets import STANDARD
from strbench.cli.main import main
from strbench.data import default_set
from strbench.data.convert import suite_destinations, write_lmdb
from strbench.data.folder import FolderFormat
from strbench.data.inspection import DatasetStats, char_class, contact_sheet, image_stats, label_stats
from strbench.data.lmdb_format import LmdbFormat
from strbench.data.loader import open_dataset
from strbench.data.suite import locate
from strbench.data.validate import validate_path
from strbench.errors import DataError

FORMATS = {"lmdb": LmdbFormat(), "folder": FolderFormat()}
REPO = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("STRBENCH_DATA_ROOT", REPO.parent / "shared" / "data" / "str-benchmarks"))


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")


def good_folder(root: Path, labels: list[str]) -> Path:
    images = {f"images/{i}.png": png_bytes(i) for i in range(len(labels))}
    lines = [f"images/{i}.png\t{label}".encode() for i, label in enumerate(labels)]
    return make_folder(root, lines, images)


def read_all(path: Path) -> list[tuple[bytes, str]]:
    source = open_dataset(path)
    try:
        return [(s.image, s.label) for s in (source.read(i) for i in range(len(source)))]
    finally:
        source.close()


def raw_lmdb(path: Path) -> dict[bytes, bytes]:
    env = lmdb.open(str(path), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            return dict(txn.cursor())
    finally:
        env.close()


# --- convert -------------------------------------------------------------------------------------


def test_convert_round_trip_is_byte_identical(tmp_path: Path) -> None:
    folder = good_folder(tmp_path / "set", ["one", "Two", "thrée"])
    report = write_lmdb(open_dataset(folder), tmp_path / "db")
    assert report.written == 3 and not report.skipped
    assert read_all(tmp_path / "db") == read_all(folder)
    keys = raw_lmdb(tmp_path / "db")
    assert keys[b"num-samples"] == b"3" and keys[b"label-000000001"] == b"one"
    assert sorted(keys) == sorted([b"num-samples"] + [b"%s-%09d" % (k, i) for k in (b"image", b"label")
                                                      for i in (1, 2, 3)])
    assert not (tmp_path / "db.partial").exists()


def test_convert_skips_unreadable_samples_and_numbers_consecutively(tmp_path: Path) -> None:
    images = {"a.png": png_bytes(1), "b.png": png_bytes(2), "bad.png": b"garbage"}
    lines = [b"a.png\tfirst", b"missing.png\tgone", b"oops-no-tab", b"bad.png\tcorrupt", b"b.png\t", b"b.png\tlast"]
    source = open_dataset(make_folder(tmp_path / "set", lines, images))
    plain = write_lmdb(source, tmp_path / "plain")
    assert [key for key, _ in plain.skipped] == ["missing.png", "gt.txt:3", "b.png"]
    assert [label for _, label in read_all(tmp_path / "plain")] == ["first", "corrupt", "last"]
    checked = write_lmdb(source, tmp_path / "checked", check_images=True)
    assert [key for key, _ in checked.skipped] == ["missing.png", "gt.txt:3", "bad.png", "b.png"]
    assert "cannot decode" in dict(checked.skipped)["bad.png"]
    assert read_all(tmp_path / "checked") == [(images["a.png"], "first"), (images["b.png"], "last")]


def test_convert_grows_the_map(tmp_path: Path) -> None:
    big = [png_bytes(i, (300, 300)) for i in range(12)]  # ~270 KB each, far over a 1 MiB map
    images = {f"{i}.png": data for i, data in enumerate(big)}
    folder = make_folder(tmp_path / "set", [f"{i}.png\tw{i}".encode() for i in range(12)], images)
    report = write_lmdb(open_dataset(folder), tmp_path / "db", initial_map_size=2**20)
    assert report.map_size > 2**20 and report.written == 12
    assert [img for img, _ in read_all(tmp_path / "db")] == big


def test_convert_refuses_to_overwrite_without_flag(tmp_path: Path) -> None:
    write_lmdb(open_dataset(good_folder(tmp_path / "a", ["old"])), tmp_path / "db")
    new = open_dataset(good_folder(tmp_path / "b", ["new", "newer"]))
    with pytest.raises(DataError, match="--overwrite"):
        write_lmdb(new, tmp_path / "db")
    assert read_all(tmp_path / "db")[0][1] == "old"
    write_lmdb(new, tmp_path / "db", overwrite=True)
    assert [label for _, label in read_all(tmp_path / "db")] == ["new", "newer"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not an LMDB"):
        write_lmdb(new, tmp_path / "other", overwrite=True)
    assert (tmp_path / "other" / "notes.txt").read_text() == "keep me"


def test_suite_destinations_use_clovaai_names_and_are_discoverable(tmp_path: Path) -> None:
    root = tmp_path / "root"
    good_folder(root / "SVT_647", ["a", "b"])
    good_folder(root / "IIIT5K_3000", ["c"])
    pairs = suite_destinations(root, tmp_path / "lmdb", STANDARD, FORMATS)
    dests = {loc.version.name: dest for loc, dest in pairs}
    assert dests["SVT_647"] == tmp_path / "lmdb" / "SVT" and dests["IIIT5k_3000"] == tmp_path / "lmdb" / "IIIT5k_3000"
    assert dests["IC13_857"] is None
    for loc, dest in pairs:
        if dest is not None:
            write_lmdb(open_dataset(loc.path), dest)
    found = {loc.version.name: loc for loc in locate(tmp_path / "lmdb", STANDARD, FORMATS)}
    assert found["SVT_647"].format == "lmdb" and found["SVT_647"].found == 2
    assert found["IIIT5k_3000"].path == tmp_path / "lmdb" / "IIIT5k_3000"
    with pytest.raises(DataError, match="data root itself"):
        suite_destinations(root, root, STANDARD, FORMATS)


# --- validate ------------------------------------------------------------------------------------


def test_validate_clean_folder_and_lmdb(tmp_path: Path) -> None:
    folder = good_folder(tmp_path / "set", ["a", "b"])
    write_lmdb(open_dataset(folder), tmp_path / "db")
    for path in (folder, tmp_path / "db"):
        report = validate_path(path)
        assert report.ok and report.checked == 2, report.problems


def test_validate_folder_names_every_problem(tmp_path: Path) -> None:
    images = {"a.png": png_bytes(1), "cut.png": png_bytes(2)[:40]}
    lines = [b"a.png\tok", b"cut.png\ttruncated", b"missing.png\tx", b"no-tab", b"a.png\t\xff", b"a.png\tagain",
             b"a.png\t"]
    report = validate_path(make_folder(tmp_path / "set", lines, images))
    problems = dict(report.problems)
    assert report.checked == 7 and not report.ok
    assert "cannot decode" in problems["cut.png (gt.txt:2)"]
    assert "image file missing" in problems["missing.png (gt.txt:3)"]
    assert "path<TAB>label" in problems["gt.txt:4"]
    assert "UTF-8" in problems["gt.txt:5"]
    assert "already listed on line 1" in problems["a.png (gt.txt:6)"]
    assert "already listed on line 1 (and its label is empty)" in problems["a.png (gt.txt:7)"]
    assert len(report.problems) == 6  # line 7: one message for its duplicate path and empty label


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e.pop(b"image-000000002"), {"000000002": "image key missing"}),
        (lambda e: e.update({b"num-samples": b"5"}), {"000000004": "image and label key missing",
                                                      "000000005": "image and label key missing"}),
        (lambda e: e.update({b"num-samples": b"2"}), {"000000003": "beyond num-samples=2"}),
        (lambda e: e.pop(b"num-samples"), {"num-samples": "key missing"}),
        (lambda e: e.update({b"label-000000001": b"\xff"}), {"000000001": "not UTF-8"}),
        (lambda e: e.update({b"label-000000001": b""}), {"000000001": "empty label"}),
        (lambda e: e.update({b"image-000000003": b"\x89PNG"}), {"000000003": "cannot decode"}),
        (lambda e: e.update({b"stray": b"1"}), {"stray": "unknown key"}),
    ],
    ids=["missing-key", "num-samples-too-big", "num-samples-too-small", "no-num-samples", "non-utf8",
         "empty-label", "corrupt-image", "stray-key"],
)
def test_validate_lmdb_problems(tmp_path: Path, mutate, expected: dict[str, str]) -> None:
    entries = lmdb_entries(["a", "b", "c"])
    mutate(entries)
    report = validate_path(make_lmdb(tmp_path / "db", entries))
    problems = dict(report.problems)
    assert set(problems) == set(expected), report.problems
    for key, needle in expected.items():
        assert needle in problems[key]


def test_validate_unknown_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset not found"):
        validate_path(tmp_path / "nope")


# --- inspect -------------------------------------------------------------------------------------


def test_char_classes() -> None:
    assert [char_class(c) for c in "a Z5-é\t"] == ["lower", "space", "upper", "digit", "punctuation", "non_ascii",
                                                   "other"]


def test_label_and_image_statistics(tmp_path: Path) -> None:
    labels = ["ab", "Hello", "x1 y", "é", "z" * 30]
    folder = make_folder(tmp_path / "set", [f"{i}.png\t{label}".encode() for i, label in enumerate(labels)],
                         {f"{i}.png": png_bytes(i, (10 * (i + 1), 20)) for i in range(5)})
    source = open_dataset(folder)
    stats = DatasetStats(source.location, len(source))
    label_stats(source, stats)
    image_stats(source, stats)
    assert stats.label_length == {"min": 1, "median": 4, "mean": 8.4, "max": 30}
    assert stats.length_histogram == {"1-3": 2, "4-6": 2, "7-10": 0, "11-15": 0, "16-25": 0, ">25": 1}
    assert stats.longer_than_25 == 1
    assert stats.char_counts == {"digit": 1, "lower": 2 + 4 + 2 + 30, "upper": 1, "punctuation": 0, "space": 1, "non_ascii": 1,
                                 "other": 0}
    assert stats.labels_with["lower"] == 4 and stats.distinct_chars == len(set("".join(labels)))
    assert stats.width == {"min": 10, "median": 30, "mean": 30, "max": 50} and stats.height["max"] == 20
    json.dumps(stats.to_json())


def test_contact_sheet_is_deterministic(tmp_path: Path) -> None:
    source = open_dataset(good_folder(tmp_path / "set", [f"w{i}" for i in range(20)]))
    assert contact_sheet(source, tmp_path / "a.png", n=6, seed=1, columns=3) == []
    contact_sheet(source, tmp_path / "b.png", n=6, seed=1, columns=3)
    contact_sheet(source, tmp_path / "c.png", n=6, seed=2, columns=3)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "c.png").read_bytes()
    assert Image.open(tmp_path / "a.png").size == (3 * 200, 2 * (64 + 18))


def test_contact_sheet_marks_unreadable_samples(tmp_path: Path) -> None:
    source = open_dataset(make_folder(tmp_path / "set", [b"a.png\tok", b"gone.png\tx"], {"a.png": png_bytes(1)}))
    problems = contact_sheet(source, tmp_path / "s.png", n=2)
    assert [key for key, _ in problems] == ["gone.png"]


# --- embedded default set ------------------------------------------------------------------------


def _generator():
    spec = importlib.util.spec_from_file_location("make_default_set", REPO / "benchmarks" / "make_default_set.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_set_is_complete_clean_and_labelled_synthetic() -> None:
    loc = default_set.located()
    assert loc.status == "ok" and loc.found == default_set.EXPECTED_SAMPLES
    assert loc.version.synthetic is True and loc.version.name == default_set.NAME == "default-synthetic"
    assert "NOT a real benchmark" in loc.version.note
    report = validate_path(default_set.path())
    assert report.ok, report.problems[:5]
    readme = (default_set.path() / "README.txt").read_text()
    assert default_set.TITLE in readme and "CC0" in readme and "Pillow" in readme
    size = sum(p.stat().st_size for p in default_set.path().rglob("*") if p.is_file())
    assert size < 2_000_000


def test_default_set_labels_come_from_the_generator_word_list() -> None:
    source = open_dataset(default_set.path())
    assert [source.label(i) for i in range(len(source))] == _generator().word_list()


# --- command line --------------------------------------------------------------------------------


def test_cli_convert_validate_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path / "set", ["cat", "Dog", "42"])
    assert main(["-q", "data", "convert", str(folder), str(tmp_path / "db"), "--check-images"]) == 0
    assert "wrote 3 samples" in capsys.readouterr().out
    assert main(["-q", "data", "convert", str(folder), str(tmp_path / "db")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["-q", "data", "validate", str(tmp_path / "db")]) == 0
    assert "clean" in capsys.readouterr().out
    sheet = tmp_path / "sheet.png"
    assert main(["-q", "data", "inspect", str(tmp_path / "db"), "--json", "--contact-sheet", str(sheet)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["samples"] == 3 and data["char_counts"]["digit"] == 2 and sheet.is_file()


def test_cli_validate_reports_problems_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_folder(tmp_path / "set", [b"a.png\tok", b"gone.png\tx"], {"a.png": png_bytes(1)})
    assert main(["-q", "data", "validate", str(folder), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["problems"][0]["sample"] == "gone.png (gt.txt:2)"
    assert main(["-q", "data", "validate", str(tmp_path / "nothing")]) == 2
    assert "dataset not found" in capsys.readouterr().err


def test_cli_suite_convert_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    good_folder(root / "CUTE80_288", ["a", "b"])
    assert main(["-q", "data", "convert", "--suite", "standard", "--data-root", str(root), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "CUTE80" / "data.mdb").is_file()
    capsys.readouterr()
    assert main(["-q", "data", "validate", "--suite", "standard", "--data-root", str(tmp_path / "out"), "--json"]) == 1
    rows = {row["version"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["CUTE80_288"] == {"version": "CUTE80_288", "expected": 288, "found": 2, "status": "count mismatch",
                                  "format": "lmdb", "path": str(tmp_path / "out" / "CUTE80")}
    assert rows["SVT_647"]["status"] == "missing"
    assert main(["-q", "data", "convert", "--data-root", str(root), str(tmp_path / "x")]) == 2


def test_cli_default_set_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "data", "inspect", default_set.NAME, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["samples"] == default_set.EXPECTED_SAMPLES and data["dataset"]["synthetic"] is True


# --- real data -----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_subset_lmdb_matches_folder(tmp_path: Path) -> None:
    sets = [REAL_DATA / "SVT_647" / "gt.txt", REAL_DATA / "IC13" / "gt_857.txt"]
    if not all(p.is_file() for p in sets):
        pytest.skip(f"real benchmark sets not found under {REAL_DATA} (set STRBENCH_DATA_ROOT)")
    lines = []
    subset = tmp_path / "subset"
    subset.mkdir()
    for label_file in sets:  # the images stay where they are: their folders are linked into the subset
        (subset / label_file.parent.name).symlink_to(label_file.parent.resolve(), target_is_directory=True)
        for line in label_file.read_text(encoding="utf-8").splitlines()[:50]:
            rel, _, label = line.partition("\t")
            lines.append(f"{label_file.parent.name}/{rel}\t{label}".encode())
    make_folder(subset, lines, {})
    report = write_lmdb(open_dataset(subset), tmp_path / "db", check_images=True)
    assert report.written == 100 and not report.skipped
    folder_samples, lmdb_samples = read_all(subset), read_all(tmp_path / "db")
    assert len(folder_samples) == 100 and lmdb_samples == folder_samples
