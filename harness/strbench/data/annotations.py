"""Annotation-file formats whose images are files next to (or below a root of) the annotation:
ICDAR ``gt.txt`` (``word_1.png, "label"``), mmocr 1.x ``textrecog_*.json``, mmocr 0.x ``.jsonl``
and ``.txt`` (``path label``), and PaddleOCR ``SimpleDataSet`` label files whose image paths are
relative to a data root rather than to the label file's folder.

Every format reads into the same entries as the folder format, so a bad line stays in the index
as a sample that fails to read (a counted skip) and image paths resolve, and are confined to
their root, the same way; files are read as text by :mod:`strbench.data.text` (byte-order marks,
CRLF, no line breaks but ``\n``). A JSON ``text`` or path that is not a string (``null``, a
number) is a counted skip, never scored as ``'None'`` or ``'123'``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from strbench.data.base import DatasetFormat, SampleSource
from strbench.data.folder import LABEL_FILE_NAMES, FolderSource, _Entry, looks_tabbed, parse_label_file
from strbench.data.text import SNIFF_BYTES, head_lines, label_problem, path_problem, read_text, text_lines
from strbench.errors import DataError

IMAGE_SUFFIX = r"\.(?:png|jpe?g|bmp|gif|tiff?|webp)"
_ICDAR_LINE = re.compile(r"^\s*([^\t,]+?)\s*,\s*\"(.*)\"\s*$")
_ICDAR_SNIFF = re.compile(rf"^[^\t,]+{IMAGE_SUFFIX}\s*,\s*\"", re.IGNORECASE)
_MMOCR_TXT_SNIFF = re.compile(rf"^[^\t]+?{IMAGE_SUFFIX} +\S", re.IGNORECASE)
#: How far up from the annotation file an image root is searched when paths do not resolve there.
ROOT_SEARCH_DEPTH = 3
#: Image paths probed per candidate root: a root is taken when most of them exist there.
ROOT_PROBE = 20

Line = tuple[int, str, str, str | None]  # (line number, relative image path, label, problem)


def _read_text(path: Path) -> str:
    return read_text(path, "annotation file")


def first_line(path: Path) -> str:
    """The first non-empty line of a text file (byte-order mark removed); '' when unreadable or empty."""
    return next(iter(head_lines(path, 1)), "")


def unescape_icdar(text: str) -> str:
    """ICDAR labels escape ``"`` and ``\\`` with a backslash."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "\"\\":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_icdar(path: Path) -> list[Line]:
    lines: list[Line] = []
    for lineno, line in enumerate(text_lines(_read_text(path)), start=1):
        if not line.strip():
            continue
        m = _ICDAR_LINE.match(line)
        if m is None:
            lines.append((lineno, f"{path.name}:{lineno}", "", 'malformed line: expected \'image.png, "label"\''))
            continue
        lines.append((lineno, m.group(1), unescape_icdar(m.group(2)), None))
    return lines


def parse_mmocr_txt(path: Path) -> list[Line]:
    lines: list[Line] = []
    for lineno, line in enumerate(text_lines(_read_text(path)), start=1):
        if not line.strip():
            continue
        rel, _, label = line.strip().partition(" ")
        problem = None if label.strip() else "malformed line: expected 'image/path label'"
        lines.append((lineno, rel, label.strip(), problem))
    return lines


def parse_mmocr_jsonl(path: Path) -> list[Line]:
    lines: list[Line] = []
    for lineno, line in enumerate(text_lines(_read_text(path)), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rel, label = row["filename"], row["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            lines.append((lineno, f"{path.name}:{lineno}", "",
                          f"malformed line ({type(exc).__name__}): expected {{\"filename\": ..., \"text\": ...}}"))
            continue
        problem = _not_a_string("filename", rel, f"line {lineno}") or _not_a_string("text", label, f"line {lineno}")
        if problem:
            lines.append((lineno, f"{path.name}:{lineno}", "", problem))
            continue
        lines.append((lineno, rel, label, None))
    return lines


def parse_mmocr_json(path: Path) -> list[Line]:
    try:
        doc = json.loads(_read_text(path))
        items = doc["data_list"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not an mmocr 1.x annotation file ({type(exc).__name__}: {exc}); expected "
                        f"{{'metainfo': ..., 'data_list': [{{'img_path': ..., 'instances': [{{'text': ...}}]}}]}}") from None
    if not isinstance(items, list):
        raise DataError(f"{path}: 'data_list' is {type(items).__name__}, not a list; expected "
                        f"{{'metainfo': ..., 'data_list': [{{'img_path': ..., 'instances': [{{'text': ...}}]}}]}}")
    lines: list[Line] = []
    for i, item in enumerate(items, start=1):
        try:
            rel = item["img_path"]
            texts = [inst["text"] for inst in item["instances"]]
        except (KeyError, TypeError) as exc:
            lines.append((i, f"{path.name}#{i}", "", f"data_list item {i} lacks {exc}; expected img_path and instances"))
            continue
        where = f"data_list item {i}"
        problem = _not_a_string("img_path", rel, where) or next(
            (p for p in (_not_a_string("text", t, where) for t in texts) if p), None)
        if problem:
            lines.append((i, f"{path.name}#{i}", "", problem))
            continue
        problem = None if len(texts) == 1 else f"data_list item {i} has {len(texts)} text instances, expected 1"
        lines.append((i, rel, texts[0] if texts else "", problem))
    return lines


def _not_a_string(field: str, value: object, where: str) -> str | None:
    """Why a JSON field meant to hold text cannot be used (``null``, a number, a list ...), or ``None``."""
    if isinstance(value, str):
        return None
    if value is None:
        kind = "null"
    else:
        noun = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
        kind = f"{noun.get(type(value), type(value).__name__)} ({json.dumps(value)[:40]})"
    return f"{where}: {field!r} is {kind}, not a string; write the {field} as a JSON string"


def _resolves(root: Path, lines: list[Line]) -> bool:
    """True when most of the first :data:`ROOT_PROBE` usable image paths exist below ``root`` (one
    missing image does not move the root of every other one)."""
    probe = [rel for _, rel, _, problem in lines if problem is None and path_problem(rel, root) is None][:ROOT_PROBE]
    return bool(probe) and 2 * sum(1 for rel in probe if (root / rel).is_file()) > len(probe)


def image_root(annotation: Path, lines: list[Line]) -> Path:
    """The folder the image paths are relative to: the annotation's folder or the nearest ancestor
    (up to :data:`ROOT_SEARCH_DEPTH` levels) where most of the first paths exist."""
    start = annotation.resolve().parent
    for root in [start, *list(start.parents)[:ROOT_SEARCH_DEPTH]]:
        if _resolves(root, lines):
            return root
    return annotation.parent


def to_entries(lines: list[Line], root: Path) -> list[_Entry]:
    """Entries of parsed lines whose image paths are relative to ``root``: a path that leaves it, or a
    label holding a control character, is a problem of that entry (a counted skip)."""
    entries = []
    for lineno, rel, label, problem in lines:
        if problem is None:
            problem = path_problem(rel, root)
            if problem and label_problem(rel):
                rel = f"entry {lineno}"  # a path holding control characters is no key
        if problem is None:
            problem = label_problem(label)
        if problem is None and not label:
            problem = f"empty label ({rel}); add the transcription or remove the line"
        entries.append(_Entry(rel, None if problem else root / rel, label, problem, lineno))
    return entries


class AnnotationFormat(DatasetFormat):
    """A text annotation file (or a folder holding one) listing images and labels."""

    #: Annotation file names looked for inside a folder, best first.
    file_names: tuple[str, ...] = ()

    def parse(self, file: Path) -> list[Line]:
        raise NotImplementedError

    def annotation_file(self, path: Path) -> Path | None:
        if path.is_file():
            return path
        if path.is_dir():
            return next((path / n for n in self.file_names if (path / n).is_file()), None)
        return None

    def sniff(self, file: Path) -> bool:
        raise NotImplementedError

    def detect(self, path: Path) -> bool:
        file = self.annotation_file(path)
        return file is not None and not (path / "data.mdb").exists() and self.sniff(file)

    def _file(self, path: Path) -> Path:
        file = self.annotation_file(path)
        if file is None:
            raise DataError(f"{path}: no {self.name} annotation file (looked for {', '.join(self.file_names)})")
        return file

    def open(self, path: Path) -> SampleSource:
        file = self._file(path)
        lines = self.parse(file)
        return FolderSource(file, entries=to_entries(lines, image_root(file, lines)))

    def open_rooted(self, path: Path, root: Path) -> SampleSource:
        file = self._file(path)
        return FolderSource(file, entries=to_entries(self.parse(file), root))


class IcdarFormat(AnnotationFormat):
    name = "icdar"
    description = 'ICDAR word recognition gt.txt: lines of image.png, "label" (UTF-8 BOM and \\" escapes allowed)'
    file_names = LABEL_FILE_NAMES

    def parse(self, file: Path) -> list[Line]:
        return parse_icdar(file)

    def sniff(self, file: Path) -> bool:
        return bool(_ICDAR_SNIFF.match(first_line(file)))


class MmocrTxtFormat(AnnotationFormat):
    name = "mmocr-txt"
    description = "mmocr 0.x plain annotation: lines of 'image/path label' (space-separated)"
    file_names = ("test_label.txt", "train_label.txt")

    def parse(self, file: Path) -> list[Line]:
        return parse_mmocr_txt(file)

    def sniff(self, file: Path) -> bool:
        line = first_line(file)
        return (file.suffix.lower() == ".txt" and "\t" not in line and not _ICDAR_SNIFF.match(line)
                and bool(_MMOCR_TXT_SNIFF.match(line)))


class MmocrJsonlFormat(AnnotationFormat):
    name = "mmocr-jsonl"
    description = 'mmocr 0.x JSON lines: {"filename": ..., "text": ...} per line'
    file_names = ("test_label.jsonl", "annotation.jsonl", "train_label.jsonl")

    def parse(self, file: Path) -> list[Line]:
        return parse_mmocr_jsonl(file)

    def sniff(self, file: Path) -> bool:
        if file.suffix.lower() != ".jsonl":
            return False
        try:
            row = json.loads(first_line(file))
        except json.JSONDecodeError:
            return False
        return isinstance(row, dict) and "filename" in row and "text" in row


class MmocrJsonFormat(AnnotationFormat):
    name = "mmocr-json"
    description = "mmocr 1.x textrecog_*.json: data_list of {img_path, instances: [{text}]}"
    file_names = ("textrecog_test.json", "annotation.json", "textrecog_val.json", "textrecog_train.json")

    def parse(self, file: Path) -> list[Line]:
        return parse_mmocr_json(file)

    def sniff(self, file: Path) -> bool:
        if file.suffix.lower() != ".json":
            return False
        try:
            with open(file, "rb") as fh:
                return b'"data_list"' in fh.read(SNIFF_BYTES)
        except OSError:
            return False


class PaddleFormat(DatasetFormat):
    """PaddleOCR ``SimpleDataSet``: ``path<TAB>label`` lines with paths relative to ``data_dir``."""

    name = "paddle"
    description = "PaddleOCR SimpleDataSet label file: 'path<TAB>label', paths relative to a data root (--dataset-root)"

    def _lines(self, file: Path) -> list[Line]:
        return [(e.line, e.key, e.label, e.problem) for e in parse_label_file(file)]

    def detect(self, path: Path) -> bool:
        """A tab label file whose images are not next to it but below an ancestor folder (most of the
        first paths exist there, not next to the file)."""
        if not path.is_file() or not looks_tabbed(path):
            return False
        lines = self._lines(path)
        return not _resolves(path.resolve().parent, lines) and image_root(path, lines) != path.parent

    def open(self, path: Path) -> SampleSource:
        if not path.is_file():
            raise DataError(f"{path}: a PaddleOCR label file is a file of 'path<TAB>label' lines")
        return FolderSource(path, image_root(path, self._lines(path)))

    def open_rooted(self, path: Path, root: Path) -> SampleSource:
        return FolderSource(path, root)
