"""Sharded evaluation on PyTorch's engine, started by ``torchrun``.

``torchrun --nproc-per-node N -m strbench run ...`` (multi-node through torchrun's rendezvous)
gives every process the same run; each evaluates one contiguous shard of every dataset version
(of its ``--limit`` subset), and rank 0 gathers the predictions in sample order, scores them and
writes the one record, equal to a single-process run's (plugins must give each sample the same
prediction whatever batch it is in: the conformance kit checks it). The other ranks write
nothing. Process groups: gloo on CPU, NCCL on CUDA (each rank on ``cuda:LOCAL_RANK``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.distributed as dist

from strbench.data.base import RawSample, SampleSource
from strbench.run.assemble import DatasetRun
from strbench.run.record import Record
from strbench.run.runinfo import RunInfo
from strbench.training.distributed import DistContext, context_from_env, init_distributed, shutdown

__all__ = ["DistContext", "Shard", "context_from_env", "describe_sharding", "distributed_run", "gather_runs", "join",
           "leave", "shard_range", "share"]


def shard_range(total: int, ctx: DistContext) -> range:
    """Rank ``r``'s contiguous share of ``total`` samples (sizes differ by at most one)."""
    return range(total * ctx.rank // ctx.world_size, total * (ctx.rank + 1) // ctx.world_size)


class Shard(SampleSource):
    """The samples ``indices`` of a source; closing it leaves the inner source open."""

    def __init__(self, inner: SampleSource, indices: range) -> None:
        self.inner, self.indices = inner, indices
        self.location = inner.location

    def __len__(self) -> int:
        return len(self.indices)

    def read(self, index: int) -> RawSample:
        return self.inner.read(self.indices[index])

    def key(self, index: int) -> str:
        return self.inner.key(self.indices[index])


@contextlib.contextmanager
def distributed_run(info: RunInfo) -> Iterator[tuple[DistContext, RunInfo]]:
    """A run's whole distributed lifetime, owned here: under torchrun join the process group and
    run on this rank's device (no resume state: shards are not resumed), leave it when the run
    ends, however it ends. A single process gets ``info`` unchanged."""
    ctx = context_from_env()
    try:
        if ctx.enabled:
            info = dataclasses.replace(info, device=join(ctx, info.device), resume=False)
        yield ctx, info
    finally:
        leave(ctx)


def join(ctx: DistContext, device: str) -> str:
    """Join the process group (when started by torchrun); return the device this rank runs on
    (``cuda`` becomes ``cuda:LOCAL_RANK``)."""
    if not ctx.enabled:
        return device
    if device == "cuda":
        device = f"cuda:{ctx.local_rank}"
    init_distributed(ctx, torch.device(device))
    return device


def leave(ctx: DistContext) -> None:
    """Leave the process group joined by :func:`join` (nothing for a single process)."""
    shutdown(ctx)


def gather_runs(ctx: DistContext, runs: Sequence[DatasetRun]) -> list[DatasetRun] | None:
    """On rank 0: every version's predictions from all ranks, in sample order (model seconds
    summed, wall seconds the slowest rank's); ``None`` on the other ranks."""
    payload = [(list(r.predictions), r.model_seconds, r.wall_seconds) for r in runs]
    gathered: list[Any] | None = [None] * ctx.world_size if ctx.is_main else None
    dist.gather_object(payload, gathered, dst=0)
    if gathered is None:
        return None
    merged = []
    for i, run in enumerate(runs):
        parts = [rank_payload[i] for rank_payload in gathered]
        preds = [p for part in parts for p in part[0]]
        merged.append(DatasetRun(run.located, preds, sum(part[1] for part in parts),
                                 max(part[2] for part in parts), synthetic=run.synthetic))
    return merged


def share(ctx: DistContext, value: Any) -> Any:
    """Rank 0's ``value`` on every rank (the record path and record at the end of a run)."""
    box = [value if ctx.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def describe_sharding(record: Record, ctx: DistContext) -> None:
    """Say in the record that ``ctx.world_size`` processes shared the samples, and that speed (if
    measured) comes from rank 0 alone."""
    record.runtime.extra["distributed"] = {"world_size": ctx.world_size, "sharding": "contiguous per version",
                                           "backend": dist_backend()}
    if record.perf is not None:
        record.perf.system["world_size"] = ctx.world_size
        record.perf.system["measured_by"] = "rank 0 alone, after the sharded accuracy pass"


def dist_backend() -> str:
    return str(dist.get_backend()) if dist.is_initialized() else "none"
