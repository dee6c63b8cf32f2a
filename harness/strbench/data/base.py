"""Dataset format and sample-source interfaces.

A :class:`SampleSource` is an indexable collection of ``(key, encoded image bytes, label)``
records. Reading never substitutes another sample: a record that cannot be read raises
:class:`strbench.SampleError` naming it, and the loader counts it as a reported skip.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RawSample:
    """One stored sample: a stable key (file path or LMDB index), encoded image bytes, label text."""

    key: str
    image: bytes
    label: str


class SampleSource(ABC):
    """Random access to the samples of one dataset (one label file or one LMDB)."""

    #: Human-readable location (folder, label file or LMDB path) used in error messages.
    location: str

    @abstractmethod
    def __len__(self) -> int:
        """Number of samples the source declares."""

    @abstractmethod
    def read(self, index: int) -> RawSample:
        """Return sample ``index`` (0-based) or raise :class:`strbench.SampleError`."""

    def label(self, index: int) -> str:
        """The label of sample ``index`` without decoding the image (override when cheaper)."""
        return self.read(index).label

    def key(self, index: int) -> str:
        """The stable key of sample ``index``."""
        return self.read(index).key

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release file handles (sources must also reopen lazily after pickling to workers)."""


class DatasetFormat(ABC):
    """A storage format: recognises a path and opens it as a :class:`SampleSource`."""

    name: str
    description: str

    @abstractmethod
    def detect(self, path: Path) -> bool:
        """True if ``path`` is a dataset of this format."""

    @abstractmethod
    def open(self, path: Path) -> SampleSource:
        """Open ``path``; raise :class:`strbench.DataError` with the fix when it is unusable."""

    def open_rooted(self, path: Path, root: Path) -> SampleSource:
        """Open ``path`` with image paths relative to ``root`` (``--dataset-root``); formats
        without image paths refuse."""
        from strbench.errors import UsageError

        raise UsageError(f"format {self.name!r} ({path}) has no image paths to resolve; drop --dataset-root")

    def versions(self, path: Path) -> list[tuple[str, Path]] | None:
        """The separately scored datasets below ``path`` as ``(relative name, path)``, for a
        format whose path holds several (a root of LMDBs); ``None``: ``path`` is one dataset."""
        return None
