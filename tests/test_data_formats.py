"""Data layer readers with good and bad input: folder/label file, clovaai LMDB, loader, suite discovery."""

from __future__ import annotations

import io
from pathlib import Path

import lmdb
import numpy as np
import pytest
from PIL import Image

from strbench.builtin.datasets import STANDARD
from strbench.data.folder import FolderFormat, FolderSource
from strbench.data.lmdb_format import LmdbFormat, LmdbSource
from strbench.data.loader import decode_image, make_loader, open_dataset
from strbench.data.suite import locate
from strbench.errors import DataError, SampleError
from strbench.plugin.types import InputSpec

FORMATS = {"lmdb": LmdbFormat(), "folder": FolderFormat()}
SPEC = InputSpec(height=32, max_width=100, resize="stretch", channels="RGB")


def png_bytes(seed: int, size: tuple[int, int] = (40, 16)) -> bytes:
    """A small distinct PNG per seed."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def make_folder(root: Path, lines: list[bytes], images: dict[str, bytes]) -> Path:
    """Write ``images`` (relative name -> bytes) and a gt.txt with the raw ``lines``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "gt.txt").write_bytes(b"\n".join(lines) + b"\n")
    return root


def make_lmdb(path: Path, entries: dict[bytes, bytes]) -> Path:
    """An LMDB holding exactly ``entries`` (keys and values as given)."""
    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=2**24)
    with env.begin(write=True) as txn:
        for key, value in entries.items():
            txn.put(key, value)
    env.close()
    return path


def lmdb_entries(labels: list[str], num_samples: int | None = None) -> dict[bytes, bytes]:
    entries = {b"num-samples": str(len(labels) if num_samples is None else num_samples).encode()}
    for i, label in enumerate(labels, start=1):
        entries[b"image-%09d" % i] = png_bytes(i)
        entries[b"label-%09d" % i] = label.encode()
    return entries


def all_batches(source, **kwargs):
    return list(make_loader(source, SPEC, batch_size=2, **kwargs))


# --- folder --------------------------------------------------------------------------------------


def test_folder_reads_samples_in_order(tmp_path: Path) -> None:
    images = {"images/a.png": png_bytes(1), "images/b.png": png_bytes(2)}
    root = make_folder(tmp_path / "set", [b"images/a.png\tHello", b"images/b.png\tw\xc3\xb6rld"], images)
    source = open_dataset(root)
    assert isinstance(source, FolderSource) and len(source) == 2
    assert [source.read(i).label for i in range(2)] == ["Hello", "wörld"]
    assert source.read(1).image == images["images/b.png"]
    assert source.key(0) == "images/a.png"


def test_folder_accepts_a_label_file_path_and_a_bom(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "set", [b"\xef\xbb\xbfimages/a.png\tcat"], {"images/a.png": png_bytes(1)})
    source = open_dataset(root / "gt.txt")
    assert source.read(0).label == "cat"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (b"images/a.png label-without-tab", "path<TAB>label"),
        (b"images/a.png\t\xff\xfebad", "UTF-8"),
        (b"images/a.png\t", "empty label"),
    ],
)
def test_folder_bad_label_line_is_a_named_sample_error(tmp_path: Path, line: bytes, needle: str) -> None:
    images = {"images/a.png": png_bytes(1), "images/ok.png": png_bytes(2)}
    root = make_folder(tmp_path / "set", [b"images/ok.png\tfine", line], images)
    source = open_dataset(root)
    assert len(source) == 2  # the bad line stays a sample: counted, not silently dropped
    with pytest.raises(SampleError) as info:
        source.read(1)
    assert needle in info.value.reason
    assert "gt.txt:2" in str(info.value)
    assert source.read(0).label == "fine"


def test_folder_missing_image_names_file_and_fix(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "set", [b"images/gone.png\tword"], {})
    with pytest.raises(SampleError) as info:
        open_dataset(root).read(0)
    assert info.value.key == "images/gone.png"
    assert str(root / "images" / "gone.png") in info.value.reason and "remove its line" in info.value.reason


def test_folder_without_label_file_is_not_detected(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="not a dataset in any known format"):
        open_dataset(tmp_path / "empty")
    with pytest.raises(DataError, match="no label file found"):
        FolderFormat().open(tmp_path / "empty")


def test_unknown_path_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset not found: .*nowhere"):
        open_dataset(tmp_path / "nowhere")


# --- image decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "needle"),
    [(b"", "empty"), (b"not an image at all", "cannot decode"), (png_bytes(3)[:60], "cannot decode")],
    ids=["empty", "garbage", "truncated"],
)
def test_decode_image_rejects_bad_bytes_naming_the_sample(data: bytes, needle: str) -> None:
    with pytest.raises(SampleError) as info:
        decode_image(data, "images/x.png")
    assert info.value.key == "images/x.png" and needle in info.value.reason


def test_decode_image_returns_rgb() -> None:
    rgb = decode_image(png_bytes(4, (30, 10)), "k")
    assert rgb.shape == (10, 30, 3) and rgb.dtype == np.uint8


# --- loader --------------------------------------------------------------------------------------


def _bad_folder(tmp_path: Path) -> Path:
    images = {f"images/{i}.png": png_bytes(i) for i in range(4)}
    images["images/truncated.png"] = png_bytes(9)[:50]
    lines = [b"images/0.png\tzero", b"images/truncated.png\tcut", b"images/1.png\tone", b"no tab here",
             b"images/missing.png\tgone", b"images/2.png\ttwo", b"images/3.png\t"]
    return make_folder(tmp_path / "bad", lines, images)


@pytest.mark.parametrize("workers", [0, 1])
def test_loader_skips_bad_samples_and_never_substitutes(tmp_path: Path, workers: int) -> None:
    source = open_dataset(_bad_folder(tmp_path))
    batches = all_batches(source, workers=workers)
    labels = [label for b in batches for label in b.labels]
    keys = [k for b in batches for k in b.batch.keys]
    skipped = dict(s for b in batches for s in b.skipped)
    assert labels == ["zero", "one", "two"]
    assert keys == ["images/0.png", "images/1.png", "images/2.png"]
    assert set(skipped) == {"images/truncated.png", "gt.txt:4", "images/missing.png", "images/3.png"}
    assert "cannot decode" in skipped["images/truncated.png"]
    assert "empty label" in skipped["images/3.png"]
    assert sum(len(b.labels) + len(b.skipped) for b in batches) == len(source)
    assert all(b.batch.images.shape[1:] == (3, 32, 100) for b in batches if b.labels)


# --- LMDB ----------------------------------------------------------------------------------------


def test_lmdb_reads_one_based_keys(tmp_path: Path) -> None:
    path = make_lmdb(tmp_path / "db", lmdb_entries(["alpha", "beta", "gamma"]))
    source = open_dataset(path)
    assert isinstance(source, LmdbSource) and len(source) == 3
    assert source.read(0).label == "alpha" and source.read(2).image == png_bytes(3)
    assert source.key(0) == "000000001"


def test_lmdb_missing_keys_are_named_sample_errors(tmp_path: Path) -> None:
    entries = lmdb_entries(["a", "b", "c"])
    del entries[b"image-000000002"], entries[b"label-000000003"]
    source = open_dataset(make_lmdb(tmp_path / "db", entries))
    with pytest.raises(SampleError, match="no 'image-000000002'"):
        source.read(1)
    with pytest.raises(SampleError, match="no 'label-000000003'.*strbench data validate"):
        source.read(2)
    batches = all_batches(source)
    assert [label for b in batches for label in b.labels] == ["a"]
    assert [k for b in batches for k, _ in b.skipped] == ["000000002", "000000003"]


def test_lmdb_num_samples_too_big_gives_counted_skips(tmp_path: Path) -> None:
    source = open_dataset(make_lmdb(tmp_path / "db", lmdb_entries(["a", "b"], num_samples=4)))
    assert len(source) == 4
    batches = all_batches(source)
    assert [label for b in batches for label in b.labels] == ["a", "b"]
    assert [k for b in batches for k, _ in b.skipped] == ["000000003", "000000004"]


def test_lmdb_num_samples_too_small_reads_only_declared(tmp_path: Path) -> None:
    source = open_dataset(make_lmdb(tmp_path / "db", lmdb_entries(["a", "b", "c"], num_samples=2)))
    batches = all_batches(source)
    assert len(source) == 2 and [label for b in batches for label in b.labels] == ["a", "b"]


@pytest.mark.parametrize(("value", "needle"), [(None, "no 'num-samples'"), (b"three", "not an integer")])
def test_lmdb_bad_num_samples_is_a_data_error(tmp_path: Path, value: bytes | None, needle: str) -> None:
    entries = lmdb_entries(["a"])
    if value is None:
        del entries[b"num-samples"]
    else:
        entries[b"num-samples"] = value
    path = make_lmdb(tmp_path / "db", entries)
    with pytest.raises(DataError, match=needle) as info:
        open_dataset(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("label", "needle"), [(b"\xff\xfe", "not valid UTF-8"), (b"", "empty label")])
def test_lmdb_bad_label_is_a_sample_error(tmp_path: Path, label: bytes, needle: str) -> None:
    entries = lmdb_entries(["a", "b"])
    entries[b"label-000000002"] = label
    source = open_dataset(make_lmdb(tmp_path / "db", entries))
    with pytest.raises(SampleError, match=needle):
        source.read(1)


@pytest.mark.parametrize("workers", [0, 2])
def test_lmdb_loader_workers_after_parent_reads(tmp_path: Path, workers: int) -> None:
    source = open_dataset(make_lmdb(tmp_path / "db", lmdb_entries(["a", "b", "c"])))
    assert source.read(0).label == "a"  # the parent holds an open environment before workers fork
    batches = all_batches(source, workers=workers)
    assert [label for b in batches for label in b.labels] == ["a", "b", "c"]
    assert not [s for b in batches for s in b.skipped]


def test_two_sources_on_one_lmdb_in_one_process(tmp_path: Path) -> None:
    path = make_lmdb(tmp_path / "db", lmdb_entries(["a", "b"]))
    first, second = open_dataset(path), open_dataset(path)
    assert first.read(0).label == "a" and second.read(1).label == "b"
    first.close()
    assert second.read(0).label == "a"
    second.close()


def test_lmdb_source_reopens_after_pickling(tmp_path: Path) -> None:
    import pickle

    source = open_dataset(make_lmdb(tmp_path / "db", lmdb_entries(["a", "b"])))
    source.read(0)
    clone = pickle.loads(pickle.dumps(source))
    assert clone.read(1).label == "b"


# --- suite discovery -----------------------------------------------------------------------------


def test_locate_reports_found_mismatch_and_missing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_lmdb(root / "evaluation" / "SVT", lmdb_entries(["x"] * 3))
    lines = [f"images/{i}.png\tw{i}".encode() for i in range(857)]
    make_folder(root / "IC13", lines, {})
    (root / "IC13" / "gt_857.txt").write_bytes((root / "IC13" / "gt.txt").read_bytes())
    by_name = {loc.version.name: loc for loc in locate(root, STANDARD, FORMATS)}
    assert by_name["SVT_647"].status == "count mismatch" and by_name["SVT_647"].found == 3
    assert by_name["SVT_647"].format == "lmdb"
    assert "expected 647" in by_name["SVT_647"].describe()
    assert by_name["IC13_857"].status == "ok" and by_name["IC13_857"].path.name == "gt_857.txt"
    assert by_name["IC13_1015"].status == "missing" and "missing" in by_name["IC13_1015"].describe()
    assert {v.name for v in STANDARD.versions} == set(by_name)
