"""A deterministic held-out validation split of labelled training crops.

Every checkpoint, schedule and recipe choice is made on a held-out part of the *training* data,
never on a benchmark test set. Whether a sample is held out depends only on the name of its source
and the image path its label file gives, through a hash, so the split is the same in any order, on
any machine and under any Python hash seed, and a sample keeps its side when other lines are added
or removed:

    bucket    = int.from_bytes(sha256(f"{source}/{path}".encode("utf-8")).digest()[:8], "big") % 10000
    held out  = bucket < round(percent * 100)

``source`` is the name of the folder holding the label file (``IIIT5K_train_2000``), followed by
``/`` and the label file's stem when the file is not one of the usual names (``gt.txt``,
``labels.txt``, ...); ``path`` is the image path as its line writes it, in POSIX form with ``./``
components removed (``images/1.png``).

:func:`write_holdout` writes ``train.txt`` and ``heldout.txt`` (``path<TAB>label`` lines whose
image paths are relative to the output folder, so the folder loader resolves them) and
``split.json``, which records the rule, the per-source counts and the SHA-256 of every input and
output file. ``strbench data holdout SRC... --out DIR`` runs it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from strbench.data.folder import LABEL_FILE_NAMES, find_label_file, parse_label_file
from strbench.errors import DataError, UsageError

DEFAULT_PERCENT = 10.0
BUCKETS = 10_000
RULE_VERSION = 1
OUTPUT_NAMES = ("train.txt", "heldout.txt")
SPLIT_FILE = "split.json"
RULE_TEXT = ("held out iff int.from_bytes(sha256('<source>/<image path>'.encode('utf-8')).digest()[:8], 'big') "
             "% 10000 < round(percent * 100)")


def threshold(percent: float) -> int:
    """The number of the 10,000 buckets held out for ``percent`` (0 < percent < 100, two decimals)."""
    buckets = round(percent * BUCKETS / 100)
    if not 0 < percent < 100 or not 0 < buckets < BUCKETS or abs(buckets - percent * BUCKETS / 100) > 1e-6:
        raise UsageError(f"--percent must be above 0 and below 100 in steps of 0.01, got {percent:g}")
    return buckets


def sample_key(source: str, path: str) -> str:
    """The string hashed for one sample: ``<source>/<normalised image path>``."""
    return f"{source}/{normalise_path(path)}"


def normalise_path(path: str) -> str:
    """An image path as hashed: stripped, backslashes as slashes, ``./`` components dropped."""
    return PurePosixPath(path.strip().replace("\\", "/")).as_posix()


def bucket(source: str, path: str) -> int:
    """The sample's bucket in ``0..9999`` (first 8 bytes of the key's SHA-256, big-endian, mod 10,000)."""
    digest = hashlib.sha256(sample_key(source, path).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def is_held_out(source: str, path: str, percent: float = DEFAULT_PERCENT) -> bool:
    """Whether the image ``path`` of the source named ``source`` belongs to the held-out split."""
    return bucket(source, path) < threshold(percent)


def source_name(label_file: Path) -> str:
    """The name a source is hashed under: its folder's name, plus ``/<stem>`` for an unusual label file name."""
    folder = Path(os.path.abspath(label_file)).parent.name  # symbolic links keep their own name
    return folder if label_file.name in LABEL_FILE_NAMES else f"{folder}/{label_file.stem}"


@dataclass(frozen=True)
class Sample:
    """One labelled crop of a source: the path as its label file writes it, the resolved image, the label."""

    path: str
    image: Path
    label: str


@dataclass
class SourceSplit:
    """One source split in two: its samples on each side, in label-file order."""

    name: str
    label_file: Path
    sha256: str
    train: list[Sample] = field(default_factory=list)
    heldout: list[Sample] = field(default_factory=list)

    @property
    def samples(self) -> int:
        return len(self.train) + len(self.heldout)


@dataclass(frozen=True)
class HoldoutReport:
    """What :func:`write_holdout` wrote."""

    out: Path
    percent: float
    sources: list[SourceSplit]
    files: dict[str, str]  # output name -> SHA-256

    @property
    def train(self) -> int:
        return sum(len(s.train) for s in self.sources)

    @property
    def heldout(self) -> int:
        return sum(len(s.heldout) for s in self.sources)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_source(src: Path, percent: float = DEFAULT_PERCENT) -> SourceSplit:
    """Read one source (a folder holding ``gt.txt`` or a label file) and split it.

    Raises :class:`UsageError` when there is no label file and :class:`DataError` naming the file, the
    line and the fix for a line that cannot be used (not UTF-8, no tab, empty label, duplicate
    image) or an image that does not exist: a split must list every crop exactly once."""
    if not src.exists():
        raise UsageError(f"holdout source {src} not found; give a folder holding gt.txt or a 'path<TAB>label' file")
    label_file = find_label_file(src)
    if label_file is None:
        raise UsageError(f"holdout source {src}: no label file ({', '.join(LABEL_FILE_NAMES)}) in it; give a "
                         f"folder holding gt.txt or a 'path<TAB>label' file")
    cut = threshold(percent)
    split = SourceSplit(source_name(label_file), label_file, _sha256(label_file))
    for entry in parse_label_file(label_file):
        if entry.problem:
            raise DataError(f"{label_file}:{entry.line}: {entry.problem}")
        assert entry.path is not None  # a line without a problem names an image
        if not entry.path.is_file():
            raise DataError(f"{label_file}:{entry.line}: image {entry.path} not found; restore it or remove "
                            f"the line")
        sample = Sample(normalise_path(entry.key), entry.path.resolve(), entry.label)
        (split.heldout if bucket(split.name, sample.path) < cut else split.train).append(sample)
    if not split.samples:
        raise DataError(f"{label_file}: no samples; a holdout source needs 'path<TAB>label' lines")
    return split


def _relative(image: Path, out: Path) -> str:
    """``image`` relative to the folder ``out`` (absolute when no relative path exists)."""
    try:
        return Path(os.path.relpath(image, out)).as_posix()
    except ValueError:  # another drive on Windows
        return image.as_posix()


def split_json(report: HoldoutReport) -> dict[str, Any]:
    """The description written to ``split.json``."""
    return {
        "kind": "strbench holdout split",
        "rule": {"version": RULE_VERSION, "hash": "sha256", "key": "<source>/<image path>",
                 "bucket": f"first 8 bytes of the digest, big-endian, mod {BUCKETS}",
                 "held_out_buckets": threshold(report.percent), "buckets": BUCKETS,
                 "percent": report.percent, "fraction": report.percent / 100, "text": RULE_TEXT},
        "use": "every checkpoint, schedule and recipe choice is made on heldout.txt; benchmark test sets are "
               "never consulted for it",
        "sources": [{"name": s.name, "label_file": str(s.label_file), "label_file_sha256": s.sha256,
                     "samples": s.samples, "train": len(s.train), "heldout": len(s.heldout)}
                    for s in report.sources],
        "total": {"samples": report.train + report.heldout, "train": report.train, "heldout": report.heldout},
        "outputs": {name: {"samples": report.train if name == "train.txt" else report.heldout, "sha256": digest}
                    for name, digest in report.files.items()},
    }


def write_holdout(sources: Sequence[Path], out: Path, percent: float = DEFAULT_PERCENT, *,
                  overwrite: bool = False) -> HoldoutReport:
    """Split ``sources`` and write ``out/train.txt``, ``out/heldout.txt`` and ``out/split.json``."""
    threshold(percent)
    if not sources:
        raise UsageError("give at least one holdout source (a folder holding gt.txt)")
    existing = [out / name for name in (*OUTPUT_NAMES, SPLIT_FILE) if (out / name).exists()]
    if existing and not overwrite:
        raise UsageError(f"{existing[0]} already exists; pass --overwrite to replace the split in {out}")
    splits = [read_source(src, percent) for src in sources]
    names: dict[str, Path] = {}
    for split in splits:
        if split.name in names:
            raise UsageError(f"two holdout sources share the name {split.name!r} ({names[split.name]} and "
                             f"{split.label_file}); the name is part of the hash, so give each source its own folder")
        names[split.name] = split.label_file
    out.mkdir(parents=True, exist_ok=True)
    root = out.resolve()
    files: dict[str, str] = {}
    for name in OUTPUT_NAMES:
        lines = [f"{_relative(s.image, root)}\t{s.label}\n" for split in splits
                 for s in (split.train if name == "train.txt" else split.heldout)]
        data = "".join(lines).encode("utf-8")
        (out / name).write_bytes(data)
        files[name] = hashlib.sha256(data).hexdigest()
    report = HoldoutReport(out, percent, splits, files)
    (out / SPLIT_FILE).write_text(json.dumps(split_json(report), indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    return report
