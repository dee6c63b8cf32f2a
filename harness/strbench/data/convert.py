"""Convert datasets (folder + label file, or any readable source) to clovaai-format LMDB.

Keys: ``num-samples``, ``image-%09d``, ``label-%09d`` (1-based, consecutive over the samples
written). The LMDB map starts small and doubles on ``MapFullError``. The LMDB is written to a
``<dest>.partial`` folder and moved into place only when complete; a write that fails (a full disk,
an interrupt) removes the ``.partial`` folder and leaves ``dest`` as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import lmdb

from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.data.lmdb_format import image_key, label_key
from strbench.data.loader import decode_image
from strbench.data.suite import BenchmarkSuite, LocatedVersion, locate
from strbench.errors import DataError, SampleError

INITIAL_MAP_SIZE = 64 * 2**20
CHUNK = 500
LMDB_FILES = ("data.mdb", "lock.mdb")


@dataclass
class ConvertReport:
    """What one conversion wrote and which samples it skipped (key, reason)."""

    source: str
    dest: Path
    written: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    map_size: int = INITIAL_MAP_SIZE


def prepare_dest(dest: Path, overwrite: bool, extra_files: tuple[str, ...] = ()) -> Path:
    """Check ``dest`` may be (over)written (an LMDB, plus ``extra_files`` written beside it);
    return the fresh ``.partial`` folder to write into."""
    if dest.exists():
        if not dest.is_dir():
            raise DataError(f"{dest} exists and is not a folder; choose another destination")
        contents = {p.name for p in dest.iterdir()}
        if contents and not contents <= {*LMDB_FILES, *extra_files}:
            raise DataError(f"{dest} is a non-empty folder that is not an LMDB; choose an empty or new destination")
        if contents and not overwrite:
            raise DataError(f"{dest} already holds an LMDB; pass --overwrite to replace it")
    partial = dest.with_name(dest.name + ".partial")
    try:
        if partial.is_dir() and not partial.is_symlink():
            shutil.rmtree(partial)  # left by a killed writer
        elif partial.exists() or partial.is_symlink():
            partial.unlink()
        partial.mkdir(parents=True)
    except OSError as exc:
        raise DataError(f"cannot create {partial} to write {dest} into: {exc.strerror or exc}; choose a "
                        f"destination you can write to") from None
    return partial


@contextmanager
def partial_dest(dest: Path, overwrite: bool, extra_files: tuple[str, ...] = ()) -> Iterator[Path]:
    """:func:`prepare_dest`'s ``.partial`` folder, removed when the block fails (a full disk, an
    interrupt): nothing half-written is left and ``dest`` is not touched."""
    partial = prepare_dest(dest, overwrite, extra_files)
    try:
        yield partial
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, (OSError, lmdb.Error)):
            raise DataError(f"writing {dest} failed ({exc}); nothing was written: free disk space or choose "
                            f"another destination") from None
        raise


def move_into(partial: Path, dest: Path, names: tuple[str, ...]) -> None:
    """Move the files ``names`` of a finished ``partial`` folder into ``dest`` and remove ``partial``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dest / name).unlink(missing_ok=True)
        if (partial / name).exists():
            (partial / name).replace(dest / name)
    partial.rmdir()


def put_growing(env: lmdb.Environment, items: list[tuple[bytes, bytes]], map_size: int) -> int:
    """Write ``items`` in one transaction, doubling the map size until they fit; returns the map size."""
    while True:
        try:
            with env.begin(write=True) as txn:
                for key, value in items:
                    txn.put(key, value)
            return map_size
        except lmdb.MapFullError:
            map_size *= 2
            env.set_mapsize(map_size)


def _read_checked(source: SampleSource, index: int, check_images: bool) -> RawSample:
    sample = source.read(index)
    if not sample.label:
        raise SampleError(sample.key, "empty label; add the transcription or remove the sample")
    if check_images:
        decode_image(sample.image, sample.key)
    return sample


def write_lmdb(
    source: SampleSource,
    dest: Path,
    *,
    check_images: bool = False,
    overwrite: bool = False,
    initial_map_size: int = INITIAL_MAP_SIZE,
    advance: Callable[[int], None] | None = None,
) -> ConvertReport:
    """Write every readable sample of ``source`` to a new LMDB at ``dest``.

    Unreadable samples (and, with ``check_images``, undecodable images) are skipped and listed
    in the report. ``advance(n)`` is called as samples are processed (progress display).
    """
    dest = Path(dest)
    report = ConvertReport(source=source.location, dest=dest, map_size=initial_map_size)
    with partial_dest(dest, overwrite) as partial:
        env = lmdb.open(str(partial), map_size=initial_map_size, subdir=True, lock=True)
        try:
            pending: list[tuple[bytes, bytes]] = []
            for index in range(len(source)):
                try:
                    sample = _read_checked(source, index, check_images)
                except SampleError as exc:
                    report.skipped.append((exc.key, exc.reason))
                else:
                    report.written += 1
                    pending += [(image_key(report.written), sample.image),
                                (label_key(report.written), sample.label.encode("utf-8"))]
                if len(pending) >= 2 * CHUNK:
                    report.map_size = put_growing(env, pending, report.map_size)
                    pending = []
                if advance:
                    advance(1)
            pending.append((b"num-samples", str(report.written).encode("ascii")))
            report.map_size = put_growing(env, pending, report.map_size)
            env.sync()
        finally:
            env.close()
        move_into(partial, dest, LMDB_FILES)
    return report


def suite_destinations(
    data_root: Path, dest_root: Path, suite: BenchmarkSuite, formats: Mapping[str, DatasetFormat]
) -> list[tuple[LocatedVersion, Path | None]]:
    """Every version of ``suite`` below ``data_root`` with its LMDB destination (None: missing)."""
    if Path(dest_root).resolve() == Path(data_root).resolve():
        raise DataError(f"destination {dest_root} is the data root itself; choose a separate folder")
    pairs = []
    for loc in locate(Path(data_root), suite, formats):
        dest = Path(dest_root) / loc.version.folder_names[0] if loc.path is not None else None
        pairs.append((loc, dest))
    return pairs
