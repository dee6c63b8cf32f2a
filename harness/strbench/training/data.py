"""Training data plumbing: several datasets as one source, the epoch order, dropping samples."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import torch

from strbench.data.base import RawSample, SampleSource
from strbench.plugin.types import Batch


class SpreadSubset(SampleSource):
    """At most ``limit`` samples of ``source``, evenly spaced through it (the same ones every time),
    so a validation set ordered by origin is sampled across all of it."""

    def __init__(self, source: SampleSource, limit: int) -> None:
        self.source = source
        self.location = source.location
        n = len(source)
        self.indices = [i * n // limit for i in range(limit)] if 0 < limit < n else list(range(n))

    def __len__(self) -> int:
        return len(self.indices)

    def read(self, index: int) -> RawSample:
        return self.source.read(self.indices[index])

    def label(self, index: int) -> str:
        return self.source.label(self.indices[index])

    def key(self, index: int) -> str:
        return self.source.key(self.indices[index])

    def close(self) -> None:
        self.source.close()

class ConcatSource(SampleSource):
    """Several sources seen as one; indices run through them in order."""

    def __init__(self, sources: Sequence[SampleSource]) -> None:
        self.sources = list(sources)
        self.location = " + ".join(s.location for s in self.sources)
        self._ends: list[int] = []
        total = 0
        for source in self.sources:
            total += len(source)
            self._ends.append(total)

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def _locate(self, index: int) -> tuple[SampleSource, int]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        which = bisect.bisect_right(self._ends, index)
        start = self._ends[which - 1] if which else 0
        return self.sources[which], index - start

    def origin(self, index: int) -> tuple[SampleSource, int]:
        """The source sample ``index`` comes from and its index there (a repeated source is one)."""
        return self._locate(index)

    def read(self, index: int) -> RawSample:
        source, local = self._locate(index)
        return source.read(local)

    def label(self, index: int) -> str:
        source, local = self._locate(index)
        return source.label(local)

    def key(self, index: int) -> str:
        source, local = self._locate(index)
        return source.key(local)

    def close(self) -> None:
        """Close each distinct source once (a source may appear several times)."""
        for source in {id(s): s for s in self.sources}.values():
            source.close()


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The generator that fixes the sample order of ``epoch`` (independent of the global RNG)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def epoch_order(num_samples: int, seed: int, epoch: int) -> list[int]:
    """The shuffled sample indices of ``epoch``: a pure function of ``(seed, epoch)``."""
    return torch.randperm(num_samples, generator=epoch_generator(seed, epoch)).tolist()


def select(batch: Batch, keep: torch.Tensor) -> Batch:
    """The samples of ``batch`` where ``keep`` is true."""
    rows = keep.nonzero().flatten().tolist()
    images = batch.images[keep] if batch.images is not None else None
    ratios = batch.valid_ratios[keep] if batch.valid_ratios is not None else None
    raw = [batch.raw[i] for i in rows] if batch.raw is not None else None
    return Batch(keys=[batch.keys[i] for i in rows], images=images, valid_ratios=ratios, raw=raw)


def to_device(value: Any, device: torch.device) -> Any:
    """Move tensors (also inside tuples, lists and dicts) to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, tuple | list):
        return type(value)(to_device(v, device) for v in value)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    return value


def leading_size(value: Any) -> int | None:
    """The batch size of ``targets`` when it is a tensor (or a tuple/list of tensors); else ``None``."""
    if isinstance(value, torch.Tensor):
        return value.shape[0] if value.dim() else None
    if isinstance(value, tuple | list) and value and isinstance(value[0], torch.Tensor):
        return leading_size(value[0])
    return None
