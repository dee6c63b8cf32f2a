"""Sequence modelling: PaddleOCR's ``SequenceEncoder(encoder_type="rnn")`` neck and the
attention decoder (``AttentionHead`` with ``AttentionGRUCell``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MAX_STEPS = 25


class BiLSTMEncoder(nn.Module):
    """``(B, C, 1, W)`` -> ``(B, W, 2 * hidden)`` through a two-layer bidirectional LSTM."""

    def __init__(self, in_channels: int, hidden_size: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_channels, hidden_size, num_layers=2, bidirectional=True, batch_first=True)
        self.out_channels = 2 * hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] != 1:
            raise ValueError(f"the backbone must reduce the height to 1, got a feature map of shape {tuple(x.shape)}")
        return self.lstm(x.squeeze(2).transpose(1, 2))[0]


class SequenceEncoder(nn.Module):
    """Holds the encoder under ``encoder`` so keys read ``neck.encoder.lstm.*`` as in PaddleOCR."""

    def __init__(self, in_channels: int, hidden_size: int) -> None:
        super().__init__()
        self.encoder = BiLSTMEncoder(in_channels, hidden_size)
        self.out_channels = self.encoder.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


class AttentionGRUCell(nn.Module):
    """Additive attention over the encoder sequence with the previous hidden state, then a GRU
    step on ``[context, one-hot(previous char)]``."""

    def __init__(self, input_size: int, hidden_size: int, num_classes: int) -> None:
        super().__init__()
        self.i2h = nn.Linear(input_size, hidden_size, bias=False)
        self.h2h = nn.Linear(hidden_size, hidden_size)
        self.score = nn.Linear(hidden_size, 1, bias=False)
        self.rnn = nn.GRUCell(input_size + num_classes, hidden_size)

    def forward(self, prev_hidden: torch.Tensor, batch_h: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        res = torch.tanh(self.i2h(batch_h) + self.h2h(prev_hidden).unsqueeze(1))
        alpha = F.softmax(self.score(res), dim=1)  # (B, T, 1)
        context = torch.bmm(alpha.transpose(1, 2), batch_h).squeeze(1)
        return self.rnn(torch.cat([context, onehot], dim=1), prev_hidden)


class AttentionHead(nn.Module):
    """Attention decoder: ``steps`` GRU steps starting from class 0 (``sos``).

    Without ``targets`` each step feeds back the argmax of the previous one (greedy decoding,
    and PaddleOCR's way of training RARE). With ``targets`` (``(B, steps)`` class ids laid out as
    :func:`strbench_rare.labels.encode_label` makes them) step ``t`` is fed ``targets[:, t - 1]``
    instead (teacher forcing, an optional strbench training mode).

    Returns logits ``(B, steps, num_classes)`` in training mode and softmax probabilities in
    eval mode.
    """

    def __init__(self, in_channels: int, hidden_size: int, num_classes: int, steps: int = MAX_STEPS) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_classes = num_classes
        self.steps = steps
        self.attention_cell = AttentionGRUCell(in_channels, hidden_size, num_classes)
        self.generator = nn.Linear(hidden_size, num_classes)

    def forward(self, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        batch = inputs.shape[0]
        hidden = inputs.new_zeros(batch, self.hidden_size)
        prev = torch.zeros(batch, dtype=torch.long, device=inputs.device)
        logits = []
        for t in range(self.steps):
            if targets is not None and t > 0:
                prev = targets[:, t - 1]
            onehot = F.one_hot(prev, self.num_classes).to(inputs.dtype)
            hidden = self.attention_cell(hidden, inputs, onehot)
            step = self.generator(hidden)
            logits.append(step)
            prev = step.argmax(dim=1)
        out = torch.stack(logits, dim=1)
        return out if self.training else F.softmax(out, dim=2)
