"""Image decoding, per-image preprocessing and batch collation driven by a plugin's :class:`InputSpec`.

:func:`decode_image` is the one place encoded bytes become RGB: every Pillow mode is converted
explicitly (16-bit and float images are scaled, alpha is composited onto white), and an image that
cannot be used (corrupt, too many pixels, unknown mode) raises :class:`SampleError`, a counted skip.
Runs inside DataLoader worker processes, so everything here is a pure function of its inputs.
"""

from __future__ import annotations

import importlib
import io
import math
import re
import warnings
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from strbench.errors import SampleError
from strbench.plugin.types import Batch, InputSpec

#: Images with more pixels than this are refused as decompression bombs (a scene-text crop has a
#: few thousand to a few million pixels).
MAX_IMAGE_PIXELS = 40_000_000
#: Modes Pillow converts to RGB directly; alpha modes are composited onto white first.
_DIRECT_MODES = ("RGB", "L", "1", "P", "CMYK", "YCbCr", "LAB", "HSV", "RGBX")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def _wide_to_uint8(img: Image.Image, key: str) -> np.ndarray:
    """16-bit, 32-bit integer and float grey levels to 0..255: ``I;16*`` by 1/257; ``I`` and ``F``
    by their value range (0..1 float, 0..255, 0..65535), anything else stretched min..max."""
    values = np.asarray(img, dtype=np.float64)
    if not np.isfinite(values).all():
        raise SampleError(key, f"image (mode {img.mode}) holds NaN or infinite values; re-export it as an "
                               f"8-bit PNG or JPEG")
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if img.mode.startswith("I;16") or (img.mode == "I" and low >= 0 and high > 255 and high <= 65535):
        scaled = values / 257.0
    elif img.mode == "F" and low >= 0 and high <= 1.0:
        scaled = values * 255.0
    elif low >= 0 and high <= 255:
        scaled = values
    else:
        scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
    grey = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def to_rgb(img: Image.Image, key: str) -> np.ndarray:
    """A loaded Pillow image of any mode as an RGB uint8 ``HxWx3`` array (see :func:`decode_image`)."""
    mode = img.mode
    if mode in _WIDE_MODES:
        return _wide_to_uint8(img, key)
    if mode in _ALPHA_MODES or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode in _DIRECT_MODES:
        return np.asarray(img.convert("RGB"))
    raise SampleError(key, f"unsupported image mode {mode!r}; convert the image to RGB or greyscale "
                           f"(8-bit PNG or JPEG)")


def _stable(exc: BaseException) -> str:
    """An exception's message without object addresses (``<_io.BytesIO object at 0x7f…>``), so the
    reason a record stores for a skip is the same in every run and process."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", str(exc))


def decode_image(data: bytes, key: str) -> np.ndarray:
    """Decode encoded image bytes to an RGB uint8 ``HxWx3`` array or raise :class:`SampleError`."""
    if not data:
        raise SampleError(key, "image is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise SampleError(key, f"decompression bomb: {width}x{height} pixels exceeds the limit of "
                                           f"{MAX_IMAGE_PIXELS} pixels; crop or shrink the image")
                img.load()
                rgb = to_rgb(img, key)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise SampleError(key, f"decompression bomb: {exc}; crop or shrink the image") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise SampleError(key, f"cannot decode image ({type(exc).__name__}: {_stable(exc)}); the file is corrupt "
                               f"or truncated: replace it or remove the sample") from None
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise SampleError(key, f"image has zero size {rgb.shape[1]}x{rgb.shape[0]}")
    return rgb


#: OpenCV's interpolation flags (``cv2.INTER_LINEAR``, ``INTER_CUBIC``, ``INTER_AREA``), by value so
#: that this module imports without OpenCV.
_CV2_INTERP = {"bilinear": 1, "bicubic": 2, "area": 3}
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
        import cv2

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
    import torch

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
