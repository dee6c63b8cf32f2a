"""The RobustScanner network (ResNet31 + RobustScanner head), its configuration and an inference
copy with batch norm folded into the convolutions."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch
from torch import nn
from torch.nn.utils import fuse_conv_bn_eval

from strbench_robustscanner.backbone import BasicBlock, ResNet31
from strbench_robustscanner.head import RobustScannerHead

DecodeMode = Literal["plain", "fast", "fast_full"]


@dataclass(frozen=True)
class NetworkConfig:
    """Sizes of the network. The defaults are PaddleOCR's ``rec_r31_robustscanner.yml``; smaller
    ``channels``/``enc_channels`` give a width-reduced network of the same structure (tests)."""

    channels: tuple[int, ...] = (64, 128, 256, 256, 512, 512, 512)
    layers: tuple[int, ...] = (1, 2, 5, 3)
    enc_channels: int = 128
    rnn_layers: int = 2
    max_len: int = 40
    num_classes: int = 93  # 90 characters + UKN + BOS/EOS + PAD
    start_idx: int = 91
    pad_idx: int = 92

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> NetworkConfig:
        values = dict(values or {})
        for key in ("channels", "layers"):
            if key in values:
                values[key] = tuple(int(v) for v in values[key])
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown network option(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RobustScanner(nn.Module):
    """``forward(images, valid_ratios)`` gives probabilities ``(B, T, num_classes - 1)`` in eval
    mode; ``forward(images, valid_ratios, targets)`` gives teacher-forced logits for training."""

    def __init__(self, config: NetworkConfig = NetworkConfig()) -> None:
        super().__init__()
        self.config = config
        self.decode_mode: DecodeMode = "plain"
        self.channels_last = False
        self.backbone = ResNet31(3, config.layers, config.channels)
        self.head = RobustScannerHead(
            in_channels=config.channels[5],
            enc_channels=config.enc_channels,
            num_classes=config.num_classes,
            max_len=config.max_len,
            rnn_layers=config.rnn_layers,
            start_idx=config.start_idx,
            pad_idx=config.pad_idx,
        )

    def forward(
        self, images: torch.Tensor, valid_ratios: torch.Tensor | None, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        feat = self.backbone(images)
        if targets is not None:
            return self.head.forward_train(feat, targets, valid_ratios)
        if self.decode_mode == "plain":
            return self.head.decode_plain(feat, valid_ratios)
        return self.head.decode_fast(feat, valid_ratios, early_stop=self.decode_mode == "fast")


def _fold_bn(parent: nn.Module, conv_name: str, bn_name: str) -> None:
    conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
    setattr(parent, conv_name, fuse_conv_bn_eval(conv, bn))
    setattr(parent, bn_name, nn.Identity())


def inference_copy(model: RobustScanner, *, channels_last: bool = True) -> RobustScanner:
    """An eval-mode copy with every BN folded into its conv, fast decoding with early stop and
    (optionally) channels-last backbone weights. The source model is left untouched."""
    fast = copy.deepcopy(model).eval()
    bb = fast.backbone
    _fold_bn(bb, "conv1_1", "bn1_1")
    _fold_bn(bb, "conv1_2", "bn1_2")
    for stage in range(2, 6):
        _fold_bn(bb, f"conv{stage}", f"bn{stage}")
        for block in getattr(bb, f"block{stage}"):
            assert isinstance(block, BasicBlock)
            _fold_bn(block, "conv1", "bn1")
            _fold_bn(block, "conv2", "bn2")
            if block.downsample is not None:
                block.downsample = nn.Sequential(fuse_conv_bn_eval(block.downsample[0], block.downsample[1]))
    if channels_last:
        fast.backbone = bb.to(memory_format=torch.channels_last)
        fast.channels_last = True
    fast.decode_mode = "fast"
    return fast
