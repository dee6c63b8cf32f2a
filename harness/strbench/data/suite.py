"""Benchmark suites: named dataset versions, their expected sizes and where to find them.

A version is located below a data root either by its clovaai evaluation folder name
(``IIIT5k_3000, SVT, IC03_860, ...``, as LMDB or folder) or by a folder + label-file layout
(e.g. ``IC13/gt_857.txt``). Every version of the suite is reported: found (with its sample
count checked against the expected one) or missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from strbench.data.base import DatasetFormat

SEARCH_SUBDIRS = ("", "evaluation", "test", "data_lmdb_release/evaluation", "lmdb/evaluation")


@dataclass(frozen=True)
class DatasetVersion:
    """One split version of a benchmark, e.g. ``IC13_857``."""

    name: str
    family: str
    expected: int | None  # None: no published count (found counts are reported, not checked)
    folder_names: tuple[str, ...] = ()  # clovaai-style directory names (LMDB or folder)
    label_files: tuple[str, ...] = ()  # "<folder>/<label file>" layouts, in order of preference
    note: str = ""
    #: What its labels mean for case-sensitive protocols (e.g. upper-case-only labels), shown under
    #: leaderboards with case-sensitive rows.
    case_note: str = ""


@dataclass(frozen=True)
class Download:
    """A file with a public direct URL (``strbench data fetch``); ``sha256`` when known."""

    url: str
    filename: str
    sha256: str | None = None
    #: Unpack the archive (.zip, .tar, .tar.gz/.tgz) into the destination after the check.
    extract: bool = True


@dataclass(frozen=True)
class BenchmarkSuite:
    """A named list of dataset versions plus named groups (e.g. the parseq ``benchmark`` six)."""

    name: str
    description: str
    versions: tuple[DatasetVersion, ...]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Where the data is published and how to obtain it by hand (shown by ``data fetch`` and
    #: ``data suites``), protocol notes, and the files ``data fetch`` can download directly.
    source: str = ""
    protocol_note: str = ""
    downloads: tuple[Download, ...] = ()
    #: Kinds of text (e.g. ``regular``, ``irregular``) -> the dataset families holding that kind:
    #: leaderboards split a group's average by them, as the field's tables do.
    text_kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def version(self, name: str) -> DatasetVersion:
        for v in self.versions:
            if v.name.lower() == name.lower():
                return v
        raise KeyError(name)


@dataclass(frozen=True)
class LocatedVersion:
    """Where a version was found (``path`` None: missing) and how many samples it holds."""

    version: DatasetVersion
    path: Path | None
    format: str | None
    found: int | None
    #: A set given by path (``run --dataset``), not a version of a suite: recorded with its hash.
    custom: bool = False
    content_hash: str | None = None
    root: Path | None = None  # image root given with --dataset-root (None: the format's own)

    @property
    def status(self) -> str:
        if self.path is None:
            return "missing"
        return "ok" if self.version.expected in (None, self.found) else "count mismatch"

    def describe(self) -> str:
        if self.custom:
            return f"{self.version.name}: {self.found} samples (custom set, {self.format}: {self.path})"
        if self.path is None:
            return f"{self.version.name}: missing (looked for {', '.join(self.version.folder_names + self.version.label_files)})"
        text = f"{self.version.name}: {self.found} samples ({self.format}: {self.path})"
        if self.version.expected is None:
            text += " (no published count to check against)"
        elif self.found != self.version.expected:
            text += f" — expected {self.version.expected}: wrong split version or damaged data"
        return text


def _child(parent: Path, name: str) -> Path | None:
    """Case-insensitive child lookup."""
    direct = parent / name
    if direct.exists():
        return direct
    if not parent.is_dir():
        return None
    lowered = name.lower()
    for child in parent.iterdir():
        if child.name.lower() == lowered:
            return child
    return None


def candidate_paths(root: Path, version: DatasetVersion) -> Iterable[Path]:
    """Paths that may hold ``version`` below ``root``, best first."""
    for sub in SEARCH_SUBDIRS:
        base = root / sub if sub else root
        if not base.is_dir():
            continue
        for layout in version.label_files:
            folder, _, label_file = layout.rpartition("/")
            parent = _child(base, folder) if folder else base
            if parent is not None:
                hit = _child(parent, label_file)
                if hit is not None and hit.is_file():
                    yield hit
        for name in version.folder_names:
            hit = _child(base, name)
            if hit is not None:
                yield hit


def locate(root: Path, suite: BenchmarkSuite, formats: Mapping[str, DatasetFormat]) -> list[LocatedVersion]:
    """Find every version of ``suite`` below ``root``; missing ones are returned as missing."""
    located = []
    for version in suite.versions:
        hit: LocatedVersion | None = None
        for path in candidate_paths(root, version):
            for fmt in formats.values():
                if fmt.detect(path):
                    source = fmt.open(path)
                    hit = LocatedVersion(version, path, fmt.name, len(source))
                    source.close()
                    break
            if hit:
                break
        located.append(hit or LocatedVersion(version, None, None, None))
    return located
