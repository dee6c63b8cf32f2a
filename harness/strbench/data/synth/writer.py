"""Generate samples in worker processes and write them, in index order, to a clovaai LMDB.

Workers render chunks of consecutive indices (``Pool.imap``, ordered); the parent writes each
chunk in one transaction, doubling the map size on ``MapFullError``, into ``<dest>.partial``,
then moves the files into place (a failed or interrupted generation removes ``<dest>.partial``).
Because every sample depends only on (seed, index), the LMDB is byte-identical whatever the
worker count. A ``synth-meta.json`` beside ``data.mdb`` records how
the set was made (the LMDB itself holds only the clovaai keys, so every reader and
``strbench data validate`` accept it).
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import lmdb

from strbench.data.convert import INITIAL_MAP_SIZE, LMDB_FILES, move_into, partial_dest, put_growing
from strbench.data.lmdb_format import image_key, label_key
from strbench.data.synth.render import Renderer

GENERATOR_VERSION = "1"
META_FILE = "synth-meta.json"
CHUNK = 128

_renderer: Renderer | None = None


@dataclass
class SynthReport:
    """What one generation wrote."""

    dest: Path
    written: int
    seconds: float
    map_size: int


def _init_worker(renderer: Renderer | None) -> None:
    global _renderer
    cv2.setNumThreads(1)
    if renderer is not None:  # not forked: the renderer came pickled
        _renderer = renderer


def _render_chunk(bounds: tuple[int, int]) -> list[tuple[str, bytes]]:
    assert _renderer is not None
    return [_renderer.sample(i) for i in range(*bounds)]


def _chunks(start: int, count: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(start, start + count, size):
        yield lo, min(lo + size, start + count)


class RenderPool:
    """Worker processes that render chunks of samples in index order; ``workers <= 1`` renders in
    this process. Reuse one pool for several ranges to keep the workers' glyph caches warm."""

    def __init__(self, renderer: Renderer, workers: int = 1, chunk: int = CHUNK) -> None:
        self.renderer = renderer
        self.workers = workers
        self.chunk = chunk
        self._pool: Any = None  # a multiprocessing pool while inside the with block

    def __enter__(self) -> RenderPool:
        global _renderer
        if self.workers > 1:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
            forked = ctx.get_start_method() == "fork"
            _renderer = self.renderer  # inherited by forked workers
            try:
                self._pool = ctx.Pool(self.workers, initializer=_init_worker,
                                      initargs=(None if forked else self.renderer,))
            finally:
                _renderer = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def samples(self, start: int, count: int) -> Iterator[tuple[str, bytes]]:
        """Label and image of samples ``start .. start+count-1``, in index order."""
        if self._pool is None:
            threads = cv2.getNumThreads()
            cv2.setNumThreads(1)
            try:
                for i in range(start, start + count):
                    yield self.renderer.sample(i)
            finally:
                cv2.setNumThreads(threads)
            return
        for samples in self._pool.imap(_render_chunk, _chunks(start, count, self.chunk)):
            yield from samples


def iter_samples(renderer: Renderer, count: int, workers: int = 1, start: int = 0) -> Iterator[tuple[str, bytes]]:
    """Samples ``start .. start+count-1`` in index order, rendered by ``workers`` processes."""
    with RenderPool(renderer, workers) as pool:
        yield from pool.samples(start, count)


def write_synth_lmdb(dest: Path, renderer: Renderer, count: int, *, workers: int = 1, start: int = 0,
                     overwrite: bool = False, meta: dict | None = None, pool: RenderPool | None = None,
                     advance: Callable[[int], None] | None = None) -> SynthReport:
    """Render samples ``start .. start+count-1`` into a new clovaai LMDB at ``dest`` (keys 1..count in
    index order), with ``workers`` processes or an open ``pool``."""
    dest = Path(dest)
    map_size = max(INITIAL_MAP_SIZE, 1 << (count * 4096).bit_length())
    started = time.perf_counter()
    written = 0
    with partial_dest(dest, overwrite, extra_files=(META_FILE,)) as partial:
        env = lmdb.open(str(partial), map_size=map_size, subdir=True, lock=True)
        try:
            pending: list[tuple[bytes, bytes]] = []
            stream = pool.samples(start, count) if pool is not None else iter_samples(renderer, count, workers, start)
            for label, image in stream:
                written += 1
                pending += [(image_key(written), image), (label_key(written), label.encode("ascii"))]
                if len(pending) >= 2 * 1000:
                    map_size = put_growing(env, pending, map_size)
                    if advance:
                        advance(len(pending) // 2)
                    pending = []
            if advance and pending:
                advance(len(pending) // 2)
            pending.append((b"num-samples", str(written).encode("ascii")))
            map_size = put_growing(env, pending, map_size)
            env.sync()
        finally:
            env.close()
        seconds = time.perf_counter() - started
        record = {"generator": "strbench data synth", "generator_version": GENERATOR_VERSION, "count": written,
                  "first_index": start,
                  "options": asdict(renderer.options), "fonts": len(renderer.faces),
                  "font_families": len(renderer.families), "word_list_sizes": [len(w) for w in renderer.words],
                  "backgrounds": len(renderer.backgrounds), **(meta or {})}
        (partial / META_FILE).write_text(json.dumps(record, indent=1) + "\n")
        move_into(partial, dest, (*LMDB_FILES, META_FILE))
    return SynthReport(dest=dest, written=written, seconds=seconds, map_size=map_size)
