"""clovaai-format LMDB datasets (DTRB, parseq, PaddleOCR, OpenOCR).

Keys: ``num-samples`` (ASCII integer), ``image-%09d`` (encoded image bytes) and ``label-%09d``
(UTF-8), indices starting at 1. Missing keys, and labels that are empty, not UTF-8 or hold a
control character, raise :class:`SampleError` for that sample only; a ``num-samples`` that is no
count (not an integer, negative) is an error for the whole LMDB.
"""

from __future__ import annotations

import os
from pathlib import Path

import lmdb

from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.data.text import label_problem
from strbench.errors import DataError, SampleError


def image_key(index: int) -> bytes:
    return b"image-%09d" % index


def label_key(index: int) -> bytes:
    return b"label-%09d" % index


def open_env(path: Path, *, readonly: bool = True) -> lmdb.Environment:
    """Open the LMDB folder ``path``; read-only environments are first checked to be complete
    (:func:`check_complete`), so a truncated file is an error instead of a bus error."""
    data = Path(path) / "data.mdb"
    if readonly and data.is_file() and data.stat().st_size < MIN_FILE_SIZE:
        raise DataError(f"{data} is {data.stat().st_size} bytes, too small to be an LMDB file; it is empty "
                        f"or truncated: copy the dataset again or rebuild it with 'strbench data convert'")
    try:
        env = lmdb.open(str(path), readonly=readonly, lock=False, readahead=False, meminit=False,
                        max_readers=64, subdir=True)
    except lmdb.Error as exc:
        raise DataError(f"cannot open LMDB {data}: {exc}; the file is damaged, truncated or not an LMDB: copy the "
                        f"dataset again or rebuild it with 'strbench data convert'") from exc
    if readonly:
        try:
            check_complete(env, data)
        except DataError:
            env.close()
            raise
    return env


#: Two meta pages of the smallest page size: anything shorter is no LMDB file.
MIN_FILE_SIZE = 2 * 512


def check_complete(env: lmdb.Environment, data: Path) -> None:
    """Raise :class:`DataError` when ``data`` (the environment's ``data.mdb``) is shorter than the
    pages its meta page declares: an interrupted copy, whose missing pages would fault when read."""
    needed = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
    size = data.stat().st_size
    if size < needed:
        raise DataError(f"{data} is truncated: {size} bytes, but the LMDB declares {needed} bytes of pages "
                        f"(an interrupted copy or download?); copy the dataset again or rebuild it with "
                        f"'strbench data convert'")


# py-lmdb refuses to open one path twice in a process, and handles inherited over fork() must
# not be used: readers share one reference-counted environment per path and process.
_shared: dict[str, list] = {}  # resolved path -> [environment, users]
_shared_pid = os.getpid()


def acquire_env(path: Path) -> lmdb.Environment:
    """The read-only environment of ``path`` for this process; pair with :func:`release_env`."""
    global _shared_pid
    if _shared_pid != os.getpid():  # forked child: drop the parent's handles, open afresh
        for env, _ in _shared.values():
            env.close()
        _shared.clear()
        _shared_pid = os.getpid()
    entry = _shared.get(str(Path(path).resolve()))
    if entry is None:
        entry = _shared[str(Path(path).resolve())] = [open_env(path), 0]
    entry[1] += 1
    return entry[0]


def release_env(path: Path) -> None:
    """Drop one use of ``path``'s shared environment; the last user closes it."""
    key = str(Path(path).resolve())
    entry = _shared.get(key)
    if entry is not None and _shared_pid == os.getpid():
        entry[1] -= 1
        if entry[1] <= 0:
            entry[0].close()
            del _shared[key]


def num_samples(path: Path, raw: bytes) -> int:
    """The sample count a ``num-samples`` value declares; a :class:`DataError` when it is no count."""
    try:
        n = int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise DataError(f"{path}: 'num-samples' is {raw[:20]!r}, not an integer; rebuild the LMDB") from None
    if n < 0:
        raise DataError(f"{path}: 'num-samples' is {n}, a negative count; rebuild the LMDB "
                        f"('strbench data validate {path}' lists its samples)")
    return n


class LmdbSource(SampleSource):
    """One LMDB folder. The environment is opened lazily per process (safe for DataLoader workers)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._env: lmdb.Environment | None = None
        self._pid: int | None = None
        try:
            with acquire_env(path).begin() as txn:
                raw = txn.get(b"num-samples")
        finally:
            release_env(path)
        if raw is None:
            raise DataError(f"{path}: LMDB has no 'num-samples' key; it is not a clovaai-format dataset "
                            f"(rebuild it with 'strbench data convert')")
        self._n = num_samples(path, raw)

    def __len__(self) -> int:
        return self._n

    def _txn_get(self, key: bytes) -> bytes | None:
        if self._env is None or self._pid != os.getpid():
            self._env = acquire_env(self.path)
            self._pid = os.getpid()
        with self._env.begin() as txn:
            return txn.get(key)

    def key(self, index: int) -> str:
        return f"{index + 1:09d}"

    def label(self, index: int) -> str:
        key = self.key(index)
        raw = self._txn_get(label_key(index + 1))
        if raw is None:
            raise SampleError(key, f"LMDB {self.path} has no 'label-{key}' although num-samples is {self._n}; "
                                   f"check 'strbench data validate {self.path}'")
        try:
            label = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SampleError(key, "label is not valid UTF-8; fix the label and rebuild the LMDB") from None
        if not label:
            raise SampleError(key, f"empty label in LMDB {self.path}; fix the label and rebuild the LMDB")
        problem = label_problem(label)
        if problem:
            raise SampleError(key, f"{problem} (LMDB {self.path}); fix the label and rebuild the LMDB")
        return label

    def read(self, index: int) -> RawSample:
        label = self.label(index)
        key = self.key(index)
        image = self._txn_get(image_key(index + 1))
        if image is None:
            raise SampleError(key, f"LMDB {self.path} has no 'image-{key}'; rebuild the LMDB")
        return RawSample(key, image, label)

    def close(self) -> None:
        if self._env is not None and self._pid == os.getpid():
            release_env(self.path)
        self._env = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_env"] = None
        state["_pid"] = None
        return state


class LmdbFormat(DatasetFormat):
    name = "lmdb"
    description = "clovaai LMDB (num-samples, image-%09d, label-%09d; 1-based)"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and (path / "data.mdb").is_file()

    def open(self, path: Path) -> SampleSource:
        return LmdbSource(path)
