"""Small building blocks shared by the TPS localisation network and the backbones.

Attribute names follow PaddleOCR's layers (``conv``/``bn``), so converted state dicts keep
PaddleOCR's key names. Batch norm uses Paddle's defaults: eps 1e-5, momentum 0.9 in Paddle's
convention (0.1 in PyTorch's).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def activation(name: str | None) -> nn.Module:
    """``relu``, ``hardswish`` (x * relu6(x + 3) / 6) or identity."""
    if name is None:
        return nn.Identity()
    if name == "relu":
        return nn.ReLU()
    if name == "hardswish":
        return nn.Hardswish()
    raise ValueError(f"unknown activation {name!r}")


def batch_norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class ConvBNAct(nn.Module):
    """Bias-free conv with "same" padding for odd kernels, batch norm, optional activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int | tuple[int, int] = 1,
        groups: int = 1,
        act: str | None = None,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False
        )
        self.bn = batch_norm(out_channels)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def paddle_hardsigmoid(x: torch.Tensor) -> torch.Tensor:
    """PaddleOCR's SE gate ``clip(0.2 x + 0.5, 0, 1)`` (not PyTorch's ``x / 6 + 0.5``)."""
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


class SqueezeExcite(nn.Module):
    """Global average pool, 1x1 conv (with bias) to ``c // 4``, ReLU, 1x1 conv back, hard sigmoid gate."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels // reduction, 1)
        self.conv2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.conv2(F.relu(self.conv1(x.mean(dim=(2, 3), keepdim=True))))
        return x * paddle_hardsigmoid(gate)
