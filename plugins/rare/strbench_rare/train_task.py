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

from strbench.algorithm import Recognizer
from strbench.training import TrainConfig
from strbench.types import Batch, Variant
from strbench_rare.labels import encode_batch
from strbench_rare.model import RareModel

TPS_LR_MULTIPLIER = 0.1
TPS_SLOW_PARAMS = ("transform.loc_net.fc1.weight", "transform.loc_net.fc2.weight", "transform.loc_net.fc2.bias")


def training_defaults(variant: str) -> dict[str, Any]:
    """PaddleOCR's settings for ``variant`` as :class:`strbench.training.TrainConfig` fields."""
    return {
        "optimizer": "adam",
        "lr": 5e-4,
        "betas": (0.9, 0.999),
        "weight_decay": 1e-5 if variant == "mv3" else 0.0,
        "lr_schedule": "constant",
        "batch_size": 256,
        "epochs": 72 if variant == "mv3" else 400,
        "eval_every": 2000,
        "val_protocol": "lower36",
    }


def attention_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Summed cross entropy over all ``(B, 25)`` positions (no mean, no ignored index)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction="sum")


class RareTrainTask:
    """The :class:`strbench.training.TrainTask` for a RARE model."""

    def __init__(self, model: RareModel, variant: Variant) -> None:
        self.model = model
        self.variant = variant
        self.input_spec = variant.input_spec

    def encode(self, labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        targets, kept = encode_batch(labels)
        keep = torch.zeros(len(labels), dtype=torch.bool)
        keep[kept] = True
        return targets, keep

    def training_step(self, batch: Batch, targets: torch.Tensor) -> torch.Tensor:
        return attention_loss(self.model(batch.images), targets)

    def param_groups(self, cfg: TrainConfig) -> list[dict[str, Any]]:
        slow, normal = [], []
        for name, param in self.model.named_parameters():
            if param.requires_grad:
                (slow if name in TPS_SLOW_PARAMS else normal).append(param)
        return [{"params": normal}, {"params": slow, "lr": cfg.lr * TPS_LR_MULTIPLIER}]

    def make_recognizer(self) -> Recognizer:
        from strbench_rare.recognizer import RareRecognizer

        device = str(next(self.model.parameters()).device)
        return RareRecognizer(self.model, self.variant, device, fast=False)
