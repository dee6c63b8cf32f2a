"""Reading label and annotation files as text, and the rules every label and image path obeys.

One place decides how a label file's bytes become lines, so every format treats them alike:

- a UTF-8 byte-order mark is removed; UTF-16 and UTF-32 files *with* a byte-order mark are
  decoded (a file that is not valid in its declared encoding is an error naming the byte);
  a file that looks like UTF-16 without one, or a binary file, is an error for the whole file;
- lines end at ``\\n``; one ``\\r`` before it (CRLF) is removed; a file without any ``\\n`` ends its
  lines at ``\\r`` (classic Mac). No other character ends a line (``str.splitlines`` would also
  split at a lone ``\\r``, form feeds and U+2028), so a stray character never cuts a label short;
- a label or image path holding a control character (U+0000-U+001F, U+007F-U+009F: a tab, NUL,
  a carriage return ...) is refused for that sample with the reason (a counted skip);
- an image path is relative to its dataset root and stays inside it (:func:`path_problem`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from strbench.errors import DataError

#: The head of a file read to detect its format.
SNIFF_BYTES = 1 << 16
#: Non-empty lines of the head a format looks at to recognise a file (at least half of them decide).
SNIFF_LINES = 20

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 9: "tab", 10: "line feed", 13: "carriage return", 27: "escape", 127: "DEL"}
_UTF8_FIX = "re-save it as UTF-8 (e.g. iconv -t UTF-8)"


def _nul_pattern(head: bytes) -> str | None:
    """``'utf-16'`` when NULs fill most odd or even bytes (ASCII text in UTF-16 without a byte-order
    mark), ``'binary'`` for other NUL-rich data, ``None`` for text."""
    sample = head[:4096]
    if len(sample) < 4 or sample.count(0) * 8 < len(sample):
        return None
    even, odd = sample[0::2], sample[1::2]
    if max(even.count(0) / len(even), odd.count(0) / max(len(odd), 1)) > 0.9:
        return "utf-16"
    return "binary"


def decode_bytes(data: bytes, path: Path, *, head: bool = False) -> bytes:
    """``data`` (a whole file, or its first bytes with ``head``) as UTF-8 bytes without a byte-order
    mark. Raises :class:`DataError` for a file that is not text in any encoding handled here;
    with ``head`` nothing is raised and a cut multi-byte character is dropped."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            if codec == "utf-8":
                return data[len(bom):]
            try:
                return data[len(bom):].decode(codec, errors="ignore" if head else "strict").encode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"{path} starts with a {name} byte-order mark but is not valid {name} "
                                f"({exc.reason} at byte {exc.start + len(bom)}); {_UTF8_FIX}") from None
    if head:
        return data
    kind = _nul_pattern(data)
    if kind == "utf-16":
        raise DataError(f"{path} looks like UTF-16 without a byte-order mark (every other byte is NUL); "
                        f"{_UTF8_FIX}")
    if kind == "binary":
        raise DataError(f"{path} is a binary file, not a text label file (NUL bytes throughout); give a "
                        f"label or annotation file, or force the right format with --format")
    return data


def read_bytes(path: Path, what: str = "label file") -> bytes:
    """The whole file as UTF-8 bytes (:func:`decode_bytes`); unreadable is a :class:`DataError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return decode_bytes(data, path)


def read_text(path: Path, what: str = "annotation file") -> str:
    """The whole file as text; a file that is not UTF-8 (after :func:`decode_bytes`) is an error."""
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 ({exc.reason} at byte {exc.start}); {_UTF8_FIX}") from None


def split_lines(data: bytes) -> list[bytes]:
    """Lines ended by ``\\n`` (one ``\\r`` before it removed), or by ``\\r`` in a file without any
    ``\\n``; a final empty line is dropped."""
    lines = data.split(b"\n" if b"\n" in data else b"\r")
    if lines and not lines[-1]:
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def text_lines(text: str) -> list[str]:
    """:func:`split_lines` for decoded text."""
    lines = text.split("\n" if "\n" in text else "\r")
    if lines and not lines[-1]:
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def head_lines(path: Path, n: int = SNIFF_LINES) -> list[str]:
    """The first ``n`` non-empty lines of a file's head, for format detection: decoded leniently
    (UTF-16 without a byte-order mark too, so the format that claims it can say what is wrong when
    it opens it); ``[]`` when the file cannot be read or is binary."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(SNIFF_BYTES)
    except OSError:
        return []
    if any(raw.startswith(bom) for bom, _, _ in _BOMS):
        text = decode_bytes(raw, path, head=True).decode("utf-8", errors="replace")
    else:
        kind = _nul_pattern(raw)
        if kind == "binary":
            return []
        if kind == "utf-16":
            codec = "utf-16-le" if raw[1::2].count(0) > raw[0::2].count(0) else "utf-16-be"
            text = raw[: len(raw) // 2 * 2].decode(codec, errors="replace")
        else:
            text = raw.decode("utf-8", errors="replace")
    return [line for line in text_lines(text) if line.strip()][:n]


def at_least_half(lines: list[str], test: Callable[[str], bool]) -> bool:
    """True when at least half of ``lines`` (and at least one) pass ``test``."""
    return bool(lines) and 2 * sum(1 for line in lines if test(line)) >= len(lines)


def control_problem(text: str, what: str) -> str | None:
    """Why ``text`` (a label or an image path, named by ``what``) cannot be used: it holds a
    control character. ``None`` when it is clean."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    code = ord(m.group())
    name = _CONTROL_NAMES.get(code, "control character")
    article = "an" if name[0] in "aeiou" else "a"
    return (f"{what} {text!r} holds {article} {name} (U+{code:04X}) at character {m.start() + 1}; labels and image "
            f"paths are one line of text without control characters: fix or remove it")


def label_problem(label: str) -> str | None:
    """Why ``label`` cannot be scored as it stands (control characters), or ``None``."""
    return control_problem(label, "label")


def path_problem(rel: str, root: Path, *, confined: bool = True) -> str | None:
    """Why the image path ``rel`` (as its label file writes it) cannot be used with the dataset root
    ``root``: empty, a control character, or (``confined``) absolute or leaving ``root`` through
    ``..``. The check is on the path as written: symbolic links inside the dataset are followed."""
    if not rel:
        return "empty image path; write the image's path before the label"
    problem = control_problem(rel, "image path")
    if problem or not confined:
        return problem
    posix = PurePosixPath(rel)
    if posix.is_absolute():
        return (f"absolute image path {rel!r}: image paths are relative to the dataset root {root} and stay "
                f"inside it; write the path relative to it (or give the images' folder as --dataset-root)")
    depth = 0
    for part in posix.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return (f"image path {rel!r} leaves the dataset root {root}: image paths stay inside it; move the "
                    f"images below it, or give their common folder as --dataset-root")
    return None
