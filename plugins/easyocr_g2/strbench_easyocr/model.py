"""EasyOCR's generation-2 recognition network: VGG features, 2 x BiLSTM, linear CTC head.

Module and parameter names follow EasyOCR's ``vgg_model.Model`` so its state dicts load as is
(after removing the ``module.`` prefix DataParallel adds).
"""

from __future__ import annotations

import torch
from torch import nn


class VggFeatureExtractor(nn.Module):
    """Seven conv layers; height 64 -> 3, width W -> W/4 - 1, ``out_channels`` feature maps."""

    def __init__(self, in_channels: int = 1, out_channels: int = 256) -> None:
        super().__init__()
        c1, c2, c3, c4 = out_channels // 8, out_channels // 4, out_channels // 2, out_channels
        self.ConvNet = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d(2, 2),
            nn.Conv2d(c1, c2, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d(2, 2),
            nn.Conv2d(c2, c3, 3, 1, 1), nn.ReLU(True),
            nn.Conv2d(c3, c3, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d((2, 1), (2, 1)),
            nn.Conv2d(c3, c4, 3, 1, 1, bias=False), nn.BatchNorm2d(c4), nn.ReLU(True),
            nn.Conv2d(c4, c4, 3, 1, 1, bias=False), nn.BatchNorm2d(c4), nn.ReLU(True),
            nn.MaxPool2d((2, 1), (2, 1)),
            nn.Conv2d(c4, c4, 2, 1, 0), nn.ReLU(True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ConvNet(x)


class BidirectionalLSTM(nn.Module):
    """A bidirectional LSTM followed by a linear projection of both directions."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(input_size, hidden_size, bidirectional=True, batch_first=True)
        self.linear = nn.Linear(hidden_size * 2, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        recurrent, _ = self.rnn(x)
        return self.linear(recurrent)


class EasyOcrCrnn(nn.Module):
    """``(N, 1, 64, W)`` grey images -> ``(N, W/4 - 1, num_classes)`` CTC logits."""

    def __init__(self, num_classes: int, in_channels: int = 1, feature_channels: int = 256,
                 hidden_size: int = 256) -> None:
        super().__init__()
        self.FeatureExtraction = VggFeatureExtractor(in_channels, feature_channels)
        self.SequenceModeling = nn.Sequential(
            BidirectionalLSTM(feature_channels, hidden_size, hidden_size),
            BidirectionalLSTM(hidden_size, hidden_size, hidden_size),
        )
        self.Prediction = nn.Linear(hidden_size, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.FeatureExtraction(images)  # N, C, H', W'
        sequence = features.mean(dim=2).permute(0, 2, 1)  # average over height -> N, W', C
        return self.Prediction(self.SequenceModeling(sequence))


def strip_data_parallel(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove the ``module.`` prefix that ``torch.nn.DataParallel`` checkpoints carry."""
    return {k.removeprefix("module."): v for k, v in state.items()}
