"""What an algorithm plugin implements to be trained by :func:`strbench.training.train`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch

from strbench.plugin.types import Batch, InputSpec

if TYPE_CHECKING:
    from strbench.plugin.algorithm import Recognizer
    from strbench.training.config import TrainConfig


@runtime_checkable
class TrainTask(Protocol):
    """One model being trained, with its label encoding and loss.

    The loop moves :attr:`model` to the training device before calling anything else, so
    :meth:`make_recognizer` sees the model where it will run. A plugin may subclass this protocol
    to inherit the default :meth:`param_groups`.
    """

    model: torch.nn.Module
    input_spec: InputSpec

    def encode(self, labels: list[str]) -> tuple[Any, torch.Tensor]:
        """Encode raw ``labels``; return ``(targets, keep)``.

        ``keep`` is a bool tensor over ``labels``: ``False`` marks labels the algorithm cannot
        train on (empty, too long, no character in the charset ...); the loop drops those samples
        from the batch and counts them. ``targets`` (CPU tensors, or a tuple/list/dict of them)
        cover the kept labels only, in order.
        """
        ...

    def training_step(self, batch: Batch, targets: Any) -> torch.Tensor:
        """Run the model on ``batch`` (kept samples, on the training device) and return the
        scalar loss; ``targets`` are on the same device."""
        ...

    def loss_tokens(self, targets: Any) -> int | None:
        """How many label tokens the loss of :meth:`training_step` on ``targets`` sums over, so the
        loop logs a per-token mean whatever the reduction; ``None``: the loss is already a mean."""
        return None

    def param_groups(self, cfg: TrainConfig) -> list[dict[str, Any]] | None:
        """Optimizer parameter groups (e.g. ``{"params": tps_params, "lr": cfg.lr * 0.1}``);
        ``None``: all parameters at ``cfg.lr``. Every trainable parameter must be in one group."""
        return None

    def make_recognizer(self) -> Recognizer:
        """An eval-mode :class:`strbench.Recognizer` sharing :attr:`model`, used for validation."""
        ...
