"""ResNet31 (the SAR / mmocr variant) with PaddleOCR's attribute names, so state-dict keys match.

Input 3x48xW -> 512x6x(W/4): stem of two 3x3 convs (with bias), then four stages of
[max-pool] -> BasicBlocks -> 3x3 conv (with bias) -> BN -> ReLU. Pools: 2x2 (stages 2, 3),
(2,1) (stage 4), none (stage 5), all ``ceil_mode=True``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

BN_EPS = 1e-5


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN (+ residual, projected when channels change) -> ReLU."""

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels, eps=BN_EPS)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels, eps=BN_EPS)
        self.relu = nn.ReLU()
        self.downsample = (
            nn.Sequential(nn.Conv2d(in_channels, channels, 1, 1, bias=False), nn.BatchNorm2d(channels, eps=BN_EPS))
            if in_channels != channels
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        residual = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + residual)


class ResNet31(nn.Module):
    """ResNet31 backbone; ``channels`` has 7 entries (stem x2, stages 2-5, last unused as in Paddle)."""

    def __init__(
        self,
        in_channels: int = 3,
        layers: Sequence[int] = (1, 2, 5, 3),
        channels: Sequence[int] = (64, 128, 256, 256, 512, 512, 512),
    ) -> None:
        super().__init__()
        if len(layers) != 4 or len(channels) != 7:
            raise ValueError("ResNet31 needs 4 stage depths and 7 channel counts")
        self.conv1_1 = nn.Conv2d(in_channels, channels[0], 3, 1, 1)
        self.bn1_1 = nn.BatchNorm2d(channels[0], eps=BN_EPS)
        self.conv1_2 = nn.Conv2d(channels[0], channels[1], 3, 1, 1)
        self.bn1_2 = nn.BatchNorm2d(channels[1], eps=BN_EPS)
        pools: dict[int, nn.Module | None] = {
            2: nn.MaxPool2d(2, 2, ceil_mode=True),
            3: nn.MaxPool2d(2, 2, ceil_mode=True),
            4: nn.MaxPool2d((2, 1), (2, 1), ceil_mode=True),
            5: None,
        }
        for stage, depth in zip(range(2, 6), layers):
            c_in, c_out = channels[stage - 1], channels[stage]
            if pools[stage] is not None:
                setattr(self, f"pool{stage}", pools[stage])
            blocks = [BasicBlock(c_in if j == 0 else c_out, c_out) for j in range(depth)]
            setattr(self, f"block{stage}", nn.Sequential(*blocks))
            setattr(self, f"conv{stage}", nn.Conv2d(c_out, c_out, 3, 1, 1))
            setattr(self, f"bn{stage}", nn.BatchNorm2d(c_out, eps=BN_EPS))
        self.relu = nn.ReLU()
        self.out_channels = channels[5]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1_1(self.conv1_1(x)))
        x = self.relu(self.bn1_2(self.conv1_2(x)))
        for stage in range(2, 6):
            pool = getattr(self, f"pool{stage}", None)
            if pool is not None:
                x = pool(x)
            x = getattr(self, f"block{stage}")(x)
            x = self.relu(getattr(self, f"bn{stage}")(getattr(self, f"conv{stage}")(x)))
        return x
