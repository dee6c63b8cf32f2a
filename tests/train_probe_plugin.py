"""Test-only plugin: a tiny trainable algorithm (first character of a 4-letter charset from image
brightness) whose loss is a sum over the batch, for the command-line side of ``strbench train``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

import strbench
from strbench import (
    Algorithm,
    Batch,
    Capabilities,
    InputSpec,
    Prediction,
    Recognizer,
    TrainConfig,
    TrainResult,
    TrainSetting,
    TrainTask,
    Variant,
    train,
)

CHARSET = "abcd"
SPEC = InputSpec(height=8, max_width=16, resize="stretch", channels="RGB")
#: tests set it to check the CPU-cost warning without a slow configuration
IMAGES_PER_SECOND = {"value": 1000.0}


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, len(CHARSET)))


class ProbeRecognizer(Recognizer):
    input_spec, charset, device = SPEC, CHARSET, "cpu"

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def forward(self, batch: Batch) -> Any:
        return self.model(batch.images).softmax(-1)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        conf, idx = outputs.max(-1)
        return [Prediction(CHARSET[i], float(c)) for i, c in zip(idx.tolist(), conf.tolist())]

    def module(self) -> nn.Module:
        return self.model


class ProbeTask(TrainTask):
    """Cross entropy summed over the batch: one label token per sample."""

    input_spec = SPEC
    charset = CHARSET

    def __init__(self) -> None:
        self.model = make_model()

    def encode(self, labels: list[str]) -> tuple[Any, torch.Tensor]:
        keep = torch.tensor([bool(x) and x[0] in CHARSET for x in labels])
        return torch.tensor([CHARSET.index(x[0]) for x in labels if x and x[0] in CHARSET]), keep

    def training_step(self, batch: Batch, targets: Any) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(batch.images), targets, reduction="sum")

    def loss_tokens(self, targets: Any) -> int | None:
        return len(targets)

    def make_recognizer(self) -> Recognizer:
        return ProbeRecognizer(self.model)


class ProbeAlgorithm(Algorithm):
    name = "train-probe"
    version = "0.0.1"
    description = "test-only trainable probe"
    default_variant = "base"
    capabilities = Capabilities(train=True)
    train_settings = (TrainSetting("probe_width", 4, "int", "a setting the probe plugin reads itself"),)

    @property
    def variants(self) -> dict[str, Variant]:  # type: ignore[override]
        return {"base": Variant("base", "probe", SPEC, CHARSET, defaults={"batch_size": 4, "lr": 0.05},
                                cpu_train_images_per_second={"off": IMAGES_PER_SECOND["value"]})}

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        return ProbeRecognizer(make_model())

    def train(self, variant: str, config: Mapping[str, Any]) -> TrainResult:
        cfg = TrainConfig.from_mapping(self.variant(variant).defaults,
                                       {k: v for k, v in config.items() if k != "probe_width"})
        return train(ProbeTask(), cfg)


@strbench.hookimpl
def strbench_algorithms() -> list[Algorithm]:
    return [ProbeAlgorithm()]
