"""MobileNetV3-large in PaddleOCR's recognition form (``rec_mobilenet_v3.py``).

Differences from the classification network: the stem has stride 2, the four down-sampling
blocks use strides 1, (2, 1), (2, 1), (2, 1) (height only), the head is a 1x1 conv followed by a
2x2 max-pool, and the SE gate is PaddleOCR's ``clip(0.2 x + 0.5, 0, 1)``. A 3 x 32 x 100 input
gives a ``C x 1 x 25`` feature map (480 channels at scale 0.5).
"""

from __future__ import annotations

import torch
from torch import nn

from strbench_rare.layers import ConvBNAct, SqueezeExcite

# kernel, expansion, output channels, squeeze-excite, activation, stride (before scaling)
LARGE_BLOCKS: tuple[tuple[int, int, int, bool, str, int | tuple[int, int]], ...] = (
    (3, 16, 16, False, "relu", 1),
    (3, 64, 24, False, "relu", (2, 1)),
    (3, 72, 24, False, "relu", 1),
    (5, 72, 40, True, "relu", (2, 1)),
    (5, 120, 40, True, "relu", 1),
    (5, 120, 40, True, "relu", 1),
    (3, 240, 80, False, "hardswish", 1),
    (3, 200, 80, False, "hardswish", 1),
    (3, 184, 80, False, "hardswish", 1),
    (3, 184, 80, False, "hardswish", 1),
    (3, 480, 112, True, "hardswish", 1),
    (3, 672, 112, True, "hardswish", 1),
    (5, 672, 160, True, "hardswish", (2, 1)),
    (5, 960, 160, True, "hardswish", 1),
    (5, 960, 160, True, "hardswish", 1),
)
LARGE_LAST_CHANNELS = 960


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round ``value`` to a multiple of ``divisor`` (at least ``divisor``), never below 90 % of it."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


class ResidualUnit(nn.Module):
    """Inverted residual: 1x1 expand, k x k depthwise, optional SE, 1x1 linear projection."""

    def __init__(
        self, in_channels: int, mid_channels: int, out_channels: int, kernel_size: int,
        stride: int | tuple[int, int], use_se: bool, act: str,
    ) -> None:
        super().__init__()
        self.shortcut = stride == 1 and in_channels == out_channels
        self.expand_conv = ConvBNAct(in_channels, mid_channels, 1, act=act)
        self.bottleneck_conv = ConvBNAct(mid_channels, mid_channels, kernel_size, stride, groups=mid_channels, act=act)
        self.mid_se = SqueezeExcite(mid_channels) if use_se else None
        self.linear_conv = ConvBNAct(mid_channels, out_channels, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.bottleneck_conv(self.expand_conv(inputs))
        if self.mid_se is not None:
            x = self.mid_se(x)
        x = self.linear_conv(x)
        return inputs + x if self.shortcut else x


class MobileNetV3(nn.Module):
    """Recognition MobileNetV3-large at ``scale`` (0.5 for RARE)."""

    def __init__(self, in_channels: int = 3, scale: float = 0.5) -> None:
        super().__init__()
        channels = make_divisible(16 * scale)
        self.conv1 = ConvBNAct(in_channels, channels, 3, stride=2, act="hardswish")
        blocks = []
        for kernel, expansion, out, use_se, act, stride in LARGE_BLOCKS:
            out_channels = make_divisible(scale * out)
            blocks.append(
                ResidualUnit(channels, make_divisible(scale * expansion), out_channels, kernel, stride, use_se, act)
            )
            channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = make_divisible(scale * LARGE_LAST_CHANNELS)
        self.conv2 = ConvBNAct(channels, self.out_channels, 1, act="hardswish")
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.conv2(self.blocks(self.conv1(x))))
