"""Reading PaddlePaddle weight files (``.pdparams``) without PaddlePaddle and without running code.

``paddle.save(layer.state_dict(), path)`` (Paddle 2.x/3.x, dynamic graph) pickles a dict
``{structured name: numpy array}`` plus a ``"StructuredToParameterName@@"`` table mapping each
structured name to the framework's parameter name. With pickle protocol 2 or 3, arrays over 1 GiB
are split into ``<name>@@.<i>`` slices described by an ``"UnpackBigParamInfor@@"`` entry. Objects
that are not plain state dicts (e.g. ``{"model": state_dict, "epoch": 3}``) are pickled with
tensors as ``(parameter name, array)`` tuples, and bare ``DenseTensor`` objects as
``eval("data", {"data": array})``. Paddle can also write safetensors files.

:func:`read_pdparams` handles all of these and returns ``{structured name: array}``. Pickles are
read by :class:`RestrictedUnpickler`, which only rebuilds numpy arrays and plain containers and
refuses any other global, so a malicious file cannot execute code. Release archives (``.tar``
such as PaddleOCR's ``*_train.tar``) are read in memory, never extracted.
"""

from __future__ import annotations

import codecs
import collections
import io
import pickle
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from strbench.errors import DataError

NAME_TABLE_KEY = "StructuredToParameterName@@"
SPLIT_INFO_KEY = "UnpackBigParamInfor@@"
DEFAULT_MEMBER = "best_accuracy.pdparams"
_MAX_MEMBER_BYTES = 4 << 30
_SAFETENSORS_MAX_HEADER = 100 << 20


def _numpy_multiarray() -> Any:
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    return multiarray


def _dense_tensor(expression: Any, namespace: Any = None, *_: Any) -> np.ndarray:
    """Stand-in for ``eval`` in Paddle's ``DenseTensor`` pickles: accepts only ``("data", {"data": array})``."""
    if expression == "data" and isinstance(namespace, dict) and isinstance(namespace.get("data"), np.ndarray):
        return namespace["data"]
    raise pickle.UnpicklingError(f"refused call eval({expression!r}, ...): not a Paddle DenseTensor record")


def _codecs_encode(text: Any, encoding: str = "utf-8", *_: Any) -> bytes:
    """Stand-in for ``_codecs.encode``, which protocol-2 pickles use to store bytes."""
    if not isinstance(text, str) or codecs.lookup(encoding).name not in ("latin-1", "iso8859-1", "utf-8"):
        raise pickle.UnpicklingError(f"refused call _codecs.encode(..., {encoding!r})")
    return text.encode(encoding)


_BUILTINS: dict[str, type] = {
    t.__name__: t
    for t in (dict, list, tuple, set, frozenset, int, float, complex, bool, str, bytes, bytearray, slice)
}


def _allowed_globals() -> dict[tuple[str, str], Callable[..., Any] | type]:
    multiarray = _numpy_multiarray()
    numpy_objects = {
        "_reconstruct": multiarray._reconstruct,
        "scalar": multiarray.scalar,
        "ndarray": np.ndarray,
        "dtype": np.dtype,
    }
    allowed: dict[tuple[str, str], Any] = {}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed.update({(module, name): obj for name, obj in numpy_objects.items()})
    allowed[("numpy", "ndarray")] = np.ndarray
    allowed[("numpy", "dtype")] = np.dtype
    allowed[("collections", "OrderedDict")] = collections.OrderedDict
    allowed.update({("builtins", name): obj for name, obj in _BUILTINS.items()})
    allowed[("builtins", "eval")] = _dense_tensor
    allowed[("_codecs", "encode")] = _codecs_encode
    return allowed


_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and plain containers and refuses every other global."""

    def __init__(self, file: Any, *, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self.source = source
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        key = (_PY2_MODULES.get(module, module), name)
        if key in self._allowed:
            return self._allowed[key]
        raise DataError(
            f"refused to load {self.source}: it references the Python global '{module}.{name}', which a "
            f"Paddle weight file never needs (only numpy arrays and plain containers are allowed); "
            f"the file may be malicious or is not a .pdparams file"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise DataError(f"refused to load {self.source}: it uses pickle persistent ids; not a .pdparams file")


def unpickle(data: bytes, source: str) -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler`; ``source`` names it in errors."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), source=source).load()
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"cannot read {source}: {type(exc).__name__}: {exc}; the file is damaged or not a Paddle "
            f".pdparams file: download it again"
        ) from exc


def read_pdparams(path: Path, member: str | None = None) -> dict[str, np.ndarray]:
    """Read Paddle weights from a ``.pdparams`` file or a ``.tar`` release archive.

    In an archive, ``member`` selects the file (a path inside the archive or a file name);
    by default the single ``*/best_accuracy.pdparams``, or else the single ``*.pdparams``.
    Returns ``{structured name: array}`` with bookkeeping entries dropped and split arrays joined.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Paddle weights {path} do not exist; check the path or download the release archive")
    if tarfile.is_tarfile(path):
        data, source = _read_tar_member(path, member)
    else:
        if member is not None:
            raise DataError(f"{path} is not a tar archive, so member {member!r} cannot be selected from it")
        data, source = path.read_bytes(), str(path)
    return state_from_bytes(data, source)


def state_from_bytes(data: bytes, source: str) -> dict[str, np.ndarray]:
    """Decode the bytes of a ``.pdparams`` file (pickle or safetensors) to ``{name: array}``."""
    if _looks_like_safetensors(data):
        return _read_safetensors(data, source)
    obj = unpickle(data, source)
    if not isinstance(obj, Mapping):
        raise DataError(
            f"{source} holds a {type(obj).__name__}, not a state dict; pass the .pdparams file saved "
            f"with paddle.save(model.state_dict(), ...)"
        )
    state = _flatten(_join_split_arrays(dict(obj), source))
    if not state:
        raise DataError(
            f"{source} holds no arrays; it is not a model's .pdparams file (an optimizer .pdopt?)"
        )
    return state


def _join_split_arrays(obj: dict[str, Any], source: str) -> dict[str, Any]:
    info = obj.pop(SPLIT_INFO_KEY, None)
    if not info:
        return obj
    for name, entry in info.items():
        try:
            parts = [_array_of(obj.pop(part)) for part in entry["slices"]]
            obj[name] = np.concatenate(parts).reshape(entry["OriginShape"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{source}: cannot join the slices of the split array {name!r}: {exc}") from exc
    return obj


def _array_of(value: Any) -> np.ndarray | None:
    """The array of a state-dict value: an array, or Paddle's ``(parameter name, array)`` tuple."""
    if isinstance(value, np.ndarray):
        return value
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], np.ndarray)
    ):
        return value[1]
    return None


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key, value in obj.items():
        if key == NAME_TABLE_KEY:
            continue
        name = f"{prefix}{key}"
        array = _array_of(value)
        if array is not None:
            out[name] = array
        elif isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
    return out


def _read_tar_member(path: Path, member: str | None) -> tuple[bytes, str]:
    try:
        with tarfile.open(path) as archive:
            files = [m for m in archive.getmembers() if m.isfile()]
            chosen = _choose_member(path, files, member)
            if chosen.size > _MAX_MEMBER_BYTES:
                raise DataError(f"{path}:{chosen.name} is {chosen.size} bytes, too large for a weights file")
            handle = archive.extractfile(chosen)
            assert handle is not None  # a regular file
            return handle.read(), f"{path}:{chosen.name}"
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"cannot read the archive {path}: {exc}; download it again") from exc


def _choose_member(path: Path, files: list[tarfile.TarInfo], member: str | None) -> tarfile.TarInfo:
    for info in files:
        name = PurePosixPath(info.name)
        if name.is_absolute() or ".." in name.parts:
            raise DataError(f"refused to read {path}: member {info.name!r} has an unsafe path")
    if member is not None:
        hits = [m for m in files if m.name == member or PurePosixPath(m.name).name == member]
        wanted = f"member {member!r}"
    else:
        hits = [m for m in files if PurePosixPath(m.name).name == DEFAULT_MEMBER]
        if not hits:
            hits = [m for m in files if m.name.endswith(".pdparams")]
        wanted = f"'*/{DEFAULT_MEMBER}' or a single '*.pdparams' file"
    if len(hits) != 1:
        listing = ", ".join(m.name for m in files[:20]) or "no files"
        problem = "several matches" if hits else "no match"
        raise DataError(
            f"{path}: looked for {wanted} and found {problem}; the archive holds: {listing}; "
            f"name the member to read"
        )
    return hits[0]


def _looks_like_safetensors(data: bytes) -> bool:
    if len(data) < 10:
        return False
    header = int.from_bytes(data[:8], "little")
    return 2 <= header <= min(_SAFETENSORS_MAX_HEADER, len(data) - 8) and data[8:9] == b"{"


def _read_safetensors(data: bytes, source: str) -> dict[str, np.ndarray]:
    from safetensors.numpy import load

    try:
        return dict(load(data))
    except Exception as exc:
        raise DataError(f"cannot read {source} as safetensors: {exc}; download it again") from exc
