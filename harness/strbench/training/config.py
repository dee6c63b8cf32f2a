"""Training settings: a typed dataclass built from a plugin's defaults and the user's overrides.

``--set key=value`` overrides arrive as strings; :meth:`TrainConfig.from_mapping` converts them
to the field types (``"1e-4"`` -> float, ``"0.9,0.999"`` or ``"[0.9, 0.999]"`` -> tuple,
``"none"`` -> ``None`` ...) and rejects unknown keys, naming the closest valid ones.
"""

from __future__ import annotations

import dataclasses
import difflib
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


def setting(default: Any, meaning: str, *, choices: tuple[str, ...] = ()) -> Any:
    """A :class:`TrainConfig` field: its default and what it means, the one description of the
    setting (``strbench train --list-settings`` shows it). A list default is copied per config."""
    metadata = {"help": meaning, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    """Everything :func:`strbench.training.train` needs besides the task.

    Each field's meaning is stated with its default below (``strbench train --list-settings``
    shows them with the defaults a recipe gives). ``epochs``, ``max_steps`` and ``max_minutes``
    stop training at whichever comes first. Validation always runs at the end when ``val_data``
    is given.
    """

    train_data: list[str] = setting([], "training datasets, LMDB folders or label files (--train-data)")
    train_data_repeat: list[int] = setting(
        [], "how many times each train_data source appears in an epoch (default once each), e.g. 1,8 to mix "
            "a large synthetic set with a small real one")
    val_data: list[str] = setting([], "validation datasets (--val-data); word accuracy under val_protocol, "
                                      "sample-weighted over them, chooses best.safetensors")
    output_dir: str = setting("", "where checkpoints, weights, the training log and curve go (--output-dir)")
    epochs: int = setting(1, "passes over train_data (training stops at epochs, max_steps or max_minutes, "
                             "whichever comes first)")
    max_steps: int | None = setting(None, "optimizer steps over the whole run, also across a resume; the LR "
                                          "schedule spans them (none: epochs decide)")
    max_minutes: float | None = setting(None, "wall time of this invocation in minutes, for budgeted runs; the "
                                              "LR schedule still spans max_steps (none: no limit)")
    batch_size: int = setting(64, "samples per optimizer step (per process under torchrun); validation "
                                  "batches too")
    optimizer: str = setting("adam", "adam (weight_decay is a coupled L2 penalty, like Paddle's L2Decay) or "
                                     "adamw (decoupled decay)", choices=OPTIMIZERS)
    lr: float = setting(1e-3, "learning rate; parameter groups keep their multipliers relative to it")
    betas: tuple[float, float] = setting((0.9, 0.999), "Adam's beta1,beta2")
    eps: float = setting(1e-8, "Adam's epsilon")
    weight_decay: float = setting(0.0, "L2 penalty (adam) or decoupled weight decay (adamw)")
    lr_schedule: str = setting(
        "constant", "constant (lr); piecewise (lr_values between lr_boundaries_epochs); cosine (linear "
                    "warm-up from 0 over warmup_steps, then a cosine decay to lr x min_lr_ratio at the last "
                    "step)", choices=LR_SCHEDULES)
    lr_boundaries_epochs: list[float] = setting(
        [], "piecewise: the boundaries in epochs (converted to steps as PaddleOCR's Piecewise does)")
    lr_values: list[float] = setting(
        [], "piecewise: lr_values[i] applies before boundary i, the last one after the last boundary")
    warmup_steps: int = setting(0, "cosine: steps of linear warm-up from 0 to lr")
    min_lr_ratio: float = setting(0.0, "cosine: the LR at the last step as a fraction of lr")
    grad_clip: float | None = setting(None, "clip the gradient norm to this (none: no clipping)")
    amp: str = setting("auto", "auto: bf16 autocast on CUDA when supported, else fp16 with a gradient scaler; "
                               "off on a CPU. bf16 also runs on a CPU, fp16 needs CUDA", choices=AMP_MODES)
    compile: bool = setting(False, "torch.compile the training step (model, loss and auxiliary modules); "
                                   "off by default: on 2 CPU threads it gave RARE-mv3 1.02x the eager bf16 "
                                   "images/s after minutes of compiling (benchmarks/train_speed.py)")
    device: str = setting("auto", "cpu, cuda, cuda:N or auto (--device)")
    workers: int = setting(0, "data-loading worker processes (0: in the training process)")
    seed: int = setting(0, "seeds the initial network, the data order and augmentation")
    eval_every: int = setting(0, "validate every this many optimizer steps (0: only at the end)")
    val_protocol: str = setting("lower36", "the protocol validation scores word accuracy under")
    val_limit: int = setting(2000, "validate on at most this many samples of each val_data source, evenly "
                                   "spaced through it (0: all)")
    log_every: int = setting(50, "a log line every this many optimizer steps (0: none between the first and "
                                 "the last step); a run of fewer than 10 x log_every steps logs about 10 "
                                 "times; the first step and the end always log")
    save_every: int = setting(0, "save the checkpoint every this many optimizer steps (0: at the end and by "
                                 "save_every_minutes)")
    save_every_minutes: float = setting(10.0, "also save the checkpoint when this much wall time has passed "
                                              "since the last save (0: off)")
    snapshot_every: int = setting(0, "keep the weights of every this many steps as "
                                     "snapshots/step<N>.safetensors (0: off)")
    teacher_forcing: bool = setting(False, "attention decoders see the right previous character in training "
                                           "(read by tasks that support it, see the plugin)")
    loss_reduction: str = setting(
        "sum", "sum or token-mean over label positions (read by attention-decoder tasks that support it); "
               "the logged loss is per label token either way", choices=LOSS_REDUCTIONS)
    aux_ctc_weight: float = setting(0.0, "weight of an auxiliary CTC loss (read by tasks that support it; "
                                         "0: off)")
    augment: str = setting("off", "on-the-fly training augmentation: off or a preset (light, strbench, strong)")
    augment_prob: float = setting(0.5, "the chance each training sample is augmented")
    resume: str | None = setting(None, "a last.ckpt to continue exactly (--resume)")
    init_weights: str | None = setting(None, "weights to start from, at step 0: fine-tuning (--init-weights)")
    recipe: str | None = setting(None, "the NAME[:STAGE] the settings came from, recorded in the training log "
                                       "(--recipe)")
    label_policy: str = setting(
        "skip", "a label with characters outside the algorithm's charset is skipped (skip) or trained with "
                "them removed (drop-chars); counted and reported either way", choices=LABEL_POLICIES)
    overrides: list[str] = setting([], "the run's --set overrides as key=value, stored in checkpoints so "
                                       "--resume keeps them")

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
        for name in ("workers", "eval_every", "val_limit", "log_every", "save_every", "snapshot_every"):
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
                    raise unknown_setting(key, valid, f" ({origin})")
                values[key] = convert(raw, hints[key], key)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (lists, tuples, numbers, strings, ``None``) for checkpoints and records."""
        return dataclasses.asdict(self)


def unknown_setting(key: str, valid: list[str], where: str = "") -> UsageError:
    """The error for an unknown setting ``key``: the closest valid names first, then all of them."""
    close = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close[:1])}{''.join(', ' + c for c in close[1:])}?" if close else ""
    return UsageError(f"unknown training setting {key!r}{where}{hint} (valid settings: {', '.join(valid)}; "
                      f"'strbench train --list-settings' explains each)")


@dataclass(frozen=True)
class SettingInfo:
    """One training setting as ``strbench train --list-settings`` shows it."""

    name: str
    default: Any
    type: str
    meaning: str
    source: str  # "harness", "plugin", or where a recipe or the variant set the default


def type_name(hint: Any, choices: tuple[str, ...] = ()) -> str:
    """``int | None`` -> ``int or none``; ``list[str]`` -> ``list of str``; choices are listed."""
    if choices:
        return " | ".join(choices)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(inner) + (" or none" if type(None) in args else "")
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is tuple:
        return ",".join(type_name(a) for a in args)
    return getattr(hint, "__name__", str(hint))


def describe_settings(defaults: Mapping[str, Any] | None = None, source: str = "") -> list[SettingInfo]:
    """Every :class:`TrainConfig` setting with its default (``defaults`` overriding the harness's,
    converted to the field's type; those say ``source``), type and meaning, in field order."""
    defaults = defaults or {}
    hints = typing.get_type_hints(TrainConfig)
    rows = []
    for f in dataclasses.fields(TrainConfig):
        if f.name in defaults:
            default, origin = convert(defaults[f.name], hints[f.name], f.name), source
        else:
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            origin = "harness"
        rows.append(SettingInfo(f.name, default, type_name(hints[f.name], f.metadata.get("choices", ())),
                                f.metadata.get("help", ""), origin))
    return rows


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
