"""Training RobustScanner through :func:`strbench.training.train` (PaddleOCR's recipe by default)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from strbench import Batch, InputSpec, Recognizer, TrainConfig, TrainResult, TrainTask, UsageError, train
from strbench_robustscanner.algorithm import TRAIN_SETTINGS
from strbench_robustscanner.labels import LabelEncoder, Vocabulary
from strbench_robustscanner.loss import sar_loss
from strbench_robustscanner.network import RobustScanner
from strbench_robustscanner.recognizer import RobustScannerRecognizer

if TYPE_CHECKING:
    from strbench_robustscanner.algorithm import RobustScannerAlgorithm

#: Settings this plugin reads itself (the rest go to :class:`strbench.training.TrainConfig`).
PLUGIN_SETTINGS = tuple(s.name for s in TRAIN_SETTINGS)


class RobustScannerTask(TrainTask):
    """SARLabelEncode targets, teacher-forced forward, SARLoss (mean CE, PAD ignored, shifted)."""

    def __init__(self, model: RobustScanner, vocab: Vocabulary, input_spec: InputSpec) -> None:
        self.model = model
        self.vocab = vocab
        self.input_spec = input_spec
        self.encoder = LabelEncoder(vocab, model.config.max_len)

    def encode(self, labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        encoded = [self.encoder.encode(label) for label in labels]
        keep = torch.tensor([e is not None for e in encoded], dtype=torch.bool)
        kept = [e for e in encoded if e is not None]
        targets = np.stack(kept) if kept else np.zeros((0, self.model.config.max_len), np.int64)
        return torch.from_numpy(targets), keep

    def training_step(self, batch: Batch, targets: torch.Tensor) -> torch.Tensor:
        logits = self.model(batch.images, batch.valid_ratios, targets)
        return sar_loss(logits, targets, self.vocab.pad_idx)

    def make_recognizer(self) -> Recognizer:
        device = str(next(self.model.parameters()).device)
        return RobustScannerRecognizer(self.model, self.vocab, self.input_spec, device, fast=True, shared=True)


def network_overrides(value: Any) -> dict[str, Any] | None:
    """``network`` as a mapping, or a JSON object string from ``--set network=...``."""
    if value is None or isinstance(value, Mapping):
        return dict(value) if value is not None else None
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError) as exc:
        raise UsageError(f"training setting network={value!r} is not a JSON object: {exc}") from None
    if not isinstance(parsed, dict):
        raise UsageError(f"training setting network={value!r} must be a JSON object")
    return parsed


def make_task(algorithm: RobustScannerAlgorithm, variant: str, config: Mapping[str, Any]) -> tuple[RobustScannerTask, TrainConfig]:
    """The task and the resolved :class:`TrainConfig` (variant defaults + ``config``)."""
    v = algorithm.variant(variant)
    overrides = {k: val for k, val in config.items() if k not in PLUGIN_SETTINGS}
    cfg = TrainConfig.from_mapping(v.defaults, overrides)
    try:
        model = algorithm.build(variant, network_overrides(config.get("network")), seed=cfg.seed)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"training setting network: {exc}") from None
    return RobustScannerTask(model, Vocabulary(v.charset), v.input_spec), cfg


def train_variant(algorithm: RobustScannerAlgorithm, variant: str, config: Mapping[str, Any]) -> TrainResult:
    task, cfg = make_task(algorithm, variant, config)
    return train(task, cfg)
