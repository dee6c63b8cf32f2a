"""Training shared by algorithm plugins.

A plugin describes its model, label encoding and loss as a :class:`TrainTask`; :func:`train`
runs the rest from a :class:`TrainConfig`: seeded data order, Adam/AdamW with constant or
piecewise learning rate, mixed precision on CUDA, gradient clipping, periodic validation,
checkpoints that resume exactly, and initialisation from weights. Modules: ``config``
(settings), ``task`` (the plugin's side), ``schedule`` (optimizer and LR), ``data`` (order,
sources), ``checkpoint`` (state and RNG), ``loop`` (the loop itself).
"""

from strbench.training.checkpoint import seed_everything
from strbench.training.config import TrainConfig
from strbench.training.loop import train
from strbench.training.task import TrainTask

__all__ = ["TrainConfig", "TrainTask", "seed_everything", "train"]
