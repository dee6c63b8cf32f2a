"""Data-parallel training on PyTorch's own engine, started by ``torchrun``.

``torchrun --nproc-per-node N -m strbench train ...`` (multi-node through torchrun's rendezvous)
sets ``WORLD_SIZE``/``RANK``/``LOCAL_RANK``; :func:`init_distributed` then joins the process group
(gloo on CPU, NCCL on CUDA). ``batch_size`` is per process, so one optimizer step consumes
``batch_size * world_size`` samples: global batch ``g`` of an epoch is the slice
``order[g * B * W : (g + 1) * B * W]`` of the epoch order, and rank ``r`` takes its ``r``-th
``B`` samples, which is what a single process with batch ``B * W`` would see (see
:func:`rank_indices`).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from strbench.errors import UsageError

#: Validation and checkpoints run on rank 0 while the others wait at the next gradient exchange.
COLLECTIVE_TIMEOUT = datetime.timedelta(hours=3)


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job (``world_size`` 1: not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def context_from_env() -> DistContext:
    """The context torchrun describes through the environment (single process without it)."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError as exc:
        raise UsageError(f"WORLD_SIZE/RANK/LOCAL_RANK must be integers ({exc}); start with torchrun") from None
    return DistContext(rank, world, local)


def init_distributed(ctx: DistContext, device: torch.device) -> None:
    """Join the process group for ``ctx`` on ``device``'s backend (nothing when not distributed)."""
    if not ctx.enabled or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, timeout=COLLECTIVE_TIMEOUT)


def shutdown(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def rank_indices(order: list[int], batch_size: int, ctx: DistContext, skip_batches: int = 0) -> list[int]:
    """This rank's share of ``order``: batch ``g`` is ``order[g*B*W + r*B : g*B*W + (r+1)*B]``,
    for every whole global batch from ``skip_batches`` on."""
    per_step = batch_size * ctx.world_size
    steps = len(order) // per_step
    out: list[int] = []
    for g in range(skip_batches, steps):
        start = g * per_step + ctx.rank * batch_size
        out.extend(order[start : start + batch_size])
    return out


def reduce_sum(values: list[float], ctx: DistContext, device: torch.device) -> list[float]:
    """Element-wise sum of ``values`` over all ranks (the values themselves when not distributed)."""
    if not ctx.enabled:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()
