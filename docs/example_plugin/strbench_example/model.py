"""A deliberately small CRNN: three conv blocks, a linear CTC head."""

from __future__ import annotations

import torch
from torch import nn


class TinyCrnn(nn.Module):
    """``(N, 1, 32, W)`` -> ``(N, W / 4, num_classes)`` logits."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Linear(64, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.features(images).mean(dim=2)  # N, C, W/4
        return self.head(features.transpose(1, 2))
