"""Training settings: a typed dataclass built from a plugin's defaults and the user's overrides.

``--set key=value`` overrides arrive as strings; :meth:`TrainConfig.from_mapping` converts them
to the field types (``"1e-4"`` -> float, ``"0.9,0.999"`` or ``"[0.9, 0.999]"`` -> tuple,
``"none"`` -> ``None`` ...) and rejects unknown keys with the list of valid ones.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strbench.errors import UsageError

OPTIMIZERS = ("adam", "adamw")
LR_SCHEDULES = ("constant", "piecewise", "cosine")
LOSS_REDUCTIONS = ("sum", "token-mean")
AMP_MODES = ("auto", "off", "bf16", "fp16")
#: What a training label with characters outside the algorithm's charset does: ``skip`` the sample
#: (counted and reported) or ``drop-chars``: train on the label with those characters removed
#: (PaddleOCR's behaviour; counted and reported too).
LABEL_POLICIES = ("skip", "drop-chars")
_NONE_WORDS = ("", "none", "null")


@dataclass
class TrainConfig:
    """Everything :func:`strbench.training.train` needs besides the task.

    - ``train_data_repeat``: how many times each ``train_data`` source appears in an epoch
      (default once each), e.g. ``[1, 8]`` to mix a large synthetic set with a small real one.
    - ``epochs``/``max_steps``/``max_minutes``: training stops at whichever comes first
      (``max_steps`` counts optimizer steps over the whole run, also across a resume;
      ``max_minutes`` is the wall time of this invocation, for budgeted runs; the LR schedule
      still spans ``max_steps``).
    - ``optimizer``: ``adam`` (``weight_decay`` is a coupled L2 penalty, like Paddle's
      ``L2Decay``) or ``adamw`` (decoupled decay).
    - ``lr_schedule``: ``constant`` (``lr``) or ``piecewise``: ``lr_values[i]`` applies before the
      boundary ``lr_boundaries_epochs[i]`` (in epochs, converted to steps as PaddleOCR's
      ``Piecewise`` does), ``lr_values[-1]`` after the last one; ``cosine``: linear warm-up
      from 0 over ``warmup_steps``, then a cosine decay to ``lr * min_lr_ratio`` at the last
      step. Parameter groups keep their LR multipliers relative to ``lr``.
    - ``amp``: ``auto`` = bf16 autocast on CUDA when supported, else fp16 with a gradient scaler;
      off on CPU. ``bf16`` also runs on a CPU (autocast), ``fp16`` needs CUDA.
    - ``teacher_forcing``, ``loss_reduction`` (``sum`` or ``token-mean``) and
      ``aux_ctc_weight``: read by attention-decoder tasks that support them (see the plugin).
    - ``augment``: on-the-fly training augmentation, ``off`` or a preset of
      :mod:`strbench.training.augment`; ``augment_prob`` the chance each sample is augmented.
    - ``eval_every``/``log_every``/``save_every``: in optimizer steps; 0 = only at the end.
      Validation (word accuracy under ``val_protocol``, sample-weighted over ``val_data``)
      always runs at the end when ``val_data`` is given. ``save_every_minutes`` also saves
      the checkpoint when that much wall time has passed since the last save (0: off).
      ``snapshot_every`` keeps the weights of every that many steps as
      ``snapshots/step<N>.safetensors`` (0: off), e.g. to evaluate points of the curve later.
    - ``resume``: a ``last.ckpt`` to continue exactly; ``init_weights``: weights to start from
      (fine-tuning), at step 0.
    - ``recipe``: the ``NAME[:STAGE]`` the settings came from (recorded in the training log).
    - ``label_policy``: a label holding characters outside the algorithm's charset is skipped
      (``skip``, the default) or trained with those characters removed (``drop-chars``); either
      way the samples are counted and reported.
    - ``overrides``: the ``--set`` overrides of the run as ``key=value`` (stored in checkpoints,
      so ``--resume`` keeps them).
    """

    train_data: list[str] = field(default_factory=list)
    train_data_repeat: list[int] = field(default_factory=list)
    val_data: list[str] = field(default_factory=list)
    output_dir: str = ""
    epochs: int = 1
    max_steps: int | None = None
    max_minutes: float | None = None
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    lr_schedule: str = "constant"
    lr_boundaries_epochs: list[float] = field(default_factory=list)
    lr_values: list[float] = field(default_factory=list)
    warmup_steps: int = 0
    min_lr_ratio: float = 0.0
    grad_clip: float | None = None
    amp: str = "auto"
    device: str = "auto"
    workers: int = 0
    seed: int = 0
    eval_every: int = 0
    val_protocol: str = "lower36"
    log_every: int = 50
    save_every: int = 0
    save_every_minutes: float = 10.0
    snapshot_every: int = 0
    teacher_forcing: bool = False
    loss_reduction: str = "sum"
    aux_ctc_weight: float = 0.0
    augment: str = "off"
    augment_prob: float = 0.5
    resume: str | None = None
    init_weights: str | None = None
    recipe: str | None = None
    label_policy: str = "skip"
    overrides: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _check_choice("amp", self.amp, AMP_MODES)
        _check_choice("loss_reduction", self.loss_reduction, LOSS_REDUCTIONS)
        _check_choice("label_policy", self.label_policy, LABEL_POLICIES)
        for name in ("warmup_steps", "save_every_minutes", "aux_ctc_weight", "min_lr_ratio"):
            if getattr(self, name) < 0:
                raise UsageError(f"training setting {name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.augment_prob <= 1:
            raise UsageError(f"training setting augment_prob must be in [0, 1], got {self.augment_prob}")
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise UsageError(f"training setting {name} must be at least 1, got {getattr(self, name)}")
        for name in ("workers", "eval_every", "log_every", "save_every", "snapshot_every"):
            if getattr(self, name) < 0:
                raise UsageError(f"training setting {name} must be >= 0, got {getattr(self, name)}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise UsageError(f"training setting max_minutes must be positive (or none), got {self.max_minutes}")
        if self.max_steps is not None and self.max_steps < 1:
            raise UsageError(f"training setting max_steps must be at least 1 (or none), got {self.max_steps}")
        if self.lr <= 0:
            raise UsageError(f"training setting lr must be positive, got {self.lr}")
        _check_ranges(self)
        if self.lr_schedule == "piecewise" and len(self.lr_values) != len(self.lr_boundaries_epochs) + 1:
            raise UsageError(
                f"piecewise lr_schedule needs one more lr_values ({len(self.lr_values)} given) than "
                f"lr_boundaries_epochs ({len(self.lr_boundaries_epochs)} given)"
            )
        if list(self.lr_boundaries_epochs) != sorted(self.lr_boundaries_epochs):
            raise UsageError(f"lr_boundaries_epochs must be increasing, got {self.lr_boundaries_epochs}")
        if self.train_data_repeat and len(self.train_data_repeat) != len(self.train_data):
            raise UsageError(
                f"train_data_repeat has {len(self.train_data_repeat)} entries for {len(self.train_data)} "
                f"train_data sources; give one count per source"
            )
        if any(k < 1 for k in self.train_data_repeat):
            raise UsageError(f"train_data_repeat counts must be at least 1, got {self.train_data_repeat}")
        if self.resume and self.init_weights:
            raise UsageError(
                "resume continues a run with its own weights; do not combine it with init_weights"
            )

    @classmethod
    def from_mapping(cls, defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> TrainConfig:
        """Build a config from a plugin's ``defaults`` updated with ``overrides``.

        Values may be typed or strings (as from the command line); unknown keys are an error.
        """
        hints = typing.get_type_hints(cls)
        valid = [f.name for f in dataclasses.fields(cls)]
        values: dict[str, Any] = {}
        for origin, mapping in (("default", defaults), ("override", overrides)):
            for key, raw in mapping.items():
                if key not in hints:
                    raise UsageError(
                        f"unknown training setting {key!r} ({origin}); valid settings: {', '.join(valid)}"
                    )
                values[key] = convert(raw, hints[key], key)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (lists, tuples, numbers, strings, ``None``) for checkpoints and records."""
        return dataclasses.asdict(self)


def _check_ranges(cfg: TrainConfig) -> None:
    """The numeric settings without a check above: optimizer constants and the LR list."""
    if cfg.eps <= 0 or cfg.weight_decay < 0:
        raise UsageError(f"training settings eps must be positive and weight_decay >= 0, got eps={cfg.eps}, "
                         f"weight_decay={cfg.weight_decay}")
    if not all(0 <= b < 1 for b in cfg.betas):
        raise UsageError(f"training setting betas must be two numbers in [0, 1), got {cfg.betas}")
    if cfg.grad_clip is not None and cfg.grad_clip <= 0:
        raise UsageError(f"training setting grad_clip must be positive (or none), got {cfg.grad_clip}")
    if any(v <= 0 for v in cfg.lr_values):
        raise UsageError(f"training setting lr_values must all be positive, got {cfg.lr_values}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UsageError(f"training setting {name}={value!r} is not one of: {', '.join(choices)}")


def convert(value: Any, hint: Any, key: str) -> Any:
    """Convert ``value`` (typed or a string) to the type ``hint``; raise :class:`UsageError` naming ``key``."""
    try:
        return _convert(value, hint)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"training setting {key}={value!r}: {exc}") from None


def _convert(value: Any, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0])
    if origin in (list, tuple):
        items = _split(value)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(items) != len(args):
                raise ValueError(f"expected {len(args)} values, got {len(items)}")
            return tuple(_convert(v, a) for v, a in zip(items, args))
        return origin(_convert(v, args[0]) for v in items)
    if hint is bool:
        return _to_bool(value)
    if hint is int:
        return _to_int(value)
    if hint is float:
        if isinstance(value, bool):
            raise TypeError("expected a number, got a boolean")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if hint is str:
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return value
    raise TypeError(f"unsupported setting type {hint}")


def _split(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if not isinstance(value, str):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    text = value.strip()
    if text.startswith(("[", "(")):
        parsed = json.loads("[" + text[1:-1] + "]")
        return list(parsed)
    return [part.strip() for part in text.split(",") if part.strip()]


_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise ValueError(f"expected a boolean ({'/'.join(_TRUE_WORDS)} or {'/'.join(_FALSE_WORDS)})")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    number = float(value)  # accepts "1e4" and 3.0
    if not number.is_integer():
        raise ValueError("expected an integer")
    return int(number)
