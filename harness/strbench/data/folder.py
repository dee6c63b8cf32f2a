"""Folder + label-file datasets: lines of ``relative/image/path<TAB>label`` (UTF-8).

This is the PaddleOCR ``SimpleDataSet`` / clovaai ``create_lmdb_dataset.py`` input layout.
Malformed or undecodable lines, and lines listing an image already listed, stay in the index as
samples that fail to read, so they are counted and reported as skips instead of silently shifting,
shrinking or double-counting the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.errors import DataError, SampleError

LABEL_FILE_NAMES = ("gt.txt", "labels.txt", "label.txt", "gt_cased.txt")


@dataclass(frozen=True)
class _Entry:
    key: str
    path: Path | None
    label: str
    problem: str | None = None
    line: int = 0
    duplicate_of: int = 0  # the line that already lists this image (0: none)


def parse_label_file(label_file: Path, root: Path | None = None) -> list[_Entry]:
    """Parse a label file; bad lines become entries with a ``problem`` (line number and fix).
    Image paths are relative to ``root`` (default: the label file's folder)."""
    try:
        data = label_file.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read label file {label_file}: {exc}") from exc
    data = data.removeprefix(b"\xef\xbb\xbf")  # UTF-8 byte-order mark written by some editors
    entries: list[_Entry] = []
    root = label_file.parent if root is None else root
    first_line: dict[Path, int] = {}
    for lineno, raw in enumerate(data.splitlines(), start=1):
        where = f"{label_file.name}:{lineno}"
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            entries.append(_Entry(where, None, "", f"label line is not UTF-8 ({exc.reason}); re-save the file as UTF-8",
                                  lineno))
            continue
        rel, sep, label = line.partition("\t")
        if not sep:
            entries.append(_Entry(where, None, "", "malformed line: expected 'path<TAB>label'", lineno))
            continue
        rel = rel.strip()
        problem = None if label else f"empty label ({where}); add the transcription or remove the line"
        image = (root / rel).resolve()
        first = first_line.get(image, 0)
        if first:  # scored once only: an image listed again is a counted skip
            also = " (and its label is empty)" if problem else ""
            entries.append(_Entry(f"{rel} ({where})", root / rel, label,
                                  f"duplicate image path, already listed on line {first}{also}; remove one of "
                                  f"the lines", lineno, duplicate_of=first))
            continue
        if problem is None:
            first_line[image] = lineno
        entries.append(_Entry(rel, root / rel, label, problem, lineno))
    return entries


class FolderSource(SampleSource):
    """Samples listed in one label file; image paths are relative to the label file's folder (or
    ``root``). Other annotation formats pass the ``entries`` they parsed."""

    def __init__(self, label_file: Path, root: Path | None = None, entries: list[_Entry] | None = None) -> None:
        self.label_file = label_file
        self.location = str(label_file)
        self._entries = parse_label_file(label_file, root) if entries is None else entries

    def __len__(self) -> int:
        return len(self._entries)

    def _entry(self, index: int) -> _Entry:
        return self._entries[index]

    def key(self, index: int) -> str:
        return self._entry(index).key

    def label(self, index: int) -> str:
        entry = self._entry(index)
        if entry.problem:
            raise SampleError(entry.key, entry.problem)
        return entry.label

    def read(self, index: int) -> RawSample:
        entry = self._entry(index)
        if entry.problem or entry.path is None:
            raise SampleError(entry.key, entry.problem or "no image path")
        try:
            image = entry.path.read_bytes()
        except FileNotFoundError:
            raise SampleError(entry.key, f"image file missing: {entry.path}; restore it or remove its line "
                                         f"from {self.label_file}") from None
        except OSError as exc:
            raise SampleError(entry.key, f"cannot read {entry.path}: {exc}") from exc
        return RawSample(entry.key, image, entry.label)


def find_label_file(path: Path) -> Path | None:
    """The label file of ``path``: the file itself, or a known label-file name inside the folder."""
    if path.is_file():
        return path
    for name in LABEL_FILE_NAMES:
        if (path / name).is_file():
            return path / name
    return None


class FolderFormat(DatasetFormat):
    name = "folder"
    description = "a label file of 'path<TAB>label' lines (or a folder holding gt.txt) next to its images"

    def detect(self, path: Path) -> bool:
        return find_label_file(path) is not None and not (path / "data.mdb").exists()

    def open(self, path: Path) -> SampleSource:
        label_file = find_label_file(path)
        if label_file is None:
            raise DataError(f"{path}: no label file found (expected one of {', '.join(LABEL_FILE_NAMES)} "
                            f"or a path to a 'path<TAB>label' file)")
        return FolderSource(label_file)

    def open_rooted(self, path: Path, root: Path) -> SampleSource:
        label_file = find_label_file(path)
        if label_file is None:
            return self.open(path)  # raises the missing-label-file error
        return FolderSource(label_file, root)
