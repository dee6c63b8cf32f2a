"""Predictions spooled to disk as they come, so a 400,000-sample set runs in bounded memory.

Each evaluated dataset streams its predictions, batch by batch, into a JSON-lines spool file in
a hidden folder of the results directory. The run keeps only a :class:`StoredPredictions`
handle per dataset (count and file), which the end of the run reads back once, scoring and
writing the record's predictions file in the same pass; the spool folder is removed when the
run ends.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from strbench.run.scoring import SamplePrediction


class StoredPredictions(Collection[SamplePrediction]):
    """The predictions of one dataset, read back from its spool file on every iteration."""

    def __init__(self, path: Path, count: int) -> None:
        self.path, self.count = path, count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[SamplePrediction]:
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                yield SamplePrediction.from_json(json.loads(line))

    def __contains__(self, item: object) -> bool:
        return any(p == item for p in self)


def spool_line(p: SamplePrediction) -> str:
    """One prediction as a spool line (without the newline)."""
    return json.dumps(p.to_json(""), ensure_ascii=False)


class SpoolWriter:
    """Appends one dataset's predictions to its spool file, flushed after every batch; ``mirror``
    (the resume state) gets each batch's lines once they are in the spool."""

    def __init__(self, path: Path, mirror: Callable[[list[str]], None] | None = None) -> None:
        self.path = path
        self.count = 0
        self.mirror = mirror
        self._fh: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in finish()

    def write(self, batch: list[SamplePrediction]) -> None:
        self.write_lines([spool_line(p) for p in batch])

    def write_lines(self, lines: list[str]) -> None:
        for line in lines:
            self._fh.write(line + "\n")
        self._fh.flush()
        self.count += len(lines)
        if self.mirror is not None:
            self.mirror(lines)

    def finish(self) -> StoredPredictions:
        self._fh.close()
        return StoredPredictions(self.path, self.count)

    def discard(self) -> None:
        """Close and remove the spool file (an incomplete version, not used)."""
        self._fh.close()
        self.path.unlink(missing_ok=True)


class PredictionSpool:
    """A hidden spool folder in ``results_dir`` for one run; a context manager that removes it."""

    def __init__(self, results_dir: Path) -> None:
        results_dir.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=".spool-", dir=results_dir))
        self._n = 0

    def writer(self, mirror: Callable[[list[str]], None] | None = None) -> SpoolWriter:
        self._n += 1
        return SpoolWriter(self.folder / f"{self._n:04d}.jsonl", mirror)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PredictionSpool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
