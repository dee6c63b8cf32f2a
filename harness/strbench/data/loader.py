"""Open datasets and iterate them as preprocessed batches.

Image decoding and preprocessing run in DataLoader worker processes. A sample that cannot be
read or decoded never aborts the run and is never replaced: it travels with the batch as a
``(key, reason)`` skip, which the caller counts and reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from strbench.data.base import DatasetFormat, SampleSource
from strbench.data.preprocess import collate_prepared, decode_image, prepare
from strbench.errors import DataError, SampleError, UsageError
from strbench.plugin.types import Batch, InputSpec

if TYPE_CHECKING:
    import torch

WORKER_TIMEOUT_S = 600
Augment = Callable[[np.ndarray, int, int], np.ndarray]
#: ``perturb(rgb, sample_key)``: a test-time corruption (``strbench.data.perturb.Perturbation``)
Perturb = Callable[[np.ndarray, str], np.ndarray]


def dataset_format(path: str | Path, formats: Iterable[DatasetFormat] | Mapping[str, DatasetFormat] | None = None,
                   forced: str | None = None) -> DatasetFormat:
    """The format of ``path``: ``forced`` (``--format NAME``) or the first of ``formats`` (default:
    the current plugin host's) that recognises it. A path no format recognises is an error, never
    read as some format with every sample skipped."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"dataset not found: {path}")
    if formats is None:
        from strbench.plugin.host import current_host

        formats = current_host().dataset_formats()
    candidates = list(formats.values() if isinstance(formats, Mapping) else formats)
    if forced is not None:
        named = {f.name: f for f in candidates}
        if forced not in named:
            raise UsageError(f"unknown --format {forced!r}; available: {', '.join(named)}")
        return named[forced]
    for fmt in candidates:
        if fmt.detect(path):
            return fmt
    names = ", ".join(f.name for f in candidates)
    raise DataError(f"{path}: not a dataset in any known format ({names}); expected e.g. an LMDB folder "
                    f"(data.mdb), a 'path<TAB>label' file / a folder with gt.txt, or an annotation file "
                    f"(docs/datasets.md lists every format); force one with --format NAME")


def open_dataset(path: str | Path, formats: Iterable[DatasetFormat] | Mapping[str, DatasetFormat] | None = None,
                 forced: str | None = None) -> SampleSource:
    """Open ``path`` with the first of ``formats`` that recognises it (default: the dataset formats
    of the current plugin host, :func:`strbench.plugin.host.current_host`: LMDB, folder/label
    file and any a plugin registers), or with the format named ``forced``."""
    return dataset_format(path, formats, forced).open(Path(path))


@dataclass
class LoadedBatch:
    """One batch: the model input, the raw labels, source indices and the samples skipped in it."""

    batch: Batch
    labels: list[str]
    indices: list[int]
    skipped: list[tuple[str, str]] = field(default_factory=list)


class _SampleDataset:
    """A map-style dataset (``__len__``, ``__getitem__``: all a DataLoader needs)."""

    def __init__(self, source: SampleSource, spec: InputSpec, indices: Sequence[int], *,
                 augment: Augment | None = None, epoch: int = 0, perturb: Perturb | None = None) -> None:
        self.source, self.spec, self.indices = source, spec, list(indices)
        self.augment, self.epoch, self.perturb = augment, epoch, perturb

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        index = self.indices[i]
        try:
            sample = self.source.read(index)
            rgb = decode_image(sample.image, sample.key)
            if self.perturb is not None:
                rgb = self.perturb(rgb, sample.key)
            if self.augment is not None:
                rgb = self.augment(rgb, self.epoch, index)
            return ("ok", index, sample.key, sample.label, prepare(rgb, self.spec))
        except SampleError as exc:
            return ("skip", index, exc.key, exc.reason, None)
        except Exception as exc:  # a preprocessing bug must name the sample, not kill the worker
            key = _safe_key(self.source, index)
            return ("skip", index, key, f"preprocessing failed: {type(exc).__name__}: {exc}", None)


def _safe_key(source: SampleSource, index: int) -> str:
    try:
        return source.key(index)
    except Exception:
        return f"#{index}"


class _Collate:
    def __init__(self, spec: InputSpec) -> None:
        self.spec = spec

    def __call__(self, items: list[tuple[Any, ...]]) -> LoadedBatch:
        ok = [it for it in items if it[0] == "ok"]
        skipped = [(it[2], it[3]) for it in items if it[0] == "skip"]
        batch = collate_prepared([it[2] for it in ok], [it[4] for it in ok], self.spec)
        return LoadedBatch(batch=batch, labels=[it[3] for it in ok], indices=[it[1] for it in ok], skipped=skipped)


def make_loader(
    source: SampleSource,
    input_spec: InputSpec,
    *,
    batch_size: int,
    shuffle: bool = False,
    workers: int = 0,
    seed: int = 0,
    drop_last: bool = False,
    indices: Sequence[int] | None = None,
    generator: torch.Generator | None = None,
    augment: Augment | None = None,
    epoch: int = 0,
    perturb: Perturb | None = None,
) -> torch.utils.data.DataLoader:
    """A DataLoader yielding :class:`LoadedBatch` objects over ``source`` (or ``indices`` of it).

    ``augment`` (training only) is called as ``augment(rgb, epoch, source_index)`` on each
    decoded RGB image before preprocessing; it runs in the workers, so it must be picklable.
    ``perturb`` (evaluation under a corruption) is called as ``perturb(rgb, sample_key)`` right
    after decoding, before ``augment`` and preprocessing; picklable too.
    """
    import torch

    dataset = _SampleDataset(source, input_spec, range(len(source)) if indices is None else indices,
                             augment=augment, epoch=epoch, perturb=perturb)
    if generator is None and shuffle:
        generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=workers,
        collate_fn=_Collate(input_spec),
        drop_last=drop_last,
        generator=generator,
        persistent_workers=False,
        timeout=WORKER_TIMEOUT_S if workers > 0 else 0,
    )

