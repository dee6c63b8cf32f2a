"""Controlled corruptions of test images (``strbench run --perturb NAME[:SEVERITY]``).

A perturbation is applied to each decoded RGB image before the plugin's preprocessing, in the
DataLoader workers (:func:`strbench.data.loader.make_loader`'s ``perturb``). It is a pure function of
the image, the sample key, the perturbation's name and severity and the run's seed: the random draws
of a sample come from a generator seeded with ``(seed, sha256(name, key))``, so every model sees
pixel-identical inputs whatever the batch size, worker count or order, and the three severities of
one perturbation use the same draws at growing magnitude. docs/robustness.md has the table.

Sizes are relative to the crop (its height, or width and height), so a severity means the same to a
20-pixel and a 300-pixel crop once the model has resized it; JPEG is the exception (its 8x8 blocks
live at the crop's own resolution, like a re-saved file).
"""

from __future__ import annotations

import argparse
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from strbench.errors import UsageError

SEVERITIES = (1, 2, 3)
DEFAULT_SEVERITY = 2
DEFAULT_SEED = 0
#: height of the grid Gaussian noise is drawn on (noise at the scale of a model's input)
NOISE_GRID_HEIGHT = 32


def _rotate(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    # PIL's Image.rotate(angle, expand=True) (parseq's --rotation) turns counter-clockwise; for
    # multiples of 90 degrees that is exactly np.rot90.
    return np.ascontiguousarray(np.rot90(rgb, k=int(level) // 90))


def _blur(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    import cv2

    sigma = level * rgb.shape[0]
    return cv2.GaussianBlur(rgb, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)


def _noise(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    gh = min(h, NOISE_GRID_HEIGHT)
    gw = max(1, min(w, round(gh * w / h)))
    grid = rng.standard_normal((gh, gw, 3)).astype(np.float32)
    field = cv2.resize(grid, (w, h), interpolation=cv2.INTER_NEAREST) if (gh, gw) != (h, w) else grid
    return np.clip(np.rint(rgb.astype(np.float32) + field * (255.0 * level)), 0, 255).astype(np.uint8)


def _jpeg(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=int(level))
    with Image.open(io.BytesIO(buf.getvalue())) as img:
        return np.asarray(img.convert("RGB"))


def _contrast(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    x = rgb.astype(np.float32)
    mean = x.mean()
    return np.clip(np.rint((x - mean) * level + mean), 0, 255).astype(np.uint8)


def _perspective(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float32)
    shift = rng.uniform(0.0, 1.0, size=(4, 2)).astype(np.float32) * level * np.array([w - 1, h - 1], np.float32)
    matrix = cv2.getPerspectiveTransform(src, src + inward * shift)
    return cv2.warpPerspective(rgb, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _curvature(rgb: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    rise = level * h  # how far the middle of the word sits above (or below) its ends
    extra = int(np.ceil(rise))
    t = (2.0 * np.arange(w, dtype=np.float32) / max(w - 1, 1)) - 1.0
    arch = rise * (1.0 - t * t)  # 0 at both ends, ``rise`` in the middle
    offset = arch if rng.random() < 0.5 else rise - arch  # middle lowered, or middle raised
    ys, xs = np.mgrid[0:h + extra, 0:w].astype(np.float32)
    map_y = ys - offset[None, :].astype(np.float32)
    return cv2.remap(rgb, xs, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class Corruption:
    """One kind of corruption: its three severity levels (in ``unit``) and whether it draws random numbers."""

    name: str
    levels: tuple[float, float, float]
    unit: str
    description: str
    apply: Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
    random: bool = False


CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in (
    Corruption("rotation", (90, 180, 270), "degrees counter-clockwise",
               "the crop turned by a right angle, canvas expanded (parseq's --rotation)", _rotate),
    Corruption("gaussian_blur", (0.04, 0.07, 0.10), "sigma / crop height",
               "Gaussian blur (OpenCV, replicated border)", _blur),
    Corruption("gaussian_noise", (0.06, 0.12, 0.20), "sigma / 255",
               f"additive Gaussian noise per channel, drawn on a {NOISE_GRID_HEIGHT}-pixel-high grid and "
               f"stretched to the crop (nearest neighbour)", _noise, random=True),
    Corruption("jpeg", (20, 10, 5), "JPEG quality",
               "the crop re-encoded as JPEG (Pillow) at its own resolution", _jpeg),
    Corruption("contrast", (0.3, 0.15, 0.08), "contrast factor",
               "pixels pulled towards the crop's mean grey: mean + factor * (x - mean)", _contrast),
    Corruption("perspective", (0.10, 0.20, 0.30), "max corner shift / side",
               "each corner moved inwards by a random fraction (up to the level) of the width and the "
               "height; replicated border", _perspective, random=True),
    Corruption("curvature", (0.25, 0.50, 0.90), "arch rise / crop height",
               "columns shifted along a parabola (the word bent into an arch or a bowl, chosen at random); "
               "the canvas grows by the rise", _curvature, random=True),
)}


def sample_rng(seed: int, name: str, key: str) -> np.random.Generator:
    """The generator of one sample's draws: ``(seed, sha256(name NUL key))``; severity-independent."""
    digest = hashlib.sha256(f"{name}\0{key}".encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


@dataclass(frozen=True)
class Perturbation:
    """A corruption at one severity with the run's seed; call it as ``perturbation(rgb, key)``."""

    name: str
    severity: int = DEFAULT_SEVERITY
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        if self.name not in CORRUPTIONS:
            raise UsageError(f"unknown perturbation {self.name!r}; known: {', '.join(CORRUPTIONS)}")
        if self.severity not in SEVERITIES:
            raise UsageError(f"perturbation severity must be 1, 2 or 3, got {self.severity}")

    @property
    def corruption(self) -> Corruption:
        return CORRUPTIONS[self.name]

    @property
    def level(self) -> float:
        return self.corruption.levels[self.severity - 1]

    @property
    def spec(self) -> str:
        """``name:severity``, as ``--perturb`` takes it."""
        return f"{self.name}:{self.severity}"

    @property
    def tag(self) -> str:
        """What a record id carries: ``name-severity``."""
        return f"{self.name}-{self.severity}"

    def __call__(self, rgb: np.ndarray, key: str) -> np.ndarray:
        out = self.corruption.apply(rgb, self.level, sample_rng(self.seed, self.name, key))
        return np.ascontiguousarray(out, dtype=np.uint8)

    def describe(self) -> dict[str, Any]:
        """The record's ``data.perturbation``."""
        c = self.corruption
        return {"name": self.name, "severity": self.severity, "seed": self.seed, "level": self.level,
                "unit": c.unit, "description": c.description,
                "seeding": "per sample: (seed, sha256(name, sample key)); same draws at every severity"
                           if c.random else "deterministic (no random draws)"}


def parse_perturbation(spec: str | None, seed: int = DEFAULT_SEED) -> Perturbation | None:
    """``NAME[:SEVERITY]`` (severity 1-3, default 2; ``rotation:90/180/270`` also accepted) -> a
    :class:`Perturbation`; ``None``/empty -> ``None``. A bad spec is a :class:`UsageError`."""
    if not spec:
        return None
    name, _, severity = spec.partition(":")
    name = name.strip().lower().replace("-", "_")
    if not severity:
        return Perturbation(name, DEFAULT_SEVERITY, seed)
    try:
        value = int(severity)
    except ValueError:
        raise UsageError(f"--perturb {spec!r}: the severity must be 1, 2 or 3") from None
    if name == "rotation" and value in (90, 180, 270):
        value = value // 90
    return Perturbation(name, value, seed)


def perturbation_arg(text: str) -> str:
    """argparse ``type`` of ``--perturb``: the canonical ``name:severity`` of ``text``."""
    try:
        perturbation = parse_perturbation(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return perturbation.spec if perturbation is not None else ""


def tag_with(tag: str, spec: str | None) -> str:
    """A record id's tag with the perturbation's ``name-severity`` appended (``tag`` unchanged when clean
    or when it already ends with it, as a record's stored tag does when its command is repeated)."""
    perturbation = parse_perturbation(spec)
    if perturbation is None or tag == perturbation.tag or tag.endswith(f"_{perturbation.tag}"):
        return tag
    return "_".join(t for t in (tag, perturbation.tag) if t)


PERTURB_HELP = ("evaluate under a controlled corruption, applied after decoding and before the model's "
                "preprocessing: " + ", ".join(CORRUPTIONS) + f"; severity 1-3 (default {DEFAULT_SEVERITY}; "
                "rotation also takes 90/180/270). Seeded per sample: every model sees identical images "
                "(docs/robustness.md)")
