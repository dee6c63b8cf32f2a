"""One synthetic word image per sample index.

Pipeline (rates are per image; every draw comes from ``random.Random(f"{seed}:{index}")``):

====================  ======  ==================================================================
step                  rate    what
====================  ======  ==================================================================
label                 1       :func:`strbench.data.synth.words.sample_label` (its own table)
font                  1       a family uniformly, then one of its files; redrawn (up to 8 times)
                              if it lacks a label character; caps-only fonts upper-case the label;
                              hairline/thin faces are thickened to a 1.5 px stem (at 28 px/em)
tracking              1       letter spacing uniform in [-0.03, 0.12] em
border                0.15    outline: the text dilated by 1-2 px (at 28 px/em), in its own colour
shadow                0.15    drop shadow 1-2 px away, blurred, dark, opacity 0.5-0.9
underline             0.03    a 1-2 px line under the baseline
curve                 0.12    arc or sine warp, amplitude 8-30% of the line height (remap)
rotation              0.50    uniform in [-5, 5] degrees
perspective           0.35    each corner moved by up to 12% of the line height
background            1       natural crop 65% (when real images are given), else plain 20%,
                              gradient 15% (without images: plain 55%, gradient 45%)
natural blending      -       zoomed crop (30-80% of the image height), flipped at random, blurred
                              50%, weighted 0.3-0.8 over a plain colour, the weight capped so the
                              luminance std stays <= 28
colours               1       grey 45%, else uniform RGB moved 0-60% toward grey; the fill has a
                              WCAG contrast ratio >= 3.5 (MIN_CONTRAST) to the mean background
                              colour under the text in each third of the image, an outline >= 1.5
                              to the fill (redrawn up to 8 times, then black or white); text
                              opacity 0.85-1.0 (thin strokes lifted to full coverage first)
blur                  0.30    Gaussian, sigma 0.4-1.1 px (at the output size)
down/up-sampling      0.25    factor 0.4-0.8
noise                 0.35    Gaussian, sigma 2-10 grey levels
JPEG artefacts        0.30    round trip at quality 20-60
====================  ======  ==================================================================

The text layer is drawn from cached glyph bitmaps at 28 px/em with random margins, curved by a
remap, then mapped to the output size (height 32 by default, width from the aspect ratio clipped to
[min_width, max_width], or a fixed ``width``) by one projective warp that also rotates and distorts
(a plain resize when neither applies); the colour work and degradations run on those small arrays.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from strbench.data.synth import effects
from strbench.data.synth.effects import below, contrasting_colour, paint
from strbench.data.synth.fonts import FONT_SIZE, FontFace, GlyphCache
from strbench.data.synth.words import sample_label

BORDER_RATE = 0.15
SHADOW_RATE = 0.15
UNDERLINE_RATE = 0.03
CURVE_RATE = 0.12
ROTATE_RATE = 0.50
PERSPECTIVE_RATE = 0.35
NATURAL_RATE = 0.65
PLAIN_RATE = 0.20  # gradient: the rest
BLUR_RATE = 0.30
RESAMPLE_RATE = 0.25
NOISE_RATE = 0.35
JPEG_RATE = 0.30
FONT_TRIES = 8


@lru_cache(maxsize=8)
def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


@lru_cache(maxsize=8)
def _square(size: int) -> np.ndarray:
    return np.ones((size, size), np.uint8)


@dataclass(frozen=True)
class SynthOptions:
    """What the images look like on output."""

    seed: int = 0
    height: int = 32
    width: int | None = None  # fixed width; None: from the aspect ratio
    min_width: int = 16
    max_width: int = 256
    image_format: str = "jpeg"  # or "png"
    quality: int = 90
    # geometry (defaults: the rates of the table above). Label and font are drawn first, so they never
    # change; a different rate bends or distorts other samples, whose later draws (margins, background,
    # colours) then differ too, while a different strength keeps the draws and scales the geometry
    curve_rate: float = CURVE_RATE
    curve_max: float = 0.30  # largest bend amplitude, as a fraction of the line height (smallest 0.08)
    perspective_rate: float = PERSPECTIVE_RATE
    perspective_jitter: float = 0.12  # largest corner move, as a fraction of the line height
    rotation: float = 5.0  # largest rotation, degrees


class Renderer:
    """Renders sample ``index`` of a seed; holds the fonts, words and backgrounds of one process."""

    def __init__(self, options: SynthOptions, faces: list[FontFace], words: list[list[str]],
                 backgrounds: list[np.ndarray]) -> None:
        self.options = options
        self.faces = faces
        self.words = words
        self.backgrounds = backgrounds
        self.glyphs = GlyphCache(faces)
        families: dict[str, list[int]] = {}
        for i, face in enumerate(faces):
            families.setdefault(face.family, []).append(i)
        self.families = [families[name] for name in sorted(families)]
        self._complete = next((i for i, f in enumerate(faces) if not f.missing), 0)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["glyphs"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.glyphs = GlyphCache(self.faces)

    def sample(self, index: int) -> tuple[str, bytes]:
        """Label and encoded image of sample ``index``."""
        r = random.Random(f"{self.options.seed}:{index}")
        label, _ = sample_label(r, self.words)
        font = self._font(r, label)
        if self.faces[font].caps_only:
            label = label.upper()
        img = self._image(r, label, font)
        return label, self._encode(img)

    def _font(self, r: random.Random, label: str) -> int:
        for _ in range(FONT_TRIES):
            family = self.families[below(r, len(self.families))]
            index = family[below(r, len(family))]
            missing = self.faces[index].missing
            if not missing or not any(c in missing for c in label):
                return index
        return self._complete

    def _layout(self, r: random.Random, label: str, font: int, stroke: int) -> tuple[np.ndarray, int]:
        """Coverage masks of ``label`` (fill; with a border also fill dilated by ``stroke`` px) with
        random margins, and the line height in pixels."""
        glyph = self.glyphs.glyph
        glyphs = [glyph(font, char) for char in label]
        tracking = r.uniform(-0.03, 0.12) * FONT_SIZE
        line_top, line_bottom = self.glyphs.line(font)
        xs, pen, right = [], 0.0, 0
        top, bottom = line_top, line_bottom
        for g in glyphs:
            x = round(pen) + g.dx
            xs.append(x)
            right, top, bottom = max(right, x + g.width), min(top, g.dy), max(bottom, g.dy + g.height)
            pen += g.advance + tracking
        left, right = min(xs) - stroke, right + stroke
        top, bottom = top - stroke, bottom + stroke
        line_h = bottom - top
        opt = self.options
        curved = r.random() < opt.curve_rate
        amplitude = line_h * r.uniform(min(0.08, opt.curve_max), opt.curve_max) if curved else 0.0
        mt = round(line_h * r.uniform(0.0, 0.15) + amplitude)
        mb = round(line_h * r.uniform(0.0, 0.15) + amplitude)
        ml, mr = round(line_h * r.uniform(0.0, 0.3)), round(line_h * r.uniform(0.0, 0.3))
        h, w = line_h + mt + mb, right - left + ml + mr
        ox, oy = ml - left, mt - top  # canvas position of the pen origin on the baseline
        fill = np.zeros((h, w), np.uint8)
        for x, g in zip(xs, glyphs):
            gx, gy = x + ox, g.dy + oy
            region = fill[gy:gy + g.height, gx:gx + g.width]
            cv2.max(region, g.mask, dst=region)  # union where glyphs overlap
        if r.random() < UNDERLINE_RATE:
            y0 = oy + max(2, round(line_bottom * 0.4))
            fill[y0:y0 + r.randint(1, 2), ml + stroke:w - mr - stroke] = 255
        bolden = self.faces[font].bolden
        if bolden:
            fill = cv2.dilate(fill, _square(bolden + 1))
        if stroke:
            masks = cv2.merge((fill, cv2.dilate(fill, _disk(stroke))))
        else:
            masks = fill[..., None]
        if curved:
            masks = effects.curve(masks, r, amplitude)
        return masks, line_h

    def _image(self, r: random.Random, label: str, font: int) -> np.ndarray:
        opt = self.options
        stroke = r.randint(1, 2) if r.random() < BORDER_RATE else 0
        masks, line_h = self._layout(r, label, font, stroke)
        angle = r.uniform(-opt.rotation, opt.rotation) if r.random() < ROTATE_RATE else 0.0
        jitter = line_h * opt.perspective_jitter if r.random() < opt.perspective_rate else 0.0
        mh, mw = masks.shape[:2]
        quad = effects.distort_quad(r, mw, mh, angle, jitter) if angle or jitter else None
        if quad is not None:
            mw, mh = (float(v) for v in quad.max(axis=0))
        h = opt.height
        w = opt.width or min(max(round(h * mw / mh), opt.min_width), opt.max_width)
        coverage = effects.place(masks, quad, (w, h))
        opacity = r.uniform(0.85, 1.0)
        alpha = coverage.astype(np.float32)
        peak = int(coverage[..., 0].max())
        if 0 < peak < 230:  # thin strokes shrunk to the output height: lift the peak to full (at most x2.5)
            alpha *= np.float32(min(2.5 / 255, 1 / peak))
            np.minimum(alpha, 1, out=alpha)
            alpha *= np.float32(opacity)
        else:
            alpha *= np.float32(opacity / 255)
        background = self._background(r, h, w)
        bg_means = effects.strip_means(background, (coverage[..., -1] > 64).view(np.uint8))
        fill = contrasting_colour(r, bg_means)
        layers = cv2.split(alpha) if alpha.shape[2] > 1 else [alpha[..., 0]]
        img = background
        if r.random() < SHADOW_RATE:
            d = r.randint(1, 2)
            shadow = effects.shifted(layers[-1], d * r.choice((-1, 1)), d)
            shadow = cv2.GaussianBlur(shadow, (0, 0), r.uniform(0.3, 1.0))
            grey = below(r, 70)
            img = paint(img, (grey, grey, grey), shadow * np.float32(r.uniform(0.5, 0.9)))
        if stroke:
            border = contrasting_colour(r, [fill], effects.MIN_BORDER_CONTRAST)
            img = paint(img, border, layers[1])
        out = paint(img, fill, layers[0])
        if r.random() < BLUR_RATE:
            out = cv2.GaussianBlur(out, (0, 0), r.uniform(0.4, 1.1))
        if r.random() < RESAMPLE_RATE:
            out = effects.resample(out, r.uniform(0.4, 0.8))
        if r.random() < NOISE_RATE:
            out = effects.gaussian_noise(r, out, r.uniform(2, 10))
        if r.random() < JPEG_RATE:
            out = effects.jpeg(out, r.randint(20, 60))
        return out

    def _background(self, r: random.Random, h: int, w: int) -> np.ndarray:
        u = r.random()
        if self.backgrounds:
            natural, plain = NATURAL_RATE, PLAIN_RATE
        else:
            natural, plain = 0.0, 0.55
        base = effects.random_colour(r)
        if u < natural:
            return effects.blend_natural(r, effects.natural_crop(r, self.backgrounds, h, w), base)
        if u < natural + plain:
            return effects.plain(base, h, w)
        return effects.gradient(r, base, effects.random_colour(r), h, w)

    def _encode(self, img: np.ndarray) -> bytes:
        if self.options.image_format == "png":
            ok, data = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        else:
            ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.options.quality])
        if not ok:
            raise RuntimeError(f"OpenCV could not encode a {img.shape} image as {self.options.image_format}")
        return data.tobytes()
