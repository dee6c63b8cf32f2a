"""The RARE network: TPS -> backbone -> BiLSTM -> attention head (PaddleOCR's ``BaseModel``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from strbench_rare.labels import NUM_CLASSES
from strbench_rare.mobilenet_v3 import MobileNetV3
from strbench_rare.resnet_vd import ResNetVd
from strbench_rare.sequence import MAX_STEPS, AttentionHead, SequenceEncoder
from strbench_rare.tps import TPS


@dataclass(frozen=True)
class Architecture:
    """What differs between the two PaddleOCR RARE configs."""

    backbone: str  # "mv3" or "r34"
    loc_net: str  # TPS localisation network size: "small" or "large"
    hidden_size: int  # BiLSTM and attention GRU hidden size
    num_fiducial: int = 20
    num_classes: int = NUM_CLASSES
    steps: int = MAX_STEPS


ARCHITECTURES = {
    "mv3": Architecture(backbone="mv3", loc_net="small", hidden_size=96),
    "r34": Architecture(backbone="r34", loc_net="large", hidden_size=256),
}


class RareModel(nn.Module):
    """``(B, 3, 32, 100)`` BGR images in [-1, 1] -> ``(B, 25, 38)`` logits (train) / probabilities (eval)."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        self.transform = TPS(3, arch.num_fiducial, arch.loc_net)
        self.backbone = MobileNetV3(3, scale=0.5) if arch.backbone == "mv3" else ResNetVd(3, layers=34)
        self.neck = SequenceEncoder(self.backbone.out_channels, arch.hidden_size)
        self.head = AttentionHead(self.neck.out_channels, arch.hidden_size, arch.num_classes, arch.steps)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Rectify, extract and encode: ``(B, 3, 32, 100)`` -> ``(B, 25, neck.out_channels)``."""
        return self.neck(self.backbone(self.transform(images)))

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        """Logits or probabilities; ``targets`` switches the decoder to teacher forcing."""
        return self.head(self.encode(images), targets)


def build_model(variant: str) -> RareModel:
    """A freshly initialised RARE model for ``variant`` (``mv3`` or ``r34``)."""
    if variant not in ARCHITECTURES:
        raise ValueError(f"unknown RARE variant {variant!r}; choose one of {', '.join(ARCHITECTURES)}")
    return RareModel(ARCHITECTURES[variant])
