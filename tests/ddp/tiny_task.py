"""A tiny trainable task for the distributed-training test, run under torchrun or alone.

    python tiny_task.py DATA OUT BATCH STEPS
"""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch import nn

from strbench import Batch, InputSpec, Prediction, Recognizer
from strbench.training import TrainConfig, seed_everything, train

CHARSET = "abcdefghijklmnopqrstuvwxyz"
SPEC = InputSpec(height=16, max_width=48, resize="stretch", channels="RGB")


class TinyNet(nn.Module):
    """No batch norm: per-process statistics would differ from the combined batch's."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 12, len(CHARSET))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(nn.functional.avg_pool2d(self.conv(x), 4)).flatten(1))


class TinyRecognizer(Recognizer):
    input_spec = SPEC
    charset = CHARSET

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def forward(self, batch: Batch) -> Any:
        return self.model(batch.images).softmax(-1)

    def decode(self, outputs: Any) -> list[Prediction]:
        return [Prediction(CHARSET[int(i)], float(p)) for p, i in zip(*outputs.max(-1))]


class FirstLetterTask:
    """Predict a class from a word's first character; the loss is a per-sample mean, so the gradient of a
    combined batch equals the mean of equal-sized per-process gradients."""

    input_spec = SPEC

    def __init__(self) -> None:
        self.model = TinyNet()

    def encode(self, labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        # every label is kept, so each process's batch has the same size
        targets = torch.tensor([ord(label[:1] or " ") % len(CHARSET) for label in labels], dtype=torch.long)
        return targets, torch.ones(len(labels), dtype=torch.bool)

    def training_step(self, batch: Batch, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(batch.images), targets)

    def param_groups(self, cfg: TrainConfig) -> None:
        return None

    def make_recognizer(self) -> Recognizer:
        return TinyRecognizer(self.model)


def main(data: str, out: str, batch: int, steps: int) -> None:
    cfg = TrainConfig(train_data=[data], output_dir=out, batch_size=batch, max_steps=steps, epochs=5,
                      device="cpu", amp="off", lr=1e-2, log_every=1, seed=7, workers=0)
    seed_everything(cfg.seed)
    train(FirstLetterTask(), cfg)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
