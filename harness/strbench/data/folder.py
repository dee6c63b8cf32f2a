"""Folder + label-file datasets: lines of ``relative/image/path<TAB>label`` (UTF-8).

This is the PaddleOCR ``SimpleDataSet`` / clovaai ``create_lmdb_dataset.py`` input layout.
Malformed or undecodable lines, labels holding a control character (a second tab, NUL, ...),
image paths that leave the dataset root, and lines listing an image already listed, stay in the
index as samples that fail to read, so they are counted and reported as skips instead of silently
shifting, shrinking, altering or double-counting the dataset (:mod:`strbench.data.text` has the
rules).

Image paths are relative to the label file's folder (or the root given) and may not leave it. A
label file written by ``strbench data holdout`` lists images of its source folders by ``../``
paths: it is read as written while the ``split.json`` beside it records the file's exact SHA-256.
"""

from __future__ import annotations

import errno
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.data.text import (
    at_least_half,
    decode_bytes,
    head_lines,
    label_problem,
    path_problem,
    split_lines,
)
from strbench.errors import DataError, SampleError

LABEL_FILE_NAMES = ("gt.txt", "labels.txt", "label.txt", "gt_cased.txt")
#: What ``strbench data holdout`` writes beside its label files (the rule and their checksums).
SPLIT_FILE = "split.json"
SPLIT_KIND = "strbench holdout split"


@dataclass(frozen=True)
class _Entry:
    key: str
    path: Path | None
    label: str
    problem: str | None = None
    line: int = 0
    duplicate_of: int = 0  # the line that already lists this image (0: none)


def holdout_split(label_file: Path, raw: bytes) -> bool | None:
    """Whether ``label_file`` (whose bytes are ``raw``) is exactly as ``strbench data holdout`` wrote
    it: ``True`` when the ``split.json`` beside it records this SHA-256 for it, ``False`` when a split
    file is there but records another (the file was edited), ``None`` when there is none."""
    split = label_file.parent / SPLIT_FILE
    try:
        doc = json.loads(split.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("kind") != SPLIT_KIND:
        return None
    outputs = doc.get("outputs")
    written = outputs.get(label_file.name) if isinstance(outputs, dict) else None
    if not isinstance(written, dict):
        return None
    return written.get("sha256") == hashlib.sha256(raw).hexdigest()


def parse_label_file(label_file: Path, root: Path | None = None) -> list[_Entry]:
    """Parse a label file; bad lines become entries with a ``problem`` (line number and fix).
    Image paths are relative to ``root`` (default: the label file's folder) and stay inside it."""
    try:
        raw = label_file.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read label file {label_file}: {exc.strerror or exc}") from None
    data = decode_bytes(raw, label_file)
    entries: list[_Entry] = []
    root = label_file.parent if root is None else root
    split = holdout_split(label_file, raw) if root == label_file.parent else None
    first_line: dict[Path, int] = {}
    for lineno, raw_line in enumerate(split_lines(data), start=1):
        where = f"{label_file.name}:{lineno}"
        if not raw_line.strip():
            continue
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            entries.append(_Entry(where, None, "", f"label line is not UTF-8 ({exc.reason}); re-save the file as UTF-8",
                                  lineno))
            continue
        rel, sep, label = line.partition("\t")
        if not sep:
            entries.append(_Entry(where, None, "", "malformed line: expected 'path<TAB>label'", lineno))
            continue
        rel = rel.strip()
        bad_path = path_problem(rel, root, confined=not split)
        if bad_path:
            if split is False and "leaves the dataset root" in bad_path:
                bad_path += (f" ({label_file.name} was written by 'strbench data holdout' but no longer matches "
                             f"the checksum in {SPLIT_FILE}: write the split again)")
            entries.append(_Entry(where, None, label, f"{bad_path} ({where})", lineno))
            continue
        problem = label_problem(label)
        if problem:
            hint = "; the line has a second tab" if "\t" in label else ""
            problem = f"{problem} ({where}{hint})"
        elif not label:
            problem = f"empty label ({where}); add the transcription or remove the line"
        try:
            image = (root / rel).resolve()
        except (RuntimeError, OSError):  # a symbolic-link loop
            entries.append(_Entry(rel, None, label, f"image path {rel!r} is a symbolic-link loop ({where}); fix "
                                                    f"the link or remove the line", lineno))
            continue
        first = first_line.get(image, 0)
        if first:  # scored once only: an image listed again is a counted skip
            also = " (and its label is empty)" if not label else ""
            entries.append(_Entry(f"{rel} ({where})", root / rel, label,
                                  f"duplicate image path, already listed on line {first}{also}; remove one of "
                                  f"the lines", lineno, duplicate_of=first))
            continue
        if problem is None:
            first_line[image] = lineno
        entries.append(_Entry(rel, root / rel, label, problem, lineno))
    return entries


def tabbed_line(line: str) -> bool:
    """True for a text line that looks like ``path<TAB>label``: a path, a tab, and no control
    characters or undecodable bytes beyond a few (random bytes hold both)."""
    path, tab, label = line.partition("\t")
    return (bool(tab and path.strip()) and label_problem(path + label.replace("\t", " ")) is None
            and 8 * line.count("\ufffd") <= len(line))


def looks_tabbed(file: Path) -> bool:
    """True when at least half of the first lines of ``file`` look like ``path<TAB>label``."""
    return at_least_half(head_lines(file), tabbed_line)


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
        return RawSample(entry.key, read_image_file(entry.path, entry.key, self.label_file), entry.label)


def read_image_file(path: Path, key: str, label_file: Path) -> bytes:
    """The bytes of an image file a label file lists, or a :class:`SampleError` saying why not."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SampleError(key, f"image file missing: {path}; restore it or remove its line from {label_file}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SampleError(key, f"image path {path} is a symbolic-link loop; fix the link or remove its line "
                                   f"from {label_file}") from None
        if exc.errno == errno.EISDIR:
            raise SampleError(key, f"image path {path} is a folder, not an image file; fix its line in "
                                   f"{label_file}") from None
        raise SampleError(key, f"cannot read {path}: {exc.strerror or exc}") from None


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
        """A folder holding a label file, or a file, when at least half of its first lines look like
        ``path<TAB>label``."""
        label_file = find_label_file(path)
        return label_file is not None and not (path / "data.mdb").exists() and looks_tabbed(label_file)

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
