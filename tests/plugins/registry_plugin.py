"""Test-only plugin registering what the core must look up through the plugin host: a dataset
format (a folder with ``words.json``), a suite using it, a protocol, a metric and a tiny trainable
algorithm whose ``train`` calls ``strbench.train(task, cfg)`` without naming a host.

Loaded with ``strbench -p registry_plugin ...`` (``tests/plugins`` on ``sys.path``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

import strbench
from strbench import (
    Algorithm,
    Batch,
    BenchmarkSuite,
    Capabilities,
    DatasetFormat,
    DatasetVersion,
    InputSpec,
    Metric,
    Prediction,
    Protocol,
    RawSample,
    Recognizer,
    SampleError,
    SampleSource,
    Scored,
    TrainConfig,
    TrainResult,
    Variant,
)

__version__ = "0.0.1"

CHARSET = "abcdefghijklmnopqrstuvwxyz"
SPEC = InputSpec(height=8, max_width=16, resize="stretch", channels="RGB")


class WordsSource(SampleSource):
    """A folder whose ``words.json`` lists ``[image file, label]`` pairs."""

    def __init__(self, path: Path) -> None:
        self.path, self.location = path, str(path)
        self.items = [tuple(item) for item in json.loads((path / "words.json").read_text(encoding="utf-8"))]

    def __len__(self) -> int:
        return len(self.items)

    def read(self, index: int) -> RawSample:
        name, label = self.items[index]
        try:
            data = (self.path / name).read_bytes()
        except OSError as exc:
            raise SampleError(name, f"cannot read: {exc}") from None
        return RawSample(name, data, label)


class WordsFormat(DatasetFormat):
    name = "words"
    description = "test-only: a folder with words.json"

    def detect(self, path: Path) -> bool:
        return (path / "words.json").is_file()

    def open(self, path: Path) -> SampleSource:
        return WordsSource(path)


FIRST_CHAR = Protocol(id="first-char", version=1, description="test-only: only the first letter counts",
                      unicode="nfkd_ascii", case="lower", keep_pattern="^[a-z]")
SUITE = BenchmarkSuite(name="words-suite", description="test-only suite in the words format",
                       versions=(DatasetVersion("tiny_words", "tiny", 6, folder_names=("tiny",)),))


def _length_ratio(samples: Sequence[Scored]) -> float:
    return 100.0 * sum(len(s.prediction) for s in samples) / max(1, sum(len(s.label) for s in samples))


LENGTH_RATIO = Metric("length_ratio", "test-only: predicted / label characters", _length_ratio)


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3 * 8 * 16, len(CHARSET))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


class TinyRecognizer(Recognizer):
    input_spec = SPEC
    charset = CHARSET

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def forward(self, batch: Batch) -> Any:
        return self.model(batch.images).softmax(-1)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        conf, index = outputs.max(-1)
        return [Prediction(CHARSET[int(i)] * 2, float(c)) for c, i in zip(conf, index, strict=True)]


class FirstLetterTask:
    input_spec = SPEC

    def __init__(self) -> None:
        self.model = TinyNet()

    def encode(self, labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        targets = torch.tensor([max(0, CHARSET.find(label[:1].lower())) for label in labels], dtype=torch.long)
        return targets, torch.ones(len(labels), dtype=torch.bool)

    def training_step(self, batch: Batch, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(batch.images), targets)

    def param_groups(self, cfg: TrainConfig) -> None:
        return None

    def make_recognizer(self) -> Recognizer:
        return TinyRecognizer(self.model)


class TinyTrainable(Algorithm):
    name = "tiny-trainable"
    version = __version__
    description = "test-only first-letter classifier"
    variants = {"base": Variant("base", "a linear layer", SPEC, CHARSET)}
    default_variant = "base"
    capabilities = Capabilities(train=True)

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        model = TinyNet()
        if weights is not None:
            state, _ = strbench.load_weights(weights)
            strbench.load_into(model, state, source=str(weights))
        return TinyRecognizer(model.eval())

    def train(self, variant: str, config: Mapping[str, Any]) -> TrainResult:
        defaults = {"epochs": 2, "batch_size": 2, "lr": 0.1, "amp": "off", "device": "cpu", "workers": 0}
        return strbench.train(FirstLetterTask(), TrainConfig.from_mapping(defaults, config))


@strbench.hookimpl
def strbench_dataset_formats() -> list[DatasetFormat]:
    return [WordsFormat()]


@strbench.hookimpl
def strbench_benchmark_suites() -> list[BenchmarkSuite]:
    return [SUITE]


@strbench.hookimpl
def strbench_protocols() -> list[Protocol]:
    return [FIRST_CHAR]


@strbench.hookimpl
def strbench_metrics() -> list[Metric]:
    return [LENGTH_RATIO]


@strbench.hookimpl
def strbench_algorithms() -> list[Algorithm]:
    return [TinyTrainable()]
