"""The bad-input suite: inputs a new user may give strbench, each with its expected outcome.

Every :class:`Case` writes its files into a folder and returns the ``strbench`` arguments to run
on them. The outcome is one of

- ``error``: exit code 2 and a one-line message naming the file or option and the fix;
- ``skip``: the command succeeds and the record counts the bad sample as skipped, with a reason
  (also printed in the run summary);
- ``handled``: the command succeeds and the input is used correctly (checked by ``check``).

``tests/test_bad_inputs.py`` runs every case in CI (in process, with the test-only ``dummy``
plugin); ``python tests/bad_inputs/generate.py OUT`` writes every case into ``OUT/<case>/`` and
prints the command lines, to try them by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lmdb
import numpy as np
from PIL import Image

#: Top-level arguments of every ``run``: load the test-only digest plugin as a module.
PLUGIN = ["-p", "dummy_plugin"]
DEFAULT_SET = Path(__file__).resolve().parents[2] / "harness" / "strbench" / "data" / "default_set"
#: A grey ramp that every decoded image-mode case must come back as (RGB, all channels equal).
RAMP = (np.arange(12 * 40).reshape(12, 40) % 256).astype(np.uint8)


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, what to run and what must happen."""

    name: str
    outcome: str  # "error" | "skip" | "handled"
    build: Callable[[Path], list[str]]  # writes below the folder, returns the strbench arguments
    says: tuple[str, ...] = ()  # substrings of the output (stdout + stderr)
    exit_code: int = 0
    skipped: int = 0  # skip cases: skipped samples in the record
    skip_reason: str = ""  # ... and a substring of their reason
    check: Callable[[Path], None] | None = None  # handled cases: inspects the folder afterwards
    isolate: bool = False  # run in a subprocess: a regression here kills the process with a signal

    def __post_init__(self) -> None:
        if self.outcome == "error" and not self.exit_code:
            object.__setattr__(self, "exit_code", 2)


# -- helpers ------------------------------------------------------------------------------------


def good_image(i: int = 1) -> bytes:
    return (DEFAULT_SET / "images" / f"word_{i:04d}.png").read_bytes()


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def folder_set(root: Path, lines: list[bytes], images: dict[str, bytes], good: int = 3) -> Path:
    """``root/IIIT5K_3000/gt.txt`` (found as the suite's IIIT5k_3000) with ``good`` default-set
    images first, then ``lines`` (raw label-file lines) and ``images``."""
    folder = root / "IIIT5K_3000"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    head = []
    for i in range(1, good + 1):
        (folder / "images" / f"good{i}.png").write_bytes(good_image(i))
        head.append(f"images/good{i}.png\tword{i}".encode())
    for name, data in images.items():
        (folder / "images" / name).write_bytes(data)
    (folder / "gt.txt").write_bytes(b"\n".join(head + lines) + b"\n")
    return folder


def run_args(folder: Path, *extra: str) -> list[str]:
    return [*PLUGIN, "run", "--plugin", "dummy", "--data-root", str(folder / "data"), "--datasets", "IIIT5k_3000",
            "--workers", "0", "--results-dir", str(folder / "results"), *extra]


def lmdb_set(root: Path, entries: dict[bytes, bytes], grow: int = 0) -> Path:
    """``root/IIIT5k_3000`` as an LMDB holding ``entries`` (plus ``grow`` bytes of filler pages)."""
    path = root / "IIIT5k_3000"
    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=1 << 26, subdir=True)
    with env.begin(write=True) as txn:
        for key, value in entries.items():
            txn.put(key, value)
        if grow:
            txn.put(b"zz-filler", b"\0" * grow)
    env.close()
    (path / "lock.mdb").unlink(missing_ok=True)
    return path


def clovaai(n: int, *, drop: tuple[bytes, ...] = (), num: bytes | None = None) -> dict[bytes, bytes]:
    entries = {b"num-samples": num if num is not None else str(n).encode()}
    for i in range(1, n + 1):
        entries[b"image-%09d" % i] = good_image(i)
        entries[b"label-%09d" % i] = f"word{i}".encode()
    for key in drop:
        entries.pop(key)
    return entries


def truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(size)


def png_header(width: int, height: int) -> bytes:
    """A greyscale PNG declaring ``width x height`` pixels, its data all zero (decompresses hugely)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\0" * ((width + 1) * min(height, 64)))  # only the first rows: enough to open
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def png_bomb(width: int, height: int) -> bytes:
    """A complete, valid all-black greyscale PNG of ``width x height`` (a few hundred KB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\0" * ((width + 1) * height), 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def record_of(folder: Path) -> dict:
    (path,) = [p for p in (folder / "results").glob("*.json")]
    return json.loads(path.read_text(encoding="utf-8"))


# -- LMDB ---------------------------------------------------------------------------------------


def _lmdb_truncated(folder: Path) -> Path:
    path = lmdb_set(folder / "data", clovaai(3), grow=200_000)
    truncate(path / "data.mdb", (path / "data.mdb").stat().st_size // 2)
    return path


def _lmdb_foreign(folder: Path) -> Path:
    path = folder / "data" / "IIIT5k_3000"
    path.mkdir(parents=True)
    (path / "data.mdb").write_bytes(np.random.default_rng(0).integers(0, 256, 65536, dtype=np.uint8).tobytes())
    return path


LMDB_FIX = "copy the dataset again or rebuild it with 'strbench data convert'"

LMDB_CASES = [
    Case("lmdb_truncated_run", "error", lambda f: (_lmdb_truncated(f), run_args(f))[1],
         ("data.mdb is truncated", LMDB_FIX), isolate=True),
    Case("lmdb_truncated_run_workers", "error", lambda f: (_lmdb_truncated(f), run_args(f, "--workers", "2"))[1],
         ("data.mdb is truncated", LMDB_FIX), isolate=True),
    Case("lmdb_truncated_validate", "error",
         lambda f: ["data", "validate", str(_lmdb_truncated(f))], ("data.mdb is truncated", LMDB_FIX), isolate=True),
    Case("lmdb_truncated_to_two_pages", "error",
         lambda f: (truncate(_lmdb_truncated(f) / "data.mdb", 8192), run_args(f))[1],
         ("data.mdb is truncated", LMDB_FIX), isolate=True),
    Case("lmdb_empty_file", "error",
         lambda f: (truncate(_lmdb_truncated(f) / "data.mdb", 0), run_args(f))[1],
         ("0 bytes, too small to be an LMDB file", LMDB_FIX), isolate=True),
    Case("lmdb_foreign_bytes_run", "error", lambda f: (_lmdb_foreign(f), run_args(f))[1],
         ("data.mdb", "not an LMDB", LMDB_FIX), isolate=True),
    Case("lmdb_foreign_bytes_validate", "error", lambda f: ["data", "validate", str(_lmdb_foreign(f))],
         ("data.mdb", "not an LMDB", LMDB_FIX), isolate=True),
    Case("lmdb_foreign_database", "error",
         lambda f: (lmdb_set(f / "data", {b"some": b"thing"}), run_args(f))[1],
         ("no 'num-samples' key", "strbench data convert")),
    Case("lmdb_num_samples_not_a_number", "error",
         lambda f: (lmdb_set(f / "data", clovaai(2, num=b"lots")), run_args(f))[1],
         ("'num-samples' is b'lots', not an integer", "rebuild the LMDB")),
    Case("lmdb_missing_image_key", "skip",
         lambda f: (lmdb_set(f / "data", clovaai(4, drop=(b"image-000000002",))), run_args(f))[1],
         ("1 sample(s) skipped",), skipped=1, skip_reason="has no 'image-000000002'; rebuild the LMDB"),
    Case("lmdb_num_samples_too_large", "skip",
         lambda f: (lmdb_set(f / "data", clovaai(3, num=b"4")), run_args(f))[1],
         ("1 sample(s) skipped",), skipped=1, skip_reason="has no 'label-000000004'"),
]


# -- image modes (handled: decoded to the same grey ramp) ----------------------------------------


def _mode_image(mode: str) -> tuple[bytes, int]:
    """The grey ramp stored in ``mode``; returns (encoded bytes, tolerated difference in grey levels)."""
    grey = Image.fromarray(RAMP)
    rgb = grey.convert("RGB")
    if mode == "I;16":
        return encode(Image.fromarray(RAMP.astype(np.uint16) * 257)), 0
    if mode == "I;16B":
        return encode(Image.frombytes("I;16B", grey.size, (RAMP.astype(">u2") * 257).tobytes()), "TIFF"), 0
    if mode == "I16range":
        return encode(Image.fromarray(RAMP.astype(np.int32) * 257), "TIFF"), 0
    if mode == "I8range":
        return encode(Image.fromarray(RAMP.astype(np.int32)), "TIFF"), 0
    if mode == "F01":
        return encode(Image.fromarray(RAMP.astype(np.float32) / 255), "TIFF"), 0
    if mode == "F255":
        return encode(Image.fromarray(RAMP.astype(np.float32)), "TIFF"), 0
    if mode == "RGBA":  # black ink whose alpha is the darkness, on a transparent background
        alpha = 255 - RAMP
        return encode(Image.fromarray(np.dstack([np.zeros_like(RAMP)] * 3 + [alpha]), "RGBA")), 0
    if mode == "LA":
        return encode(Image.fromarray(np.dstack([np.zeros_like(RAMP), 255 - RAMP]), "LA")), 0
    if mode == "1":
        return encode(grey.convert("1")), 0
    if mode == "CMYK_jpeg":
        return encode(rgb.convert("CMYK"), "JPEG"), 8
    if mode in ("CMYK", "YCbCr", "LAB"):
        return encode(rgb.convert(mode), "TIFF"), 2
    if mode == "YCbCr_jpeg":
        return encode(rgb, "JPEG"), 8
    if mode in ("L", "P", "RGB"):
        return encode(grey.convert(mode)), 0
    raise ValueError(mode)


def _expected(mode: str) -> np.ndarray:
    if mode == "1":  # binarised: the same thresholding Pillow applies
        return np.asarray(Image.fromarray(RAMP).convert("1").convert("L"))
    return RAMP


def _mode_case(mode: str) -> Case:
    def build(folder: Path) -> list[str]:
        data, _ = _mode_image(mode)
        folder_set(folder / "data", [b"images/img.bin\tword"], {"img.bin": data}, good=0)
        return ["data", "validate", str(folder / "data" / "IIIT5K_3000")]

    def check(folder: Path) -> None:
        from strbench import decode_image

        _, tolerance = _mode_image(mode)
        rgb = decode_image((folder / "data" / "IIIT5K_3000" / "images" / "img.bin").read_bytes(), "img.bin")
        expected = np.repeat(_expected(mode)[:, :, None], 3, axis=2).astype(int)
        worst = int(np.abs(rgb.astype(int) - expected).max())
        assert worst <= tolerance, f"mode {mode}: decoded image differs by {worst} grey levels (allowed {tolerance})"

    return Case(f"image_mode_{mode}", "handled", build, ("1 samples checked", "clean"), check=check)


MODES = ("1", "L", "P", "RGB", "LA", "RGBA", "I;16", "I;16B", "I16range", "I8range", "F01", "F255", "CMYK",
         "CMYK_jpeg", "YCbCr", "YCbCr_jpeg", "LAB")
MODE_CASES = [_mode_case(m) for m in MODES]


def _sixteen_bit_run(folder: Path) -> list[str]:
    eight = Image.open(io.BytesIO(good_image(4))).convert("L")
    sixteen = Image.fromarray(np.asarray(eight).astype(np.uint16) * 257)
    folder_set(folder / "data", [b"images/eight.png\tsame", b"images/sixteen.png\tsame"],
               {"eight.png": encode(eight), "sixteen.png": encode(sixteen)}, good=0)
    return run_args(folder)


def _same_predictions(folder: Path) -> None:
    import gzip

    record = record_of(folder)
    rows = [json.loads(line) for line in gzip.open(folder / "results" / record["predictions"]["file"], "rt")]
    by_key = {row["key"]: row for row in rows}
    assert "skip" not in by_key["images/sixteen.png"], by_key["images/sixteen.png"]
    assert by_key["images/sixteen.png"]["prediction"] == by_key["images/eight.png"]["prediction"]


# -- samples that must be skipped (counted in the record and the summary) ------------------------


def _skip_case(name: str, lines: list[bytes], images: dict[str, bytes], reason: str, count: int = 1,
               extra: tuple[str, ...] = ()) -> Case:
    return Case(name, "skip", lambda f: (folder_set(f / "data", lines, images), run_args(f))[1],
                (f"{count} sample(s) skipped", *extra), skipped=count, skip_reason=reason)


def _jpeg_half() -> bytes:
    data = encode(Image.open(io.BytesIO(good_image(5))).convert("RGB"), "JPEG")
    return data[: len(data) // 2]


def _nan_tiff() -> bytes:
    values = RAMP.astype(np.float32)
    values[3, 3] = np.nan
    return encode(Image.fromarray(values), "TIFF")


SKIP_CASES = [
    _skip_case("decompression_bomb_over_limit", [b"images/bomb.png\tboom"], {"bomb.png": png_bomb(7000, 7000)},
               "decompression bomb: 7000x7000 pixels exceeds the limit"),
    _skip_case("decompression_bomb_pillow_warning_range", [b"images/bomb.png\tboom"],
               {"bomb.png": png_header(10_000, 10_000)}, "decompression bomb"),
    _skip_case("decompression_bomb_pillow_error_range", [b"images/bomb.png\tboom"],
               {"bomb.png": png_header(30_000, 30_000)}, "decompression bomb"),
    Case("decompression_bomb_flagged_by_validate", "handled",
         lambda f: (folder_set(f / "data", [b"images/bomb.png\tboom"], {"bomb.png": png_header(10_000, 10_000)}),
                    ["data", "validate", str(f / "data" / "IIIT5K_3000")])[1],
         ("bomb.png", "decompression bomb", "1 problem(s)"), exit_code=1),
    _skip_case("float_image_with_nan", [b"images/nan.tif\tnan"], {"nan.tif": _nan_tiff()}, "NaN or infinite values"),
    _skip_case("truncated_jpeg", [b"images/cut.jpg\tcut"], {"cut.jpg": _jpeg_half()}, "truncated"),
    _skip_case("empty_image_file", [b"images/empty.png\tnothing"], {"empty.png": b""}, "image is empty (0 bytes)"),
    _skip_case("text_file_named_png", [b"images/text.png\ttext"], {"text.png": b"hello, not an image\n"},
               "cannot decode image"),
    _skip_case("missing_image_file", [b"images/gone.png\tgone"], {}, "image file missing"),
    _skip_case("label_line_not_utf8", [b"images/good1.png\t\xff\xfeword"], {}, "re-save the file as UTF-8"),
    _skip_case("label_line_without_tab", [b"images/good1.png word"], {}, "expected 'path<TAB>label'"),
    _skip_case("empty_label", [b"images/x.png\t"], {"x.png": good_image(6)}, "empty label"),
    _skip_case("duplicate_label_line", [b"images/good2.png\tword2"], {}, "already listed on line 2",
               extra=("duplicate image path",)),
    _skip_case("three_duplicate_lines", [b"images/good1.png\tword1"] * 3, {}, "already listed on line 1", count=3),
]


# -- numeric options and settings ---------------------------------------------------------------


def _cli(*args: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        return [a.replace("{out}", str(folder / "out")) for a in args]

    return build


RUN = (*PLUGIN, "run", "--plugin", "dummy", "--workers", "0", "--results-dir", "{out}")

OPTION_CASES = [
    Case("limit_zero", "error", _cli(*RUN, "--limit", "0"), ("--limit", "must be at least 1, got 0")),
    Case("limit_negative", "error", _cli(*RUN, "--limit", "-5"), ("--limit", "must be at least 1, got -5")),
    Case("batch_size_zero", "error", _cli(*RUN, "--batch-size", "0"), ("--batch-size", "must be at least 1")),
    Case("batch_size_negative", "error", _cli(*RUN, "--batch-size", "-1"), ("--batch-size", "must be at least 1")),
    Case("batch_size_not_a_number", "error", _cli(*RUN, "--batch-size", "many"),
         ("--batch-size", "expected an integer, got 'many'")),
    Case("workers_negative", "error", _cli(*PLUGIN, "run", "--plugin", "dummy", "--workers", "-1"),
         ("--workers", "must be at least 0, got -1")),
    Case("perf_runs_zero", "error", _cli(*PLUGIN, "bench", "--plugin", "dummy", "--perf-runs", "0"),
         ("--perf-runs", "must be at least 1")),
    Case("perf_batch_sizes_zero", "error", _cli(*PLUGIN, "bench", "--plugin", "dummy", "--perf-batch-sizes", "8", "0"),
         ("--perf-batch-sizes", "must be at least 1")),
    Case("infer_batch_size_zero", "error", _cli(*PLUGIN, "infer", "--plugin", "dummy", "--batch-size", "0", "x.png"),
         ("--batch-size", "must be at least 1")),
    Case("synth_count_zero", "error", _cli("data", "synth", "{out}", "--count", "0"),
         ("--count", "must be at least 1")),
    Case("train_lr_nan", "error",
         _cli("-p", "strbench_rare.plugin", "train", "--plugin", "rare", "--train-data", "{out}", "--output-dir",
              "{out}", "--set", "lr=nan"), ("training setting lr='nan': expected a finite number",)),
    Case("train_lr_inf", "error",
         _cli("-p", "strbench_rare.plugin", "train", "--plugin", "rare", "--train-data", "{out}", "--output-dir",
              "{out}", "--set", "lr=inf"), ("training setting lr='inf': expected a finite number",)),
    Case("train_grad_clip_negative", "error",
         _cli("-p", "strbench_rare.plugin", "train", "--plugin", "rare", "--train-data", "{out}", "--output-dir",
              "{out}", "--set", "grad_clip=-1"), ("grad_clip must be positive",)),
    Case("train_batch_size_zero", "error",
         _cli("-p", "strbench_rare.plugin", "train", "--plugin", "rare", "--train-data", "{out}", "--output-dir",
              "{out}", "--set", "batch_size=0"), ("batch_size must be at least 1",)),
]


# -- output locations, checked before any work --------------------------------------------------


def _file_at(folder: Path, name: str = "blocker") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("a regular file\n")
    return folder / name


OUTPUT_CASES = [
    Case("results_dir_is_a_file", "error",
         lambda f: [*RUN[:-1], str(_file_at(f)), "--limit", "3"], ("--results-dir", "is a file, not a folder")),
    Case("results_dir_below_a_file", "error",
         lambda f: [*RUN[:-1], str(_file_at(f) / "results"), "--limit", "3"],
         ("--results-dir", "which is a file, not a folder")),
    Case("results_dir_not_writable", "error",
         lambda f: [*RUN[:-1], "/proc/strbench-results", "--limit", "3"], ("--results-dir /proc/strbench-results",
                                                                          "is not writable")),
    Case("leaderboard_output_below_a_file", "error",
         lambda f: ["leaderboard", "--results-dir", str(f), "--format", "csv", "-o", str(_file_at(f) / "b.csv")],
         ("--output", "blocker is a file, not a folder")),
    Case("train_output_dir_below_a_file", "error",
         lambda f: ["-p", "strbench_rare.plugin", "train", "--plugin", "rare", "--train-data", str(f),
                    "--output-dir", str(_file_at(f) / "out")], ("--output-dir", "which is a file")),
    Case("data_root_is_a_file", "error",
         lambda f: [*PLUGIN, "run", "--plugin", "dummy", "--data-root", str(_file_at(f)), "--results-dir",
                    str(f / "r")], ("is not a folder", "--data-root")),
]


# -- records read back ---------------------------------------------------------------------------


def _good_run(folder: Path, first: int = 1) -> Path:
    """A finished run of 4 samples in ``folder/results``; returns its record path."""
    from strbench.cli.main import main

    images = {f"w{i}.png": good_image(first + i) for i in range(4)}
    folder_set(folder / "data", [f"images/w{i}.png\tword".encode() for i in range(4)], images, good=0)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["-q", *run_args(folder)])
    assert code == 0, "the good run failed"
    (path,) = (folder / "results").glob("*.json")
    return path


def _edit(path: Path, change: Callable[[dict], None]) -> Path:
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _newer_corrupt(folder: Path) -> list[str]:
    path = _good_run(folder)
    newer = path.with_name(path.name.replace(path.name[:8], "29991231", 1))
    newer.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")  # cut mid-write
    # the dummy plugin's weights are untrained: shown only on request
    return ["leaderboard", "--results-dir", str(folder / "results"), "--include-synthetic", "--include-untrained",
            "--format", "markdown"]


def _other_predictions(folder: Path) -> list[str]:
    first = _good_run(folder / "a")
    second = _good_run(folder / "b", first=20)
    record = json.loads(first.read_text(encoding="utf-8"))
    other = json.loads(second.read_text(encoding="utf-8"))
    # another run's predictions under this record's file name
    shutil.copy(second.parent / other["predictions"]["file"], first.parent / record["predictions"]["file"])
    return ["rescore", str(first), "--protocol", "cased62"]


def _tampered_predictions(folder: Path) -> list[str]:
    import gzip

    path = _good_run(folder)
    record = json.loads(path.read_text(encoding="utf-8"))
    pred = path.parent / record["predictions"]["file"]
    rows = [json.loads(line) for line in gzip.open(pred, "rt")]
    for row in rows:
        row["prediction"] = "tampered"
    pred.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    return ["rescore", str(path), "--protocol", "cased62"]


RECORD_CASES = [
    Case("leaderboard_newest_record_corrupt", "handled", _newer_corrupt,
         ("left out of the leaderboard", "29991231", "STALE?", "could not be read")),
    Case("leaderboard_record_missing_fields", "handled",
         lambda f: (_edit(_good_run(f), lambda r: r.pop("variant")),
                    ["leaderboard", "--results-dir", str(f / "results"), "--include-synthetic"])[1],
         ("left out of the leaderboard", "lacks variant")),
    Case("rescore_record_missing_fields", "error",
         lambda f: ["rescore", str(_edit(_good_run(f), lambda r: r["datasets"][0].pop("samples_run"))),
                    "--protocol", "cased62"], ("lacks datasets[0].samples_run", "re-run the benchmark")),
    Case("rescore_record_without_protocol", "error",
         lambda f: ["rescore", str(_edit(_good_run(f), lambda r: r.pop("protocol"))), "--protocol", "cased62"],
         ("lacks protocol.key",)),
    Case("rescore_predictions_of_another_run", "error", _other_predictions,
         ("does not match", "sha256", "restore the predictions written with this record")),
    Case("rescore_predictions_edited", "error", _tampered_predictions, ("does not match", "sha256")),
    Case("rescore_predictions_missing", "error",
         lambda f: (lambda p: (next(p.parent.glob("*.gz")).unlink(), ["rescore", str(p), "--protocol", "cased62"])[1])(
             _good_run(f)), ("predictions file", "is missing", "restore it")),
    Case("rescore_record_not_json", "error",
         lambda f: (_file_at(f, "r.json"), ["rescore", str(f / "r.json"), "--protocol", "cased62"])[1],
         ("cannot read record", "r.json")),
    Case("rescore_not_a_record", "error",
         lambda f: (f.mkdir(parents=True, exist_ok=True), (f / "x.json").write_text("{}"),
                    ["rescore", str(f / "x.json"), "--protocol", "cased62"])[2], ("is not a strbench record",)),
]


# -- interrupted writes ---------------------------------------------------------------------------


KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from strbench.atomic import atomic_path
    with atomic_path(Path(sys.argv[1])) as tmp:
        tmp.write_bytes(b"half a record")
        print(tmp, flush=True)
        time.sleep(60)
""")


def _killed_writer(folder: Path) -> list[str]:
    """A writer SIGKILLed inside an atomic write into the results folder, leaving its temp file."""
    results = folder / "out"
    results.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(results / "r.json")], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    tmp = Path(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tmp.exists(), "the killed writer left no temporary file to clean"
    return [a.replace("{out}", str(results)) for a in RUN] + ["--limit", "3"]


def _no_temporaries(folder: Path) -> None:
    left = [p.name for p in (folder / "out").iterdir() if p.name.startswith(".")]
    assert not left, f"temporary files left: {left}"


WRITE_CASES = [
    Case("temp_file_of_killed_writer_cleaned", "handled", _killed_writer, ("default-synthetic",),
         check=_no_temporaries),
    Case("sixteen_bit_png_run", "handled", _sixteen_bit_run, ("IIIT5k_3000",), check=_same_predictions),
]

# -- label hygiene: every format, every encoding --------------------------------------------------


def dataset_args(folder: Path, path: Path, *extra: str) -> list[str]:
    """``run`` of the dummy plugin on the custom set ``path`` (``--dataset``)."""
    return [*PLUGIN, "run", "--plugin", "dummy", "--dataset", str(path), "--workers", "0", "--results-dir",
            str(folder / "results"), *extra]


def good_images(folder: Path, n: int = 3, extra: tuple[str, ...] = ()) -> list[str]:
    """``folder/good1.png ..`` (default-set images) and ``extra`` names; returns the good names."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        (folder / f"good{i}.png").write_bytes(good_image(i))
    for i, name in enumerate(extra, start=n + 1):
        (folder / name).write_bytes(good_image(i))
    return [f"good{i}.png" for i in range(1, n + 1)]


def jsonl_set(folder: Path, bad: dict) -> Path:
    """An mmocr 0.x ``.jsonl`` annotation of three good rows and ``bad`` (its image exists)."""
    root = folder / "mmocr"
    names = good_images(root / "images", extra=("bad.png",))
    rows = [{"filename": f"images/{n}", "text": f"word{i}"} for i, n in enumerate(names, start=1)]
    rows.append({"filename": "images/bad.png", **bad})
    (root / "test_label.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root / "test_label.jsonl"


def json_set(folder: Path, bad_text: object) -> Path:
    """An mmocr 1.x ``textrecog_test.json`` of three good items and one whose text is ``bad_text``."""
    root = folder / "mmocr1"
    names = good_images(root / "images", extra=("bad.png",))
    items = [{"img_path": f"images/{n}", "instances": [{"text": f"word{i}"}]} for i, n in enumerate(names, start=1)]
    items.append({"img_path": "images/bad.png", "instances": [{"text": bad_text}]})
    (root / "textrecog_test.json").write_text(json.dumps({"metainfo": {}, "data_list": items}), encoding="utf-8")
    return root / "textrecog_test.json"


def icdar_set(folder: Path, bad_line: str, encoding: str = "utf-8") -> Path:
    """An ICDAR ``gt.txt`` (``word_1.png, "label"``) of three good lines and ``bad_line``."""
    root = folder / "icdar"
    names = good_images(root, extra=("bad.png",))
    lines = [f'{n}, "word{i}"' for i, n in enumerate(names, start=1)] + ([bad_line] if bad_line else [])
    (root / "gt.txt").write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return root / "gt.txt"


def _rewrite(path: Path, change: Callable[[bytes], bytes]) -> Path:
    path.write_bytes(change(path.read_bytes()))
    return path


def _labels_read(expected: dict[str, str]) -> Callable[[Path], None]:
    """A check: the run's record scored these (key -> label) exactly, nothing skipped."""
    def check(folder: Path) -> None:
        import gzip

        record = record_of(folder)
        rows = [json.loads(line) for line in gzip.open(folder / "results" / record["predictions"]["file"], "rt")]
        assert not any("skip" in row for row in rows), rows
        got = {row["key"]: row["label"] for row in rows}
        assert got == expected, got

    return check


GOOD_LABELS = {f"images/good{i}.png": f"word{i}" for i in range(1, 4)}


def _utf16_folder(folder: Path, big_endian: bool) -> list[str]:
    """The suite folder's gt.txt re-saved as UTF-16 with a byte-order mark (and a non-ASCII label)."""
    import codecs

    gt = folder_set(folder / "data", ["images/x.png\twörd".encode()], {"x.png": good_image(6)}) / "gt.txt"
    bom, codec = (codecs.BOM_UTF16_BE, "utf-16-be") if big_endian else (codecs.BOM_UTF16_LE, "utf-16-le")
    _rewrite(gt, lambda data: bom + data.decode("utf-8").encode(codec))
    return run_args(folder)


LABEL_CASES = [
    _skip_case("label_with_a_second_tab", [b"images/x.png\tentrance\texit"], {"x.png": good_image(6)},
               "label 'entrance\\texit' holds a tab (U+0009)", extra=("second tab",)),
    _skip_case("label_with_nul", [b"images/x.png\tok\x00x"], {"x.png": good_image(6)}, "holds a NUL (U+0000)"),
    _skip_case("label_with_escape_sequence", [b"images/x.png\tred\x1b[31m"], {"x.png": good_image(6)},
               "holds an escape (U+001B)"),
    _skip_case("label_with_lone_carriage_return", [b"images/x.png\tab\rcd"], {"x.png": good_image(6)},
               "holds a carriage return (U+000D)"),
    _skip_case("label_with_c1_next_line", ["images/x.png\tab\u0085cd".encode()], {"x.png": good_image(6)},
               "control character (U+0085)"),
    Case("label_file_utf16_le_with_bom", "handled", lambda f: _utf16_folder(f, big_endian=False),
         ("IIIT5k_3000",), check=_labels_read({**GOOD_LABELS, "images/x.png": "wörd"})),
    Case("label_file_utf16_be_with_bom", "handled", lambda f: _utf16_folder(f, big_endian=True),
         ("IIIT5k_3000",), check=_labels_read({**GOOD_LABELS, "images/x.png": "wörd"})),
    Case("label_file_utf16_without_bom", "error",
         lambda f: (_rewrite(folder_set(f / "data", [], {}) / "gt.txt", lambda d: d.decode().encode("utf-16-le")),
                    run_args(f))[1], ("gt.txt looks like UTF-16 without a byte-order mark", "re-save it as UTF-8")),
    Case("label_file_bom_and_crlf", "handled",
         lambda f: (_rewrite(folder_set(f / "data", [], {}) / "gt.txt",
                             lambda d: b"\xef\xbb\xbf" + d.replace(b"\n", b"\r\n")), run_args(f))[1],
         ("IIIT5k_3000",), check=_labels_read(GOOD_LABELS)),
    Case("label_file_cr_only_line_endings", "handled",
         lambda f: (_rewrite(folder_set(f / "data", [], {}) / "gt.txt", lambda d: d.replace(b"\n", b"\r")),
                    run_args(f))[1], ("IIIT5k_3000",), check=_labels_read(GOOD_LABELS)),
    Case("icdar_gt_in_utf16_with_bom", "handled",
         lambda f: dataset_args(f, icdar_set(f, 'bad.png, "wörd"', encoding="utf-16")), ("icdar",),
         check=_labels_read({"good1.png": "word1", "good2.png": "word2", "good3.png": "word3", "bad.png": "wörd"})),
    Case("icdar_label_with_a_tab", "skip", lambda f: dataset_args(f, icdar_set(f, 'bad.png, "a\tb"')),
         ("1 sample(s) skipped",), skipped=1, skip_reason="label 'a\\tb' holds a tab (U+0009)"),
    Case("mmocr_jsonl_text_null", "skip", lambda f: dataset_args(f, jsonl_set(f, {"text": None})),
         ("1 sample(s) skipped",), skipped=1, skip_reason="'text' is null, not a string"),
    Case("mmocr_jsonl_text_a_number", "skip", lambda f: dataset_args(f, jsonl_set(f, {"text": 123})),
         ("1 sample(s) skipped",), skipped=1, skip_reason="'text' is a number (123), not a string"),
    Case("mmocr_jsonl_text_with_a_tab", "skip", lambda f: dataset_args(f, jsonl_set(f, {"text": "a\tb"})),
         ("1 sample(s) skipped",), skipped=1, skip_reason="holds a tab (U+0009)"),
    Case("mmocr_json_instance_text_null", "skip", lambda f: dataset_args(f, json_set(f, None)),
         ("1 sample(s) skipped",), skipped=1, skip_reason="'text' is null, not a string"),
    Case("mmocr_jsonl_null_text_not_in_inspect_charset", "handled",
         lambda f: ["data", "inspect", str(jsonl_set(f, {"text": None}))],
         ("'text' is null", "charset: '123dorw'")),
    Case("lmdb_label_with_a_line_feed", "skip",
         lambda f: (lmdb_set(f / "data", {**clovaai(4), b"label-000000004": b"two\nlines"}), run_args(f))[1],
         ("1 sample(s) skipped",), skipped=1, skip_reason="holds a line feed (U+000A)"),
    Case("lmdb_label_with_a_tab_validate", "handled",
         lambda f: ["data", "validate", str(lmdb_set(f / "data", {**clovaai(3), b"label-000000002": b"a\tb"}))],
         ("000000002", "holds a tab (U+0009)", "1 problem(s)"), exit_code=1),
]


# -- format detection -----------------------------------------------------------------------------


def _blob(folder: Path, name: str = "blob.dat") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    return folder / name


def _mmocr_list(folder: Path) -> Path:
    """mmocr 0.x 'path label' lines in a file whose name no format recognises (``words.list``)."""
    names = good_images(folder / "set" / "images")
    path = folder / "set" / "words.list"
    path.write_text("".join(f"images/{n} word{i}\n" for i, n in enumerate(names, start=1)), encoding="utf-8")
    return path


def _paddle_first_missing(folder: Path) -> Path:
    """PaddleOCR layout (labels/ beside test/ below the data dir) whose first listed image is missing."""
    data_dir = folder / "train_data" / "rec"
    names = good_images(data_dir / "test")
    label_file = data_dir / "labels" / "rec_gt_test.txt"
    label_file.parent.mkdir(parents=True)
    lines = ["test/gone.png\tgone"] + [f"test/{n}\tword{i}" for i, n in enumerate(names, start=1)]
    label_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return label_file


NO_FORMAT = "not a dataset in any known format"

DETECTION_CASES = [
    Case("dataset_random_binary_file", "error", lambda f: dataset_args(f, _blob(f)),
         (NO_FORMAT, "blob.dat", "--format")),
    Case("dataset_json_that_is_no_annotation", "error",
         lambda f: (f.mkdir(parents=True, exist_ok=True), (f / "meta.json").write_text('{"foo": 1}\n'),
                    dataset_args(f, f / "meta.json"))[2], (NO_FORMAT, "meta.json")),
    Case("validate_random_binary_file", "error", lambda f: ["data", "validate", str(_blob(f))], (NO_FORMAT,)),
    Case("validate_mmocr_jsonl_in_its_own_format", "handled",
         lambda f: ["data", "validate", str(jsonl_set(f, {"text": "word4"}))],
         ("(mmocr-jsonl): 4 samples checked", "clean")),
    Case("validate_undetectable_file", "error", lambda f: ["data", "validate", str(_mmocr_list(f))],
         (NO_FORMAT, "force one with --format NAME")),
    Case("validate_format_forced", "handled",
         lambda f: ["data", "validate", str(_mmocr_list(f)), "--format", "mmocr-txt"],
         ("(mmocr-txt): 3 samples checked", "clean")),
    Case("inspect_format_forced", "handled",
         lambda f: ["data", "inspect", str(_mmocr_list(f)), "--format", "mmocr-txt", "--json"], ('"samples": 3',)),
    Case("validate_unknown_format_name", "error",
         lambda f: ["data", "validate", str(_mmocr_list(f)), "--format", "nope"],
         ("unknown --format 'nope'", "mmocr-txt")),
    Case("paddle_root_found_although_the_first_image_is_missing", "skip",
         lambda f: dataset_args(f, _paddle_first_missing(f)), ("1 sample(s) skipped",), skipped=1,
         skip_reason="image file missing"),
]


# -- dataset confinement --------------------------------------------------------------------------


def _outside_image(folder: Path) -> Path:
    """An image outside the suite folder (next to it, in ``data/``)."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "outside.png").write_bytes(good_image(7))
    return folder / "data" / "outside.png"


def _loop(folder: Path) -> list[str]:
    root = folder_set(folder / "data", [b"images/loop.png\tloop"], {})
    (root / "images" / "loop.png").symlink_to("loop.png")
    return run_args(folder)


def _lmdb_tree_loop(folder: Path) -> list[str]:
    root = folder / "tree"
    lmdb_set(root / "test", clovaai(3))
    (root / "test" / "again").symlink_to(root, target_is_directory=True)  # a loop back to the root
    return dataset_args(folder, root)


def _one_dataset(folder: Path) -> None:
    names = [d["name"] for d in record_of(folder)["datasets"]]
    assert names == ["tree/test/IIIT5k_3000"], names


def _split_file(folder: Path, edit: bool) -> list[str]:
    """A label file listing images of another folder by ``../`` paths, with a split.json recording
    its SHA-256 (as 'strbench data holdout' writes them); ``edit`` changes it afterwards."""
    import hashlib

    names = good_images(folder / "crops" / "images")
    out = folder / "split"
    data = "".join(f"../crops/images/{n}\tword{i}\n" for i, n in enumerate(names, start=1)).encode()
    (folder / "split").mkdir()
    (out / "split.json").write_text(json.dumps({"kind": "strbench holdout split", "outputs": {
        "train.txt": {"samples": 3, "sha256": hashlib.sha256(data).hexdigest()}}}), encoding="utf-8")
    if edit:  # three images of its own folder and one of the source folder: no longer what was written
        own = good_images(out / "images")
        data = "".join(f"images/{n}\tword{i}\n" for i, n in enumerate(own, start=1)).encode()
        data += f"../crops/images/{names[0]}\tadded\n".encode()
    (out / "train.txt").write_bytes(data)
    return dataset_args(folder, out / "train.txt")


def _rooted_escape(folder: Path) -> list[str]:
    data_dir = folder / "pp"
    names = good_images(data_dir / "test")
    _outside_image(folder)
    label_file = data_dir / "labels" / "rec_gt_test.txt"
    label_file.parent.mkdir(parents=True)
    lines = [f"test/{n}\tword{i}" for i, n in enumerate(names, start=1)] + ["../data/outside.png\tescape"]
    label_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dataset_args(folder, label_file, "--dataset-root", str(data_dir))


LEAVES = "leaves the dataset root"

CONFINEMENT_CASES = [
    Case("image_path_leaves_the_root", "skip",
         lambda f: (_outside_image(f), folder_set(f / "data", [b"../outside.png\tout"], {}), run_args(f))[2],
         ("1 sample(s) skipped",), skipped=1, skip_reason=f"image path '../outside.png' {LEAVES}"),
    Case("image_path_absolute", "skip",
         lambda f: (folder_set(f / "data", [f"{_outside_image(f)}\tabs".encode()], {}), run_args(f))[1],
         ("1 sample(s) skipped",), skipped=1, skip_reason="absolute image path"),
    Case("image_path_leaves_the_dataset_root_option", "skip", _rooted_escape, ("1 sample(s) skipped",),
         skipped=1, skip_reason=LEAVES),
    Case("icdar_image_path_absolute", "skip",
         lambda f: dataset_args(f, icdar_set(f, f'{_outside_image(f)}, "abs"')), ("1 sample(s) skipped",),
         skipped=1, skip_reason="absolute image path"),
    Case("image_symlink_loop", "skip", _loop, ("1 sample(s) skipped",), skipped=1,
         skip_reason="is a symbolic-link loop"),
    Case("lmdb_tree_symlink_loop_read_once", "handled", _lmdb_tree_loop,
         ("1 folder(s) skipped: symbolic links to folders already read",), check=_one_dataset),
    Case("holdout_split_label_file_reads_its_sources", "handled", lambda f: _split_file(f, edit=False),
         ("train (custom",), check=_labels_read({f"../crops/images/good{i}.png": f"word{i}" for i in range(1, 4)})),
    Case("edited_holdout_split_label_file_is_confined", "skip", lambda f: _split_file(f, edit=True),
         ("1 sample(s) skipped",), skipped=1, skip_reason="no longer matches the checksum in split.json"),
]


# -- output locations of the writing commands, checked before any work ------------------------------


def _report_twice(folder: Path) -> list[str]:
    """A report already written to ``folder/site``; the same command again, without --overwrite."""
    from strbench.cli.main import main

    args = ["report", "--results-dir", str(_good_run(folder).parent), "-o", str(folder / "site"),
            "--include-synthetic", "--gallery-size", "0"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["-q", *args]) == 0
    return args


def _nonempty(folder: Path) -> Path:
    _file_at(folder / "busy", "notes.txt")
    return folder / "busy"


def _convert(folder: Path, dest: Path) -> list[str]:
    folder_set(folder / "data", [], {})
    return ["data", "convert", str(folder / "data" / "IIIT5K_3000"), str(dest)]


def _nothing_partial(folder: Path) -> None:
    left = [str(p) for p in folder.rglob("*.partial")]
    assert not left, f"half-written output left: {left}"


def _busy_untouched(folder: Path) -> None:
    assert sorted(p.name for p in (folder / "busy").iterdir()) == ["notes.txt"]
    _nothing_partial(folder)


def _nothing_exported(folder: Path) -> None:
    assert not (folder / "m.onnx").exists(), "a model was exported without its check"


SYNTH = ("data", "synth")

WRITER_CASES = [
    Case("convert_dest_below_a_file", "error", lambda f: _convert(f, _file_at(f) / "db"),
         ("DEST", "which is a file, not a folder"), check=_nothing_partial),
    Case("convert_dest_not_writable", "error", lambda f: _convert(f, Path("/proc/strbench-db")),
         ("DEST /proc/strbench-db is not writable",)),
    Case("convert_dest_non_empty_folder", "error", lambda f: _convert(f, _nonempty(f)),
         ("DEST", "is a non-empty folder that does not hold an LMDB", "notes.txt"), check=_busy_untouched),
    Case("synth_out_below_a_file", "error", lambda f: [*SYNTH, str(_file_at(f) / "s"), "--count", "10"],
         ("OUT", "which is a file, not a folder"), check=_nothing_partial),
    Case("synth_out_not_writable", "error", lambda f: [*SYNTH, "/proc/strbench-synth", "--count", "10"],
         ("OUT /proc/strbench-synth is not writable",)),
    Case("synth_out_non_empty_folder", "error", lambda f: [*SYNTH, str(_nonempty(f)), "--count", "10"],
         ("is a non-empty folder that does not hold an LMDB",), check=_busy_untouched),
    Case("synth_count_larger_than_the_disk", "error",
         lambda f: [*SYNTH, str(f / "huge"), "--count", str(10**13), "--format", "png"],
         ("--count 10,000,000,000,000 images", "at least 448 bytes each", "are free on its disk",
          "lower the count or free space"), check=_nothing_partial),
    Case("export_check_data_unreadable", "error",
         lambda f: (folder_set(f / "data", [b"images/gone.png\tgone"], {}, good=0),
                    ["-p", "strbench_rare.plugin", "export", "--plugin", "rare", "-o", str(f / "m.onnx"),
                     "--check-data", str(f / "data" / "IIIT5K_3000")])[1],
         ("--check-data", "none of its first 1 samples can be read", "image file missing", "nothing was exported"),
         check=_nothing_exported),
    Case("export_check_data_random_file", "error",
         lambda f: ["-p", "strbench_rare.plugin", "export", "--plugin", "rare", "-o", str(f / "m.onnx"),
                    "--check-data", str(_blob(f))], (NO_FORMAT,)),
]


def _holdout_source(folder: Path) -> Path:
    return folder_set(folder / "data", [], {})


HOLDOUT_CASES = [
    Case("holdout_out_is_a_file", "error",
         lambda f: ["data", "holdout", str(_holdout_source(f)), "--out", str(_file_at(f))],
         ("--out", "is a file, not a folder")),
    Case("holdout_out_not_writable", "error",
         lambda f: ["data", "holdout", str(_holdout_source(f)), "--out", "/proc/strbench-split"],
         ("--out /proc/strbench-split is not writable",)),
    Case("holdout_out_non_empty_folder", "error",
         lambda f: ["data", "holdout", str(_holdout_source(f)), "--out", str(_nonempty(f))],
         ("is a non-empty folder that does not hold a holdout split",), check=_busy_untouched),
    Case("report_output_is_a_file", "error",
         lambda f: ["report", "--results-dir", str(_good_run(f).parent), "-o", str(_file_at(f))],
         ("--output", "is a file, not a folder")),
    Case("report_output_below_a_file", "error",
         lambda f: ["report", "--results-dir", str(_good_run(f).parent), "-o", str(_file_at(f) / "site")],
         ("--output", "which is a file, not a folder")),
    Case("report_output_non_empty_folder", "error",
         lambda f: ["report", "--results-dir", str(_good_run(f).parent), "-o", str(_nonempty(f))],
         ("is a non-empty folder that does not hold a strbench report", "notes.txt"), check=_busy_untouched),
    Case("report_output_holds_a_report", "error", _report_twice,
         ("already holds a strbench report", "--overwrite")),
    Case("errors_html_is_a_file", "error",
         lambda f: ["errors", str(_good_run(f)), "--html", str(_file_at(f))], ("--html", "is a file, not a folder")),
    Case("errors_html_non_empty_folder", "error",
         lambda f: ["errors", str(_good_run(f)), "--html", str(_nonempty(f))],
         ("is a non-empty folder that does not hold an error gallery",), check=_busy_untouched),
]



# -- reading anything -----------------------------------------------------------------------------


def _onnx_model(folder: Path, name: str, cut: float | None = None) -> Path:
    """A small valid ONNX model (one Identity node; not a text recognizer), or its first ``cut`` part."""
    from onnx import TensorProto, helper

    tensor = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [tensor("x", TensorProto.FLOAT, [None])], [tensor("y", TensorProto.FLOAT, [None])])
    data = helper.make_model(graph).SerializeToString()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if cut is None else data[: int(len(data) * cut)])
    return folder / name


PPOCR = ("-p", "strbench_ppocr_onnx.plugin", "run", "--plugin", "ppocr-onnx", "--limit", "3", "--workers", "0")
NOT_ONNX = "is not a usable ONNX model"


def _predictions_file(folder: Path) -> list[str]:
    record = _good_run(folder)
    predictions = record.parent / json.loads(record.read_text(encoding="utf-8"))["predictions"]["file"]
    return ["rescore", str(predictions), "--protocol", "cased62"]


READ_CASES = [
    Case("rescore_given_a_predictions_file", "error", _predictions_file,
         ("is a predictions file, not a record", "give its record")),
    Case("rescore_given_random_bytes", "error",
         lambda f: ["rescore", str(_blob(f, "r.json")), "--protocol", "cased62"],
         ("cannot read record", "r.json", "not UTF-8 text")),
    Case("lmdb_num_samples_negative", "error",
         lambda f: (lmdb_set(f / "data", clovaai(3, num=b"-3")), run_args(f))[1],
         ("'num-samples' is -3, a negative count", "rebuild the LMDB")),
    Case("lmdb_num_samples_negative_validate", "handled",
         lambda f: ["data", "validate", str(lmdb_set(f / "data", clovaai(3, num=b"-3")))],
         ("num-samples", "is a negative count"), exit_code=1),
    Case("lmdb_num_samples_not_a_number_inspect", "error",
         lambda f: ["data", "inspect", str(lmdb_set(f / "data", clovaai(3, num=b"3.5")))],
         ("'num-samples' is b'3.5', not an integer",)),
    Case("onnx_weights_random_bytes", "error",
         lambda f: [*PPOCR, "--weights", str(_blob(f, "m.onnx")), "--results-dir", str(f / "r")],
         ("m.onnx", NOT_ONNX, "DecodeError")),
    Case("onnx_weights_truncated", "error",
         lambda f: [*PPOCR, "--weights", str(_onnx_model(f, "cut.onnx", 0.5)), "--results-dir", str(f / "r")],
         ("cut.onnx", NOT_ONNX)),
    Case("onnx_weights_empty_file", "error",
         lambda f: [*PPOCR, "--weights", str(_onnx_model(f, "empty.onnx", 0.0)), "--results-dir", str(f / "r")],
         ("empty.onnx", NOT_ONNX, "0 bytes")),
    Case("onnx_weights_of_another_model", "error",
         lambda f: [*PPOCR, "--weights", str(_onnx_model(f, "other.onnx")), "--results-dir", str(f / "r")],
         ("other.onnx is an ONNX model but not a PP-OCR recognition model",)),
    Case("onnx_file_as_torch_weights", "error",
         lambda f: ["-p", "strbench_rare.plugin", "run", "--plugin", "rare", "--weights",
                    str(_onnx_model(f, "model.onnx")), "--limit", "3", "--workers", "0", "--results-dir",
                    str(f / "r")], ("is an ONNX model, not a weights file", "--backend onnx --onnx-model")),
]


# -- compare and aggregate: each predictions file checked, each run counted once -----------------


def _compare_two(folder: Path, damage: str) -> list[str]:
    """Two finished runs; record B's predictions file edited, replaced by A's, or missing."""
    import gzip

    first = _good_run(folder / "a")
    second = _good_run(folder / "b", first=20)
    pred = second.parent / json.loads(second.read_text(encoding="utf-8"))["predictions"]["file"]
    if damage == "edited":
        rows = [json.loads(line) for line in gzip.open(pred, "rt")]
        rows[0]["prediction"] = "tampered"
        pred.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    elif damage == "other":
        shutil.copy(first.parent / json.loads(first.read_text(encoding="utf-8"))["predictions"]["file"], pred)
    else:
        pred.unlink()
    return ["compare", str(first), str(second)]


def _aggregate(folder: Path, copies: int, distinct: bool) -> list[str]:
    """A run (and with ``distinct`` a second one) whose record is copied ``copies`` times under other names."""
    path = _good_run(folder)
    for i in range(copies):
        shutil.copy(path, path.with_name(f"copy{i}-{path.name}"))
    if distinct:
        other = _good_run(folder / "second", first=20)
        for item in other.parent.iterdir():
            shutil.move(str(item), str(folder / "results" / item.name))
    return ["leaderboard", "--results-dir", str(folder / "results"), "--include-synthetic", "--include-untrained",
            "--aggregate", "--format", "csv", "-o", str(folder / "board.csv")]


def _runs_column(expected: int | None) -> Callable[[Path], None]:
    def check(folder: Path) -> None:
        import csv

        rows = list(csv.DictReader((folder / "board.csv").open(encoding="utf-8")))
        assert len(rows) == 1, rows
        assert rows[0].get("runs") == (None if expected is None else str(expected)), rows[0]

    return check


AGGREGATE_CASES = [
    Case("compare_predictions_edited", "error", lambda f: _compare_two(f, "edited"),
         ("does not match", "sha256", "restore the predictions written with this record")),
    Case("compare_predictions_of_another_run", "error", lambda f: _compare_two(f, "other"),
         ("does not match", "sha256")),
    Case("compare_predictions_missing", "error", lambda f: _compare_two(f, "missing"),
         ("predictions file", "is missing", "restore it")),
    Case("aggregate_record_copied_under_another_name", "handled", lambda f: _aggregate(f, 1, distinct=False),
         check=_runs_column(None)),
    Case("aggregate_record_copied_twice_beside_another_run", "handled", lambda f: _aggregate(f, 2, distinct=True),
         check=_runs_column(2)),
]


# -- int8 calibration data, checked before any export ---------------------------------------------


def _int8(folder: Path, calibration: Path, *extra: str) -> list[str]:
    folder_set(folder / "data", [], {})
    return run_args(folder, "--backend", "onnx", "--precision", "int8", "--calibration-data", str(calibration), *extra)


def _test_set_copy(folder: Path) -> Path:
    """The benchmark set's images and labels under a training-sounding name, outside --data-root."""
    src = folder_set(folder / "data", [], {})
    dest = folder / "my_training_crops"
    shutil.copytree(src, dest)
    return dest


CALIBRATION_FIX = "calibrate on training crops, or pass --allow-test-calibration"

CALIBRATION_CASES = [
    Case("int8_calibration_on_a_renamed_copy_of_the_test_set", "error",
         lambda f: _int8(f, _test_set_copy(f)), ("3 of its 3 calibration samples are benchmark test samples",
                                                 "IIIT5k_3000", CALIBRATION_FIX)),
    Case("int8_calibration_on_the_test_set_as_an_lmdb", "error",
         lambda f: _int8(f, lmdb_set(f / "elsewhere", clovaai(3))), ("benchmark test samples", CALIBRATION_FIX)),
    Case("int8_calibration_on_the_test_set_itself", "error",
         lambda f: _int8(f, f / "data" / "IIIT5K_3000"), ("3 of its 3 calibration samples", CALIBRATION_FIX)),
    Case("int8_calibration_data_not_a_dataset", "error", lambda f: _int8(f, _blob(f)),
         ("--calibration-data", "is not a dataset", "give a dataset of training crops")),
    Case("int8_calibration_data_without_a_readable_image", "error",
         lambda f: _int8(f, folder_set(f / "calib", [b"images/bad.png\tword"], {"bad.png": b"not a png"}, good=0)),
         ("--calibration-data", "none of its 1 calibration samples is a readable image", "bad.png")),
]


# -- training ---------------------------------------------------------------------------------------


def _train_args(data: Path, out: Path, *sets: str) -> list[str]:
    settings = ["batch_size=1", "device=cpu", "amp=off", "workers=0", "log_every=0", "save_every_minutes=0", *sets]
    return ["-p", "strbench_rare.plugin", "train", "--plugin", "rare", "--variant", "mv3", "--train-data", str(data),
            "--output-dir", str(out), *[a for s in settings for a in ("--set", s)]]


def _train_set(folder: Path, lines: list[bytes], images: dict[str, bytes], good: int = 3) -> Path:
    return folder_set(folder / "train", lines, images, good=good)


def _no_weights(folder: Path) -> None:
    assert not list((folder / "out").glob("*.safetensors")) and not (folder / "out" / "last.ckpt").exists()


BAD_PNG = {"bad.png": b"not a png"}


def _resume(folder: Path, strip: bool) -> list[str]:
    """A finished 3-step run (``--set max_steps=3``), resumed without that override; ``strip``: its
    checkpoint made like one written before overrides were stored."""
    from strbench.cli.main import main

    data = _train_set(folder, [], {})
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["-q", *_train_args(data, folder / "out", "epochs=50", "max_steps=3")])
    assert code == 0, "the first training run failed"
    checkpoint = folder / "out" / "last.ckpt"
    if strip:
        import torch

        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        for key in ("overrides", "label_policy"):
            state["config"].pop(key, None)
        state.pop("skipped_samples", None)
        torch.save(state, checkpoint)
    again = ("epochs=50", "max_steps=4") if strip else ("epochs=50",)  # the stripped run's steps given again
    return [*_train_args(data, folder / "out", *again), "--resume", str(checkpoint)]


TRAIN = "training samples"
TRAIN_CASES = [
    Case("train_no_readable_image", "error",
         lambda f: _train_args(_train_set(f, [b"images/bad.png\tword"], BAD_PNG, good=0), f / "out"),
         ("no usable training sample", "1 unreadable training samples", "no weights were written"),
         check=_no_weights),
    Case("train_every_label_outside_the_charset", "error",
         lambda f: _train_args(_train_set(f, ["images/j.png\t日本".encode()], {"j.png": good_image(4)}, good=0),
                               f / "out"),
         ("no usable training sample", "outside the algorithm's charset", "'日本'"), check=_no_weights),
    Case("train_label_outside_the_charset_skipped_not_truncated", "handled",
         lambda f: _train_args(_train_set(f, ["images/c.png\tcafé".encode()], {"c.png": good_image(4)}), f / "out",
                               "epochs=3"),
         ("1 training samples had labels with characters outside the algorithm's charset", "'café'",
          "label_policy=drop-chars")),
    Case("train_label_policy_drop_chars_is_reported", "handled",
         lambda f: _train_args(_train_set(f, ["images/c.png\tcafé".encode()], {"c.png": good_image(4)}), f / "out",
                               "epochs=2", "label_policy=drop-chars"),
         ("1 training samples were trained with the characters outside the algorithm's charset removed",)),
    Case("train_label_policy_unknown", "error",
         lambda f: _train_args(_train_set(f, [], {}), f / "out", "label_policy=ignore"),
         ("training setting label_policy='ignore' is not one of: skip, drop-chars",)),
    Case("train_unreadable_count_not_multiplied_by_epochs", "handled",
         lambda f: _train_args(_train_set(f, [b"images/bad.png\tword"], BAD_PNG), f / "out", "epochs=3"),
         ("1 unreadable training samples were skipped",)),
    Case("train_unreadable_count_not_multiplied_by_repeats", "handled",
         lambda f: _train_args(_train_set(f, [b"images/bad.png\tword"], BAD_PNG), f / "out", "epochs=2",
                               "train_data_repeat=3"),
         ("1 unreadable training samples were skipped",)),
    Case("train_resume_keeps_the_set_overrides", "handled", lambda f: _resume(f, strip=False),
         ("trained 3 steps",)),
    Case("train_resume_of_a_checkpoint_without_stored_overrides", "handled", lambda f: _resume(f, strip=True),
         ("does not record the --set overrides of its run", "label_policy=drop-chars", "trained 4 steps")),
]

CASES: list[Case] = [*LMDB_CASES, *MODE_CASES, *SKIP_CASES, *OPTION_CASES, *OUTPUT_CASES, *RECORD_CASES,
                     *WRITE_CASES, *LABEL_CASES, *DETECTION_CASES, *CONFINEMENT_CASES, *WRITER_CASES, *HOLDOUT_CASES,
                     *READ_CASES, *AGGREGATE_CASES, *CALIBRATION_CASES, *TRAIN_CASES]


def main(argv: list[str]) -> int:
    """Write every case below ``argv[0]`` and print its command line and expected outcome."""
    if len(argv) != 1:
        print("usage: python tests/bad_inputs/generate.py OUT_FOLDER", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
    out = Path(argv[0])
    for case in CASES:
        folder = out / case.name
        folder.mkdir(parents=True, exist_ok=True)
        args = case.build(folder)
        expected = case.outcome + (f" ({case.skipped} skipped: {case.skip_reason})" if case.outcome == "skip" else "")
        print(f"{case.name}\t{expected}\tstrbench {' '.join(args)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
