"""Training shared by algorithm plugins.

A plugin describes its model, label encoding and loss as a :class:`TrainTask`; :func:`train`
runs the rest from a :class:`TrainConfig`: seeded data order, Adam/AdamW with constant or
piecewise learning rate, mixed precision on CUDA, gradient clipping, periodic validation,
checkpoints that resume exactly, and initialisation from weights. Modules: ``config``
(settings), ``task`` (the plugin's side), ``schedule`` (optimizer and LR), ``data`` (order,
sources), ``checkpoint`` (state and RNG), ``loop`` (the loop itself).

``TrainConfig`` and the recipes import without torch; the rest loads torch on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strbench.lazy import lazy_exports
from strbench.training.config import TrainConfig

if TYPE_CHECKING:
    from strbench.training.checkpoint import seed_everything
    from strbench.training.loop import train
    from strbench.training.task import TrainTask

_LAZY = {
    "seed_everything": "strbench.training.checkpoint",
    "train": "strbench.training.loop",
    "TrainTask": "strbench.training.task",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = ["TrainConfig", "TrainTask", "seed_everything", "train"]
