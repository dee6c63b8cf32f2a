"""Value types shared by the core and every plugin.

Plugins build these objects; the core consumes them. They are plain dataclasses so a record
of what was run can always be serialised (see :func:`strbench.plugin.types.to_jsonable`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

ChannelOrder = Literal["BGR", "RGB", "GRAY"]
ResizeRule = Literal["stretch", "keep_ratio", "none"]
WidthRounding = Literal["ceil", "round_to_divisor"]


@dataclass(frozen=True)
class InputSpec:
    """How a recognizer wants its images: everything the core needs to preprocess for it.

    Pixels are scaled to [0, 1], then ``(x - mean) / std`` per channel, in ``channels`` order.

    - ``resize="stretch"``: resize to ``height x max_width`` ignoring the aspect ratio.
    - ``resize="keep_ratio"``: width = ``ceil(height * w / h)`` (then rounded to a multiple of
      ``width_divisor`` with ``width_rounding="round_to_divisor"``), clamped to
      ``[min_width, max_width]``, the rest of the canvas right-padded with ``pad_value``.
    - ``resize="none"``: the recognizer takes raw RGB uint8 arrays (``Batch.raw``).

    ``pad_to="batch"`` pads to the widest image of the batch (at least ``min_canvas_width``)
    instead of ``max_width``; ``max_width=0`` then means unbounded. ``pad_mode="replicate"``
    repeats the last column instead of writing ``pad_value``. ``custom`` names a module-level
    function ``f(rgb_uint8_hwc, spec) -> (chw_float32, unclamped_width)`` for rules the fields
    cannot express; it runs in DataLoader workers, so it must be importable there.
    """

    height: int
    max_width: int
    min_width: int = 1
    channels: ChannelOrder = "BGR"
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.5, 0.5, 0.5)
    resize: ResizeRule = "keep_ratio"
    width_rounding: WidthRounding = "ceil"
    width_divisor: int = 1
    pad_value: float = 0.0
    pad_mode: Literal["constant", "replicate"] = "constant"
    pad_to: Literal["max_width", "batch"] = "max_width"
    min_canvas_width: int = 0
    interpolation: Literal["bilinear", "bicubic", "area"] = "bilinear"
    resize_backend: Literal["cv2", "pil"] = "cv2"
    custom: str | None = None  # "package.module:function" replacing the built-in per-image rule

    @property
    def num_channels(self) -> int:
        return 1 if self.channels == "GRAY" else 3


@dataclass
class Batch:
    """A preprocessed batch handed to :meth:`strbench.Recognizer.forward`.

    ``images`` is ``(B, C, H, W)`` float32 (``None`` for ``resize="none"`` recognizers),
    ``valid_ratios`` is the fraction of each row that holds image rather than padding, ``raw``
    holds the decoded RGB uint8 images when the input spec asks for them.
    """

    keys: list[str]
    images: Any = None  # torch.Tensor
    valid_ratios: Any = None  # torch.Tensor
    raw: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def to(self, device: Any) -> Batch:
        images = self.images.to(device, non_blocking=True) if self.images is not None else None
        ratios = self.valid_ratios.to(device, non_blocking=True) if self.valid_ratios is not None else None
        return Batch(self.keys, images, ratios, self.raw)


@dataclass(frozen=True)
class Prediction:
    """One recognised word: the raw text (before any protocol normalisation) and its confidence.

    ``confidence`` is in [0, 1]; each plugin documents how it is computed (e.g. mean or product of
    per-character maximum probabilities).
    """

    text: str
    confidence: float


@dataclass(frozen=True)
class Variant:
    """One buildable configuration of an algorithm (e.g. a backbone)."""

    name: str
    description: str
    input_spec: InputSpec
    charset: str
    cased: bool = False
    num_parameters: int | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    default_weights: str | None = None  # a path or URL the plugin knows how to fetch; None: untrained
    #: What ``default_weights`` were trained on, in a few words (leaderboards show it), e.g.
    #: ``"synthetic 460k + real 6.7k, strbench recipe"`` or ``"publisher's data (...)"``.
    training_data: str | None = None
    #: Training throughput on 2 CPU threads, images/s by the run's ``amp`` setting (``"off"``: full
    #: precision, ``"bf16"``), a little under what ``benchmarks/train_speed.py`` measures on a quiet
    #: machine: ``strbench train`` warns before a CPU run it estimates at over an hour. A precision
    #: without a figure (or ``None``): no estimate, no warning.
    cpu_train_images_per_second: dict[str, float] | None = None


@dataclass(frozen=True)
class TrainSetting:
    """A training setting an algorithm reads itself, beside :class:`strbench.TrainConfig`'s fields:
    ``--set name=value`` passes it and ``strbench train --list-settings`` shows it."""

    name: str
    default: Any
    type: str  # as shown, e.g. "paddle | identity" or "JSON object"
    meaning: str


@dataclass(frozen=True)
class Capabilities:
    """What an algorithm supports beyond inference; the CLI reports the rest as not supported."""

    train: bool = False
    export: tuple[str, ...] = ()  # e.g. ("onnx",)
    import_weights: tuple[str, ...] = ()  # e.g. ("paddle",)


@dataclass(frozen=True)
class ExportResult:
    """What :meth:`Algorithm.export` wrote and how well it matches eager inference."""

    path: str
    format: str
    max_abs_diff: float | None = None
    strings_equal: bool | None = None
    checked_samples: int = 0
    inputs: tuple[str, ...] = ()
    #: ONNX node names (fnmatch patterns) that int8 quantization leaves in float (e.g. a spatial transformer)
    quantize_exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainResult:
    """Where training left its artefacts and its last validation figure (if any)."""

    checkpoint: str
    weights: str
    steps: int
    best_metric: float | None = None


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, tuples, numpy scalars and paths into JSON-serialisable values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "__fspath__"):
        return str(value)
    return value
