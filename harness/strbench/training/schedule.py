"""Optimizer and learning-rate schedule built from a :class:`TrainConfig`."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import Any

import torch

from strbench.errors import PluginError
from strbench.training.config import TrainConfig


def make_optimizer(
    model: torch.nn.Module, groups: list[dict[str, Any]] | None, cfg: TrainConfig
) -> torch.optim.Optimizer:
    """Adam (coupled L2 ``weight_decay``) or AdamW (decoupled) over ``groups`` or all trainable
    parameters of ``model`` (which includes any training-only auxiliary modules)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    if groups is None:
        groups = [{"params": trainable}]
    else:
        grouped = {id(p) for g in groups for p in g["params"]}
        missing = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in grouped]
        if missing:
            raise PluginError(
                f"param_groups() leaves {len(missing)} trainable parameters out of every group "
                f"(e.g. {', '.join(missing[:5])}); put them in a group or set requires_grad=False"
            )
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(groups, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay)


def lr_factor(cfg: TrainConfig, steps_per_epoch: int, total_steps: int | None = None) -> Callable[[int], float]:
    """The LR multiplier (relative to ``cfg.lr``) as a function of the optimizer step."""
    if cfg.lr_schedule == "constant":
        return _constant
    if cfg.lr_schedule == "cosine":
        return _cosine(cfg.warmup_steps, total_steps or cfg.epochs * steps_per_epoch, cfg.min_lr_ratio)
    boundaries = [round(epochs * steps_per_epoch) for epochs in cfg.lr_boundaries_epochs]
    factors = [value / cfg.lr for value in cfg.lr_values]

    def piecewise(step: int) -> float:
        return factors[bisect.bisect_right(boundaries, step)]

    return piecewise


def _constant(step: int) -> float:
    return 1.0


def _cosine(warmup: int, total: int, floor: float) -> Callable[[int], float]:
    def cosine(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return cosine


def make_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int, total_steps: int | None = None
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step scheduler: call ``step()`` after every optimizer step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(cfg, steps_per_epoch, total_steps))
