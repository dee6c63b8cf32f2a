"""Training RARE with :func:`strbench.training.train`, following PaddleOCR's recipe.

Defaults (``rec_mv3_tps_bilstm_att.yml`` / ``rec_r34_vd_tps_bilstm_att.yml``): Adam (0.9, 0.999),
constant LR 5e-4, coupled L2 1e-5 (mv3) or 0 (r34), batch 256, 72 / 400 epochs. The TPS
localisation ``fc1.weight``, ``fc2.weight`` and ``fc2.bias`` learn at 0.1 x LR; the grid
generator's ``fc`` (ex_fc) is frozen. The head decodes greedily during training too (PaddleOCR
calls RARE's model without targets), and the loss is PaddleOCR's ``AttentionLoss``: cross
entropy summed over every sample and all 25 steps against ``[sos, chars, eos, sos, ...]``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from strbench import Batch, Recognizer, TrainConfig, TrainTask, Variant
from strbench_rare.labels import EOS, NUM_CLASSES, SOS, encode_batch
from strbench_rare.model import RareModel

TPS_LR_MULTIPLIER = 0.1
TPS_SLOW_PARAMS = ("transform.loc_net.fc1.weight", "transform.loc_net.fc2.weight", "transform.loc_net.fc2.bias")


def attention_loss(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """Cross entropy of ``(B, 25, C)`` logits against ``(B, 25)`` targets.

    ``sum`` (PaddleOCR's ``AttentionLoss``): summed over every sample and all 25 positions,
    padding included. ``token-mean``: the mean over the positions up to and including each
    label's ``eos`` (padding ignored), so the loss does not shrink as short labels add padding.
    """
    flat_logits = logits.reshape(-1, logits.shape[-1]).float()
    if reduction == "sum":
        return F.cross_entropy(flat_logits, targets.reshape(-1), reduction="sum")
    if reduction == "token-mean":
        return F.cross_entropy(flat_logits, valid_targets(targets).reshape(-1), ignore_index=IGNORE)
    raise ValueError(f"unknown loss_reduction {reduction!r}; choose sum or token-mean")


IGNORE = -100


def valid_targets(targets: torch.Tensor) -> torch.Tensor:
    """``targets`` with every position after the first ``eos`` set to :data:`IGNORE`."""
    is_eos = (targets == EOS).long()
    after_eos = (torch.cumsum(is_eos, dim=1) - is_eos) > 0
    return targets.masked_fill(after_eos, IGNORE)


def ctc_targets(targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenated character ids (``1..36``, CTC blank 0) and lengths from attention targets."""
    chars = (targets != SOS) & (targets != EOS)
    return targets[chars], chars.sum(dim=1)


class AuxiliaryCTC(nn.Module):
    """A linear CTC classifier on the BiLSTM output, used only while training.

    It gives the encoder a per-column character signal from the first step, which the attention
    decoder's alignment otherwise has to discover on its own; it is never part of the weights.
    """

    def __init__(self, in_channels: int, num_classes: int = NUM_CLASSES - 1) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def loss(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_probs = F.log_softmax(self.fc(features).float(), dim=2).transpose(0, 1)  # (T, B, C)
        flat, lengths = ctc_targets(targets)
        input_lengths = torch.full((features.shape[0],), features.shape[1], dtype=torch.long)
        return F.ctc_loss(log_probs, flat, input_lengths, lengths, blank=0, zero_infinity=True)


class RareTrainTask(TrainTask):
    """The :class:`strbench.training.TrainTask` for a RARE model.

    Settings read from the :class:`strbench.training.TrainConfig`: ``teacher_forcing``,
    ``loss_reduction`` and ``aux_ctc_weight`` (all off/``sum`` in PaddleOCR's recipe).
    """

    def __init__(self, model: RareModel, variant: Variant, cfg: TrainConfig | None = None) -> None:
        self.model = model
        self.variant = variant
        self.input_spec = variant.input_spec
        self.cfg = cfg or TrainConfig()
        self.auxiliary = (
            AuxiliaryCTC(model.neck.out_channels) if self.cfg.aux_ctc_weight > 0 else None
        )

    def encode(self, labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        targets, kept = encode_batch(labels)
        keep = torch.zeros(len(labels), dtype=torch.bool)
        keep[kept] = True
        return targets, keep

    def training_step(self, batch: Batch, targets: torch.Tensor) -> torch.Tensor:
        features = self.model.encode(batch.images)
        logits = self.model.head(features, targets if self.cfg.teacher_forcing else None)
        loss = attention_loss(logits, targets, self.cfg.loss_reduction)
        if self.auxiliary is not None:
            loss = loss + self.cfg.aux_ctc_weight * self.auxiliary.loss(features, targets)
        return loss

    def loss_tokens(self, targets: torch.Tensor) -> int | None:
        """``sum`` adds the cross entropy of every sample's 25 positions (padding included)."""
        return int(targets.numel()) if self.cfg.loss_reduction == "sum" else None

    def param_groups(self, cfg: TrainConfig) -> list[dict[str, Any]]:
        slow: list[torch.nn.Parameter] = []
        normal: list[torch.nn.Parameter] = []
        for name, param in self.model.named_parameters():
            if param.requires_grad:
                (slow if name in TPS_SLOW_PARAMS else normal).append(param)
        if self.auxiliary is not None:
            normal.extend(self.auxiliary.parameters())
        return [{"params": normal}, {"params": slow, "lr": cfg.lr * TPS_LR_MULTIPLIER}]

    def make_recognizer(self) -> Recognizer:
        from strbench_rare.recognizer import RareRecognizer

        device = str(next(self.model.parameters()).device)
        return RareRecognizer(self.model, self.variant, device, fast=False)
