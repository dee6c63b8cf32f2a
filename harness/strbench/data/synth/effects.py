"""Image operations of the renderer: colours with enforced contrast, backgrounds, warps, degradations.

Every function takes its randomness from the caller's ``random.Random`` so a sample depends only on
its own generator. Images are ``uint8`` BGR arrays (OpenCV's order; colours are drawn symmetrically,
so the channel order does not matter), text layers are ``uint8`` coverage masks.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import cv2
import numpy as np

#: Minimum WCAG contrast ratio between the text fill and the mean background colour under the text
#: in each third of the image (WCAG asks 3.0 for large text; 1 = same luminance, 21 = black on white).
MIN_CONTRAST = 3.5
#: Minimum contrast ratio between an outline and the fill it surrounds.
MIN_BORDER_CONTRAST = 1.5
#: How often a colour is drawn grey (black..white) instead of uniformly in RGB.
GREY_RATE = 0.45
#: Backgrounds: at most this many real images are kept in memory, downscaled to this height.
BACKGROUND_POOL = 512
BACKGROUND_HEIGHT = 64
#: Natural backgrounds are blended so that their luminance standard deviation stays below this.
MAX_BACKGROUND_STD = 28.0
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_NOISE = np.random.default_rng(20240531).standard_normal(1 << 18).astype(np.float32)
_v = np.arange(256) / 255.0
_LINEAR = np.where(_v <= 0.04045, _v / 12.92, ((_v + 0.055) / 1.055) ** 2.4)  # sRGB -> linear
_LUM_B, _LUM_G, _LUM_R = ((w * _LINEAR).tolist() for w in (0.0722, 0.7152, 0.2126))

Colour = tuple[int, int, int]


def relative_luminance(colour: Colour | tuple[float, ...]) -> float:
    """WCAG relative luminance (0..1) of a BGR colour (channel values rounded to integers)."""
    b, g, r = colour[:3]
    return _LUM_B[min(max(round(b), 0), 255)] + _LUM_G[min(max(round(g), 0), 255)] + _LUM_R[min(max(round(r), 0), 255)]


def contrast_ratio(a: Colour | tuple[float, ...], b: Colour | tuple[float, ...]) -> float:
    """WCAG contrast ratio of two colours, 1..21."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def below(r: random.Random, n: int) -> int:
    """A uniform integer in [0, n) from one ``r.random()`` (cheaper than ``randrange``)."""
    return int(r.random() * n)


def random_colour(r: random.Random) -> Colour:
    """Grey (:data:`GREY_RATE`) or a uniform RGB colour moved toward its grey by a random 0-60%
    (scene colours are rarely fully saturated)."""
    rand = r.random
    if rand() < GREY_RATE:
        v = int(rand() * 256)
        return (v, v, v)
    b, g, red = rand() * 255, rand() * 255, rand() * 255
    grey = (b + g + red) / 3
    keep = 0.4 + 0.6 * rand()
    return (round(grey + keep * (b - grey)), round(grey + keep * (g - grey)), round(grey + keep * (red - grey)))


def contrasting_colour(r: random.Random, against: list[Colour | tuple[float, ...]], min_ratio: float = MIN_CONTRAST,
                       tries: int = 8) -> Colour:
    """A random colour with a contrast ratio of at least ``min_ratio`` to every colour of ``against``:
    redrawn up to ``tries`` times from ``r``, then black or white, whichever contrasts more."""
    lums = [relative_luminance(c) + 0.05 for c in against]
    lum_b, lum_g, lum_r = _LUM_B, _LUM_G, _LUM_R
    for _ in range(tries):
        b, g, red = colour = random_colour(r)
        lum = lum_b[b] + lum_g[g] + lum_r[red] + 0.05
        for x in lums:
            if (lum if lum > x else x) < min_ratio * (x if lum > x else lum):
                break
        else:
            return colour
    # black (0.05) against the darkest, or white (1.05) against the lightest: whichever contrasts more
    return (0, 0, 0) if min(lums) / 0.05 >= 1.05 / max(lums) else (255, 255, 255)


def strip_means(img: np.ndarray, mask: np.ndarray, strips: int = 3) -> list[tuple[float, ...]]:
    """Mean colour of ``img`` under ``mask`` (uint8, nonzero = text) in ``strips`` vertical strips
    (the whole image where a strip has no text), so gradients and textures are judged piecewise."""
    w = img.shape[1]
    means = []
    for i in range(strips):
        sl = slice(i * w // strips, max((i + 1) * w // strips, i * w // strips + 1))
        part = mask[:, sl]
        means.append(cv2.mean(img[:, sl], mask=part if cv2.countNonZero(part) else None)[:3])
    return means


# --- backgrounds ----------------------------------------------------------------------------------


def background_files(source: Path) -> list[Path]:
    """Image files below the folder ``source``, or named by the label file ``source`` (one
    ``path<TAB>label`` line per image, the path relative to the file, as ``strbench data holdout``'s
    ``train.txt``), sorted by path."""
    source = Path(source)
    if source.is_file():
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        named = {source.parent / line.split("\t", 1)[0].strip() for line in lines if line.strip()}
        return sorted(p for p in named if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return sorted(p for p in source.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def load_backgrounds(files: list[Path], pool: int = BACKGROUND_POOL) -> list[np.ndarray]:
    """Up to ``pool`` images evenly spread over ``files``, downscaled to at most
    :data:`BACKGROUND_HEIGHT` rows; unreadable files are left out."""
    chosen = [files[i * len(files) // pool] for i in range(pool)] if len(files) > pool else files
    images = []
    for path in chosen:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None or min(img.shape[:2]) < 8:
            continue
        h, w = img.shape[:2]
        if h > BACKGROUND_HEIGHT:
            img = cv2.resize(img, (max(8, round(w * BACKGROUND_HEIGHT / h)), BACKGROUND_HEIGHT),
                             interpolation=cv2.INTER_AREA)
        images.append(img)
    return images


def natural_crop(r: random.Random, images: list[np.ndarray], h: int, w: int) -> np.ndarray:
    """A random zoomed-in crop of a random image, randomly flipped and often softened (so words in it
    do not read as text), resized to ``h x w``."""
    img = images[below(r, len(images))]
    ih, iw = img.shape[:2]
    ch = max(4, round(ih * r.uniform(0.3, 0.8)))
    cw = min(iw, max(4, round(ch * w / h * r.uniform(0.6, 1.5))))
    y0, x0 = below(r, ih - ch + 1), below(r, iw - cw + 1)
    crop = img[y0:y0 + ch, x0:x0 + cw]
    flip = below(r, 4)  # 0: none, 1: vertical, 2: horizontal, 3: both
    if flip:
        crop = cv2.flip(crop, {1: 0, 2: 1, 3: -1}[flip])
    out = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR)
    if r.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), r.uniform(0.5, 1.5))
    return out


def blend_natural(r: random.Random, crop: np.ndarray, base: Colour) -> np.ndarray:
    """``crop`` blended over the plain ``base`` colour with a weight in [0.3, 0.8], lowered so that
    the luminance spread of the result stays under :data:`MAX_BACKGROUND_STD` (legible text)."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    std = float(cv2.meanStdDev(grey)[1][0, 0])
    weight = min(r.uniform(0.3, 0.8), MAX_BACKGROUND_STD / max(std, 1e-3))
    return cv2.addWeighted(crop, weight, plain(base, *crop.shape[:2]), 1 - weight, 0)


def plain(colour: Colour, h: int, w: int) -> np.ndarray:
    out = np.empty((h, w, 3), np.uint8)
    cv2.rectangle(out, (0, 0), (w, h), tuple(int(c) for c in colour), -1)
    return out


def gradient(r: random.Random, c0: Colour, c1: Colour, h: int, w: int) -> np.ndarray:
    """A linear gradient from ``c0`` to ``c1`` in a random direction."""
    angle = r.uniform(0, 2 * math.pi)
    cos, sin = math.cos(angle), math.sin(angle) * h / max(w, 1)
    x = np.linspace(0.0, abs(cos), w, dtype=np.float32)
    y = np.linspace(0.0, abs(sin), h, dtype=np.float32)
    x, y = (x if cos >= 0 else x[::-1]), (y if sin >= 0 else y[::-1])
    t = x[None, :] + y[:, None]
    t *= np.float32(1 / max(abs(cos) + abs(sin), 1e-6))
    return cv2.blendLinear(plain(c0, h, w), plain(c1, h, w), 1 - t, t)


# --- geometry -------------------------------------------------------------------------------------


def curve(masks: np.ndarray, r: random.Random, amplitude: float) -> np.ndarray:
    """Bend the text: an arc (60%, up or down) or a sine wave (40%) of ``amplitude`` pixels, by remap."""
    h, w = masks.shape[:2]
    x = np.arange(w, dtype=np.float32)
    if r.random() < 0.6:
        u = (x - (w - 1) / 2) / max((w - 1) / 2, 1)
        dy = amplitude * (1 - u * u) * (1 if r.random() < 0.5 else -1) - amplitude / 2
    else:
        period = w * r.uniform(0.6, 1.5)
        dy = amplitude / 2 * np.sin(2 * np.pi * x / period + r.uniform(0, 2 * math.pi))
    map_x = np.broadcast_to(x, (h, w))
    map_y = np.arange(h, dtype=np.float32)[:, None] + dy.astype(np.float32)[None, :]
    return _channels(cv2.remap(masks, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0),
                     masks)


def distort_quad(r: random.Random, w: int, h: int, angle_deg: float, jitter: float) -> np.ndarray:
    """Where the corners of a ``w x h`` canvas go when it is rotated by ``angle_deg`` about its centre
    and each corner moved by up to ``jitter`` pixels (a projective distortion); shifted to start at 0."""
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    cx, cy = w / 2, h / 2
    corners = []
    for x, y in ((0, 0), (w, 0), (w, h), (0, h)):
        dx, dy = (r.uniform(-jitter, jitter), r.uniform(-jitter, jitter)) if jitter > 0 else (0.0, 0.0)
        corners.append((cx + (x - cx) * c - (y - cy) * s + dx, cy + (x - cx) * s + (y - cy) * c + dy))
    x0, y0 = min(p[0] for p in corners), min(p[1] for p in corners)
    return np.float32([(x - x0, y - y0) for x, y in corners])


def place(masks: np.ndarray, quad: np.ndarray | None, size: tuple[int, int]) -> np.ndarray:
    """``masks`` mapped to ``size`` (w, h): a plain resize, or with ``quad`` (from :func:`distort_quad`)
    one projective warp whose output spans the distorted canvas (warp and resize in one pass)."""
    h, w = masks.shape[:2]
    if quad is None:
        interp = cv2.INTER_AREA if h > size[1] else cv2.INTER_LINEAR
        return _channels(cv2.resize(masks, size, interpolation=interp), masks)
    extent = quad.max(axis=0)
    dst = quad * np.float32([size[0] / max(extent[0], 1e-3), size[1] / max(extent[1], 1e-3)])
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), dst)
    out = cv2.warpPerspective(masks, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=0)
    return _channels(out, masks)


def _channels(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """OpenCV drops a trailing channel axis of size 1; keep the layout of ``like``."""
    return out[..., None] if out.ndim == 2 and like.ndim == 3 else out


# --- composition and degradations -------------------------------------------------------------


def paint(img: np.ndarray, colour: Colour, alpha: np.ndarray) -> np.ndarray:
    """``img`` (uint8 BGR) blended toward ``colour`` by ``alpha`` (float32 0..1, HxW, contiguous)."""
    h, w = img.shape[:2]
    return cv2.blendLinear(img, plain(colour, h, w), 1 - alpha, alpha)


def shifted(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``mask`` moved by (dx, dy) pixels, zero-filled."""
    out = np.zeros_like(mask)
    h, w = mask.shape[:2]
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        mask[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def gaussian_noise(r: random.Random, img: np.ndarray, sigma: float) -> np.ndarray:
    """``img`` plus Gaussian noise of ``sigma`` (taken from a fixed table at a random offset)."""
    n = img.size
    if n > _NOISE.size:
        noise = np.resize(_NOISE, img.shape)
    else:
        start = below(r, _NOISE.size - n + 1)
        noise = _NOISE[start:start + n].reshape(img.shape)
    return cv2.add(img, noise * np.float32(sigma), dtype=cv2.CV_8U)


def resample(img: np.ndarray, factor: float) -> np.ndarray:
    """Down-sample by ``factor`` and back up (loss of resolution)."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """``img`` after a JPEG round trip at ``quality`` (block and ringing artefacts)."""
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else img
