"""ResNet34_vd in PaddleOCR's recognition form (``rec_resnet_vd.py``).

Three stride-1 3x3 stem convs (32, 32, 64), a 3x3/2 max-pool, four stages of basic blocks
(3, 4, 6, 3) whose first blocks after stage 0 down-sample the height only (stride (2, 1)), and a
final 2x2 max-pool: 3 x 32 x 100 -> 512 x 1 x 25. The first block of every stage has a
projection shortcut (stage 0 too); from stage 1 on it is the "vd" form: an average pool
(ceil mode) followed by a stride-1 1x1 conv. Attribute names follow PaddleOCR
(``conv1_1``, ``bb_{stage}_{i}``, ``_conv``/``_batch_norm``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strbench_rare.layers import batch_norm

STAGE_DEPTHS = {34: (3, 4, 6, 3)}
STAGE_CHANNELS = (64, 128, 256, 512)


class ConvBNLayer(nn.Module):
    """Conv (no bias) -> BN -> optional ReLU; ``vd_pool`` first average-pools by ``stride``."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: tuple[int, int] = (1, 1),
        relu: bool = False, vd_pool: bool = False,
    ) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(stride, stride, ceil_mode=True) if vd_pool else None
        conv_stride = (1, 1) if vd_pool else stride
        self._conv = nn.Conv2d(in_channels, out_channels, kernel_size, conv_stride, (kernel_size - 1) // 2, bias=False)
        self._batch_norm = batch_norm(out_channels)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            x = self.pool(x)
        x = self._batch_norm(self._conv(x))
        return F.relu(x) if self.relu else x


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus a shortcut (identity, or projection for the first block)."""

    def __init__(self, in_channels: int, out_channels: int, stride: tuple[int, int], project: bool, first: bool) -> None:
        super().__init__()
        self.conv0 = ConvBNLayer(in_channels, out_channels, 3, stride, relu=True)
        self.conv1 = ConvBNLayer(out_channels, out_channels, 3)
        self.short = (
            ConvBNLayer(in_channels, out_channels, 1, stride, vd_pool=not first and stride[0] != 1) if project else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(self.conv0(x))
        short = x if self.short is None else self.short(x)
        return F.relu(short + y)


class ResNetVd(nn.Module):
    """Recognition ResNet_vd with basic blocks (``layers=34``)."""

    def __init__(self, in_channels: int = 3, layers: int = 34) -> None:
        super().__init__()
        self.conv1_1 = ConvBNLayer(in_channels, 32, 3, relu=True)
        self.conv1_2 = ConvBNLayer(32, 32, 3, relu=True)
        self.conv1_3 = ConvBNLayer(32, 64, 3, relu=True)
        self.pool2d_max = nn.MaxPool2d(3, 2, 1)
        self.block_names: list[str] = []
        channels = 64
        for stage, depth in enumerate(STAGE_DEPTHS[layers]):
            for i in range(depth):
                stride = (2, 1) if i == 0 and stage != 0 else (1, 1)
                name = f"bb_{stage}_{i}"
                block = BasicBlock(channels, STAGE_CHANNELS[stage], stride, project=i == 0, first=stage == i == 0)
                self.add_module(name, block)
                self.block_names.append(name)
                channels = STAGE_CHANNELS[stage]
        self.out_channels = channels
        self.out_pool = nn.MaxPool2d(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool2d_max(self.conv1_3(self.conv1_2(self.conv1_1(x))))
        for name in self.block_names:
            x = getattr(self, name)(x)
        return self.out_pool(x)
