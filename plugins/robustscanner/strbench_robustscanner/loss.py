"""SARLoss: mean cross-entropy of step ``t`` against target ``t + 1``, PAD positions ignored."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sar_loss(logits: torch.Tensor, targets: torch.Tensor, pad_idx: int) -> torch.Tensor:
    """``logits`` ``(B, T, C)`` from teacher forcing on ``targets`` ``(B, T)`` (which start with
    the start token): drop the last step of the logits and the first of the targets."""
    predict = logits[:, :-1, :]
    labels = targets[:, 1:].to(torch.long)
    return F.cross_entropy(predict.reshape(-1, predict.shape[-1]).float(), labels.reshape(-1), ignore_index=pad_idx)
