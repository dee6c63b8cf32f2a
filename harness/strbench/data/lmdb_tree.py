"""A root of nested clovaai LMDBs (the DTRB ``data_lmdb_release`` / parseq ``data`` layout).

Each leaf LMDB below the root is one dataset: ``run --dataset ROOT`` scores them separately
(:meth:`LmdbTreeFormat.versions`); opening the root as one source (training, ``data inspect``)
concatenates the leaves in sorted order. Symbolic links are followed, but a folder reached a
second time (a link back to an ancestor, a loop, or two links to one folder) is skipped and
counted in a warning, so no LMDB is scored twice and a loop never recurses.
"""

from __future__ import annotations

import bisect
import os
from pathlib import Path

from rich.markup import escape

from strbench import ui
from strbench.data.base import DatasetFormat, RawSample, SampleSource
from strbench.data.lmdb_format import LmdbSource
from strbench.errors import DataError

#: How deep below the root leaf LMDBs are searched (``data/test/ArT`` is 2 levels deep).
MAX_DEPTH = 4


def leaf_lmdbs(root: Path, max_depth: int = MAX_DEPTH, repeated: list[Path] | None = None) -> list[Path]:
    """Folders holding a ``data.mdb`` below ``root`` (not ``root`` itself), sorted by path. A folder
    whose real path was already walked is not entered again; it is appended to ``repeated``."""
    found = []
    seen: set[str] = set()
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root, followlinks=True):
        here = Path(folder)
        real = os.path.realpath(here)
        if real in seen:
            if repeated is not None:
                repeated.append(here)
            dirs.clear()
            continue
        seen.add(real)
        if here != root and "data.mdb" in files:
            found.append(here)
            dirs.clear()  # an LMDB folder holds no further datasets
            continue
        if len(here.parts) - base_depth >= max_depth:
            dirs.clear()
        dirs.sort()
    return sorted(found)


class ConcatSource(SampleSource):
    """Several sources read as one, in order; keys are prefixed with the part's name."""

    def __init__(self, location: str, parts: list[tuple[str, SampleSource]]) -> None:
        self.location = location
        self.parts = parts
        self._starts: list[int] = []
        total = 0
        for _, source in parts:
            self._starts.append(total)
            total += len(source)
        self._n = total

    def __len__(self) -> int:
        return self._n

    def _locate(self, index: int) -> tuple[str, SampleSource, int]:
        if not 0 <= index < self._n:
            raise IndexError(index)
        part = bisect.bisect_right(self._starts, index) - 1
        name, source = self.parts[part]
        return name, source, index - self._starts[part]

    def key(self, index: int) -> str:
        name, source, i = self._locate(index)
        return f"{name}/{source.key(i)}"

    def label(self, index: int) -> str:
        _, source, i = self._locate(index)
        return source.label(i)

    def read(self, index: int) -> RawSample:
        name, source, i = self._locate(index)
        sample = source.read(i)
        return RawSample(f"{name}/{sample.key}", sample.image, sample.label)

    def close(self) -> None:
        for _, source in self.parts:
            source.close()


class LmdbTreeFormat(DatasetFormat):
    name = "lmdb-tree"
    description = "a folder of nested clovaai LMDBs (DTRB/parseq layout); each leaf LMDB is one dataset"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and not (path / "data.mdb").exists() and bool(leaf_lmdbs(path))

    def versions(self, path: Path) -> list[tuple[str, Path]]:
        repeated: list[Path] = []
        leaves = leaf_lmdbs(path, repeated=repeated)
        if not leaves:
            raise DataError(f"{path}: no LMDB (folder with data.mdb) within {MAX_DEPTH} levels below it")
        if repeated:
            shown = ", ".join(str(p.relative_to(path)) for p in repeated[:3]) + (" ..." if len(repeated) > 3 else "")
            ui.warn(escape(f"{path}: {len(repeated)} folder(s) skipped: symbolic links to folders already read "
                           f"(a loop or a second link; no LMDB is read twice): {shown}"))
        return [(leaf.relative_to(path).as_posix(), leaf) for leaf in leaves]

    def open(self, path: Path) -> SampleSource:
        return ConcatSource(str(path), [(name, LmdbSource(leaf)) for name, leaf in self.versions(path)])
