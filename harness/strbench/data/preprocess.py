"""Per-image preprocessing and batch collation driven by a plugin's declared :class:`InputSpec`.

Runs inside DataLoader worker processes, so everything here is a pure function of its inputs.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image

from strbench.plugin.types import Batch, InputSpec

_CV2_INTERP = {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "area": cv2.INTER_AREA}
_PIL_INTERP = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "area": Image.BOX}


def target_width(width: int, height: int, spec: InputSpec) -> tuple[int, int]:
    """Return ``(resized_width, unclamped_width)`` of an image of ``width x height`` under ``spec``.

    ``unclamped_width`` is the width before the ``max_width`` clamp; it defines the valid ratio.
    """
    if spec.resize == "stretch":
        return spec.max_width, spec.max_width
    w = math.ceil(spec.height * width / max(height, 1))
    if spec.width_rounding == "round_to_divisor" and spec.width_divisor > 1 and w % spec.width_divisor:
        w = round(w / spec.width_divisor) * spec.width_divisor
    w = max(spec.min_width, w, 1)
    resized = min(w, spec.max_width) if spec.max_width > 0 else w
    return resized, w


def _to_channels(rgb: np.ndarray, spec: InputSpec) -> np.ndarray:
    if spec.channels == "BGR":
        return np.ascontiguousarray(rgb[:, :, ::-1])
    if spec.channels == "GRAY":
        return np.asarray(Image.fromarray(rgb).convert("L"))
    return rgb


@cache
def _custom(path: str) -> Any:
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)


def preprocess_image(rgb: np.ndarray, spec: InputSpec) -> tuple[np.ndarray, int]:
    """Resize and normalise one RGB uint8 ``HxWx3`` image; return ``(CxHxw float32, unclamped_w)``.

    The result is not padded: :func:`collate` pads a batch to a common width.
    """
    if spec.custom:
        return _custom(spec.custom)(rgb, spec)
    h, w = rgb.shape[:2]
    new_w, unclamped = target_width(w, h, spec)
    img = _to_channels(rgb, spec)
    if spec.resize_backend == "pil":
        img = np.asarray(Image.fromarray(img).resize((new_w, spec.height), _PIL_INTERP[spec.interpolation]))
    else:
        img = cv2.resize(img, (new_w, spec.height), interpolation=_CV2_INTERP[spec.interpolation])
    if img.ndim == 2:
        img = img[:, :, None]
    x = img.astype(np.float32).transpose(2, 0, 1) / 255.0
    mean = np.asarray(spec.mean, dtype=np.float32)[: x.shape[0], None, None]
    std = np.asarray(spec.std, dtype=np.float32)[: x.shape[0], None, None]
    x = (x - mean) / std
    return np.ascontiguousarray(x, dtype=np.float32), unclamped


def canvas_width(widths: Sequence[int], spec: InputSpec) -> int:
    """Width of the padded batch tensor."""
    if spec.pad_to == "batch":
        return max([spec.min_canvas_width, *widths])
    return spec.max_width


def collate(keys: Sequence[str], images: Sequence[np.ndarray], unclamped: Sequence[int], spec: InputSpec) -> Batch:
    """Pad preprocessed images to a common width and stack them into a :class:`Batch`."""
    if not keys:
        return Batch(keys=[], images=torch.zeros(0, spec.num_channels, spec.height, max(spec.max_width, 1)),
                     valid_ratios=torch.zeros(0))
    width = canvas_width([im.shape[2] for im in images], spec)
    out = np.full((len(images), images[0].shape[0], spec.height, width), spec.pad_value, dtype=np.float32)
    for i, im in enumerate(images):
        w = min(im.shape[2], width)
        out[i, :, :, :w] = im[:, :, :w]
        if spec.pad_mode == "replicate" and w < width:
            out[i, :, :, w:] = im[:, :, w - 1 : w]
    ratios = [min(1.0, u / width) for u in unclamped]
    return Batch(keys=list(keys), images=torch.from_numpy(out), valid_ratios=torch.tensor(ratios, dtype=torch.float32))



#: One image ready for :func:`collate_prepared`: ``(CxHxw float32, unclamped width, None)``, or
#: ``(None, 0, RGB uint8 array)`` for ``resize="none"`` specs.
Prepared = tuple[np.ndarray | None, int, np.ndarray | None]


def prepare(rgb: np.ndarray, spec: InputSpec) -> Prepared:
    """Preprocess one decoded RGB image for ``spec`` (kept raw for ``resize="none"`` specs)."""
    if spec.resize == "none":
        return None, 0, rgb
    chw, unclamped = preprocess_image(rgb, spec)
    return chw, unclamped, None


def collate_prepared(keys: Sequence[str], items: Sequence[Prepared], spec: InputSpec) -> Batch:
    """The :class:`Batch` of images prepared by :func:`prepare`."""
    if spec.resize == "none":
        return Batch(keys=list(keys), raw=[raw for _, _, raw in items if raw is not None])
    return collate(keys, [chw for chw, _, _ in items if chw is not None], [w for _, w, _ in items], spec)


def make_batch(images: Sequence[np.ndarray], spec: InputSpec, keys: Sequence[str] | None = None) -> Batch:
    """Preprocess RGB uint8 images for ``spec`` and collate them, exactly as the core loader does
    (the raw RGB arrays in ``Batch.raw`` for ``resize="none"`` specs)."""
    keys = [f"image-{i}" for i in range(len(images))] if keys is None else list(keys)
    return collate_prepared(keys, [prepare(img, spec) for img in images], spec)
