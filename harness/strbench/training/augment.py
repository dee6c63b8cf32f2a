"""On-the-fly training augmentation of word crops: geometric and photometric, seeded.

An :class:`Augmenter` applies an :class:`AugmentPolicy` to one decoded RGB crop. With chance
``prob`` a sample is augmented by ``num_ops`` ops drawn by weight, without replacement, from
the policy and applied in the drawn order, each at a magnitude drawn uniformly from its range
(RandAugment style, with PaddleOCR TIA-style warps). The random state is
``numpy.random.default_rng([seed, epoch, index])``, so the output depends on those three
numbers only, never on the DataLoader worker or the order samples are read in.

========  ====  ========  ==========================================================
preset    prob  ops/img   ops
========  ====  ========  ==========================================================
off       0     0         none (:func:`resolve_augmenter` returns ``None``)
light     0.5   1-2       rotate shear perspective blur noise contrast brightness
                          sharpness jpeg downsample (mild)
strbench  0.5   1-3       all 14 ops, moderate: 32x100 crops stay legible (default)
strong    0.8   2-4       all 14 ops, heavier
========  ====  ========  ==========================================================

``prob`` is the preset's default; training passes ``augment_prob`` instead. Ops and the unit
of their magnitude ``M`` (symmetric ops pick the sign at random):

===========  ===================================================================
op           magnitude
===========  ===================================================================
rotate       +-M degrees; canvas enlarged to keep the corners, border replicated
shear        horizontal shear +-M (dx per dy); canvas widened
perspective  corners moved inwards by up to M x height (TIA perspective)
distort      top/bottom control points moved by up to M x height, bilinear remap (TIA distort)
stretch      column control points moved by up to M x segment width (TIA stretch)
blur         Gaussian sigma M, in pixels of the crop scaled to 32 px height
noise        Gaussian noise, standard deviation M grey levels
contrast     factor 1 +- M around the mean grey level
brightness   factor 1 +- M
sharpness    factor 1 +- M against a smoothed copy (below 1 softens)
invert       none: 255 - pixel
posterize    M bits kept per channel
jpeg         JPEG re-encoding at quality M
downsample   down to M x (height capped at 32 px), then back up (linear/cubic/nearest)
===========  ===================================================================

An op that cannot apply (a crop too small for it, an OpenCV error) leaves the image unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from strbench.errors import UsageError

OpFn = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
REF_HEIGHT = 32  # blur and downsample magnitudes are relative to a crop of this height
_BORDER = cv2.BORDER_REPLICATE


# --- ops: (rgb uint8 HxWx3, magnitude, rng) -> rgb uint8 HxWx3 ----------------------------------


def _signed(m: float, rng: np.random.Generator) -> float:
    return m if rng.random() < 0.5 else -m


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _rotate(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    mat = cv2.getRotationMatrix2D((w / 2, h / 2), _signed(m, rng), 1.0)
    cos, sin = abs(mat[0, 0]), abs(mat[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    mat[0, 2] += (new_w - w) / 2
    mat[1, 2] += (new_h - h) / 2
    return cv2.warpAffine(img, mat, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=_BORDER)


def _shear(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    s = _signed(m, rng)
    mat = np.array([[1.0, s, max(0.0, -s * (h - 1))], [0.0, 1.0, 0.0]])
    new_w = w + math.ceil(abs(s) * (h - 1))
    return cv2.warpAffine(img, mat, (new_w, h), flags=cv2.INTER_LINEAR, borderMode=_BORDER)


def _perspective(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    dx, dy = rng.uniform(0, min(m * h, 0.4 * w), 4), rng.uniform(0, min(m * h, 0.4 * h), 4)
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    dst = np.float32([[dx[0], dy[0]], [w - 1 - dx[1], dy[1]], [w - 1 - dx[2], h - 1 - dy[2]],
                      [dx[3], h - 1 - dy[3]]])
    mat = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=_BORDER)


def _segments(h: int, w: int) -> int:
    return int(np.clip(round(w / h), 2, 8))


def _remap(img: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    return cv2.remap(img, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=_BORDER)


def _distort(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    """Moves control points on the top and bottom edges; the field between them is bilinear."""
    h, w = img.shape[:2]
    n = _segments(h, w)
    xs = np.linspace(0, w - 1, n + 1)
    amp_x, amp_y = min(m * h, 0.3 * (w - 1) / n), min(m, 0.4) * h
    cols, rows = np.arange(w, dtype=np.float64), np.linspace(0, 1, h)[:, None]
    field = []
    for amp in (amp_x, amp_y):
        top = np.interp(cols, xs, rng.uniform(-amp, amp, n + 1))
        bottom = np.interp(cols, xs, rng.uniform(-amp, amp, n + 1))
        field.append((1 - rows) * top + rows * bottom)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    return _remap(img, grid_x + field[0], grid_y + field[1])


def _stretch(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    """Shifts interior column control points: segments are stretched or squeezed horizontally."""
    h, w = img.shape[:2]
    n = _segments(h, w)
    xs = np.linspace(0, w - 1, n + 1)
    moved = xs.copy()
    moved[1:-1] += rng.uniform(-1, 1, n - 1) * min(m, 0.45) * (w - 1) / n
    src_x = np.interp(np.arange(w, dtype=np.float64), moved, xs)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    return _remap(img, np.broadcast_to(src_x, (h, w)), grid_y)


def _blur(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    sigma = m * max(1.0, img.shape[0] / REF_HEIGHT)
    return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, borderType=_BORDER) if sigma > 0 else img


def _noise(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    return _to_uint8(img + rng.normal(0.0, m, img.shape))


def _contrast(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    mean = float(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).mean())
    return _to_uint8((img.astype(np.float32) - mean) * (1 + _signed(m, rng)) + mean)


def _brightness(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    return _to_uint8(img.astype(np.float32) * (1 + _signed(m, rng)))


_SMOOTH = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=np.float32) / 13


def _sharpness(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    smooth = cv2.filter2D(img.astype(np.float32), -1, _SMOOTH, borderType=_BORDER)
    return _to_uint8(smooth + (1 + _signed(m, rng)) * (img - smooth))


def _invert(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    return 255 - img


def _posterize(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    bits = int(np.clip(round(m), 1, 8))
    return img & np.uint8((0xFF << (8 - bits)) & 0xFF)


def _jpeg(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    quality = int(np.clip(round(m), 1, 100))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise ValueError("JPEG round trip failed")
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


_UPSAMPLE = (cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST)


def _downsample(img: np.ndarray, m: float, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    scale = float(np.clip(m, 0.01, 1.0)) * min(1.0, REF_HEIGHT / h)
    small = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=_UPSAMPLE[int(rng.integers(len(_UPSAMPLE)))])


@dataclass(frozen=True)
class _Op:
    fn: OpFn
    min_side: int  # smaller crops are returned unchanged


OPS: dict[str, _Op] = {
    "rotate": _Op(_rotate, 4),
    "shear": _Op(_shear, 4),
    "perspective": _Op(_perspective, 4),
    "distort": _Op(_distort, 4),
    "stretch": _Op(_stretch, 4),
    "blur": _Op(_blur, 2),
    "noise": _Op(_noise, 1),
    "contrast": _Op(_contrast, 1),
    "brightness": _Op(_brightness, 1),
    "sharpness": _Op(_sharpness, 3),
    "invert": _Op(_invert, 1),
    "posterize": _Op(_posterize, 1),
    "jpeg": _Op(_jpeg, 1),
    "downsample": _Op(_downsample, 2),
}


# --- policies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpSpec:
    """One op of a policy: its name in :data:`OPS`, magnitude range and relative weight."""

    name: str
    low: float
    high: float
    weight: float = 1.0


@dataclass(frozen=True)
class AugmentPolicy:
    """Which ops, their magnitude ranges, how many per sample (inclusive range) and how often."""

    ops: tuple[OpSpec, ...] = ()
    num_ops: tuple[int, int] = (1, 2)
    prob: float = 0.5

    def __post_init__(self) -> None:
        unknown = [op.name for op in self.ops if op.name not in OPS]
        if unknown:
            raise UsageError(f"unknown augmentation op(s) {', '.join(unknown)}; known: {', '.join(OPS)}")
        if any(op.low > op.high or op.weight <= 0 for op in self.ops):
            raise UsageError("augmentation op ranges need low <= high and a positive weight")
        if not 0 <= self.num_ops[0] <= self.num_ops[1]:
            raise UsageError(f"augmentation num_ops must be (min, max) with 0 <= min <= max, got {self.num_ops}")
        _check_prob(self.prob)


def _check_prob(prob: float) -> None:
    if not 0 <= prob <= 1:
        raise UsageError(f"augmentation prob must be in [0, 1], got {prob}")


_GEOMETRY_LIGHT = (OpSpec("rotate", 0.5, 2.5), OpSpec("shear", 0.02, 0.12), OpSpec("perspective", 0.02, 0.1))
_PHOTO_LIGHT = (
    OpSpec("blur", 0.3, 0.8), OpSpec("noise", 2, 8), OpSpec("contrast", 0.05, 0.3),
    OpSpec("brightness", 0.05, 0.3), OpSpec("sharpness", 0.1, 0.5), OpSpec("jpeg", 60, 95),
    OpSpec("downsample", 0.7, 0.9),
)
_STRBENCH = (
    OpSpec("rotate", 1, 5), OpSpec("shear", 0.05, 0.25), OpSpec("perspective", 0.05, 0.25),
    OpSpec("distort", 0.05, 0.15), OpSpec("stretch", 0.1, 0.35),
    OpSpec("blur", 0.4, 1.2), OpSpec("noise", 3, 12), OpSpec("contrast", 0.1, 0.5),
    OpSpec("brightness", 0.1, 0.4), OpSpec("sharpness", 0.2, 0.8), OpSpec("invert", 0, 0, weight=0.5),
    OpSpec("posterize", 4, 6), OpSpec("jpeg", 30, 80), OpSpec("downsample", 0.45, 0.8),
)
_STRONG = (
    OpSpec("rotate", 3, 10), OpSpec("shear", 0.15, 0.4), OpSpec("perspective", 0.1, 0.35),
    OpSpec("distort", 0.08, 0.2), OpSpec("stretch", 0.2, 0.45),
    OpSpec("blur", 0.8, 1.8), OpSpec("noise", 6, 20), OpSpec("contrast", 0.2, 0.5),
    OpSpec("brightness", 0.2, 0.5), OpSpec("sharpness", 0.5, 1.5), OpSpec("invert", 0, 0),
    OpSpec("posterize", 3, 5), OpSpec("jpeg", 15, 60), OpSpec("downsample", 0.3, 0.6),
)

PRESETS: dict[str, AugmentPolicy] = {
    "off": AugmentPolicy(ops=(), num_ops=(0, 0), prob=0.0),
    "light": AugmentPolicy(ops=_GEOMETRY_LIGHT + _PHOTO_LIGHT, num_ops=(1, 2), prob=0.5),
    "strbench": AugmentPolicy(ops=_STRBENCH, num_ops=(1, 3), prob=0.5),
    "strong": AugmentPolicy(ops=_STRONG, num_ops=(2, 4), prob=0.8),
}


# --- the augmenter -------------------------------------------------------------------------------


def _preset(name: str) -> AugmentPolicy:
    policy = PRESETS.get(name.strip().lower())
    if policy is None:
        raise UsageError(f"unknown augmentation preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return policy


def _is_rgb(img: object) -> bool:
    return isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


def _is_image(img: object) -> bool:
    return _is_rgb(img) and min(np.shape(img)) > 0


def _apply(spec: OpSpec, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One op at a drawn magnitude; the input back when the op cannot apply."""
    op = OPS[spec.name]
    magnitude = float(rng.uniform(spec.low, spec.high))
    if min(img.shape[:2]) < op.min_side:
        return img
    try:
        out = op.fn(img, magnitude, rng)
    except (cv2.error, ValueError):
        return img
    return np.ascontiguousarray(out) if _is_image(out) else img


class Augmenter:
    """Augments ``rgb`` (HxWx3 uint8) deterministically from ``(seed, epoch, index)``.

    Picklable (it runs in DataLoader workers). The returned array may have another size than
    the input, or be the input itself when the sample is not augmented.
    """

    def __init__(self, policy: AugmentPolicy | str, seed: int, prob: float | None = None) -> None:
        self.policy = _preset(policy) if isinstance(policy, str) else policy
        self.seed = int(seed)
        self.prob = self.policy.prob if prob is None else float(prob)
        _check_prob(self.prob)

    def __repr__(self) -> str:
        names = ", ".join(op.name for op in self.policy.ops)
        return f"Augmenter(ops=[{names}], num_ops={self.policy.num_ops}, prob={self.prob}, seed={self.seed})"

    def rng(self, epoch: int, index: int) -> np.random.Generator:
        """The random state of one sample (negative numbers are taken modulo 2**64)."""
        return np.random.default_rng([int(v) % 2**64 for v in (self.seed, epoch, index)])

    def __call__(self, rgb: np.ndarray, epoch: int, index: int) -> np.ndarray:
        if not _is_rgb(rgb):
            raise ValueError(f"augment expects an HxWx3 uint8 array, got {getattr(rgb, 'shape', type(rgb))}")
        if rgb.size == 0 or not self.policy.ops:
            return rgb
        rng = self.rng(epoch, index)
        if rng.random() >= self.prob:
            return rgb
        out = np.ascontiguousarray(rgb)
        for spec in self._pick(rng):
            out = _apply(spec, out, rng)
        return out

    def _pick(self, rng: np.random.Generator) -> list[OpSpec]:
        ops = self.policy.ops
        low, high = self.policy.num_ops
        count = min(int(rng.integers(low, high + 1)), len(ops))
        weights = np.array([op.weight for op in ops], dtype=np.float64)
        chosen = rng.choice(len(ops), size=count, replace=False, p=weights / weights.sum())
        return [ops[i] for i in chosen]


def resolve_augmenter(name: str, seed: int, prob: float) -> Augmenter | None:
    """The :class:`Augmenter` of preset ``name`` at chance ``prob``; ``None`` for ``off`` (or prob 0).

    Raises :class:`~strbench.errors.UsageError` naming the presets for an unknown name.
    """
    policy = _preset(name)
    _check_prob(prob)
    if not policy.ops or prob == 0:
        return None
    return Augmenter(policy, seed, prob)
