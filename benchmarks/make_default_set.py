"""Generate the embedded default evaluation set ``harness/strbench/data/default_set/`` (run once, commit the result).

    python benchmarks/make_default_set.py [--out harness/strbench/data/default_set]

The set is SYNTHETIC ("strbench-default (synthetic, NOT a real benchmark)"): common English words
plus a few numbers, mixed-case and punctuation words, rendered with Pillow in DejaVu fonts (Debian
package fonts-dejavu-core; falls back to Pillow's built-in ``ImageFont.load_default``) with varied
sizes, colours, background noise, slight rotation/perspective/blur and a few curved words.
Everything is drawn from one seeded RNG, so the output depends only on the seed, the fonts and the
Pillow/FreeType versions, which are written to ``README.txt`` next to the images.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

SEED = 20240601
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "harness" / "strbench" / "data" / "default_set"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
              "DejaVuSansMono.ttf", "DejaVuSansCondensed.ttf", "DejaVuSans-Oblique.ttf")
TITLE = "strbench-default (synthetic, NOT a real benchmark)"

COMMON_WORDS = """
the and for are but not you all any can had her was one our out day get has him his how man new now
old see two way who boy did its let put say she too use about above after again being below black
board bread break bring brown build cause chair change child class clean clear close color coffee
could cover cross dance dream drink drive early earth eight enter every field fight final first floor
found fresh front fruit glass grass great green group happy heart heavy horse hotel house large laugh
learn light lunch magic money month mouth music never night north ocean offer often order other paper
party peace phone piece place plant point power press price quick quiet radio river right round
seven shape share short sleep small smile sound south space speak sport stand start state station
stone store story study sugar table taste teach thank their there thing think three today total
touch tower train truth under until value visit voice water watch wheel where which white whole woman
world write young street market garden window closed public parking office coffee kitchen library
airport center museum theatre school bakery pharmacy welcome service exit entrance open sale
""".split()
NUMBERS = ["2024", "15", "100", "7", "365", "1999", "42", "808"]
MIXED_CASE = ["London", "Paris", "McDonald", "iPhone", "YouTube", "Coffee", "OPEN", "STOP", "Hotel",
              "EXIT", "Berlin", "Monday"]
PUNCTUATION = ["don't", "e-mail", "U.S.", "50%", "$9.99", "No.1", "24/7", "Mr.", "it's", "A&B", "9:30", "(new)"]


def word_list() -> list[str]:
    """The fixed, de-duplicated word list in a fixed order."""
    return list(dict.fromkeys(COMMON_WORDS + NUMBERS + MIXED_CASE + PUNCTUATION))


def load_fonts() -> tuple[list[str], Callable[[random.Random, int], Any]]:
    """Font names in use and a ``(rng, size) -> FreeTypeFont`` chooser."""
    files = [FONT_DIR / name for name in FONT_FILES if (FONT_DIR / name).is_file()]
    if files:
        return [f.name for f in files], lambda rng, size: ImageFont.truetype(str(rng.choice(files)), size)
    return ["Pillow built-in load_default(size)"], lambda rng, size: ImageFont.load_default(size=size)


def _contrasting_colours(rng: random.Random) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """A (background, text) pair with enough luminance contrast to stay legible."""
    while True:
        bg = tuple(rng.randint(0, 255) for _ in range(3))
        fg = tuple(rng.randint(0, 255) for _ in range(3))
        if abs(sum(bg) - sum(fg)) > 300:
            return bg, fg  # type: ignore[return-value]


def _curve(img: Image.Image, rng: random.Random) -> Image.Image:
    """Shift columns vertically along an arc: a gently curved word."""
    arr = np.asarray(img)
    h, w = arr.shape[:2]
    amp = rng.uniform(0.12, 0.22) * h
    pad = int(math.ceil(amp)) + 1
    out = np.empty((h + 2 * pad, w, 3), dtype=arr.dtype)
    out[:] = arr[0, 0]
    sign = rng.choice((-1, 1))
    for x in range(w):
        dy = int(round(sign * amp * math.sin(math.pi * x / max(w - 1, 1)))) + pad
        out[dy:dy + h, x] = arr[:, x]
    return Image.fromarray(out)


def _perspective(img: Image.Image, rng: random.Random) -> Image.Image:
    """A slight perspective tilt (one side shorter than the other)."""
    w, h = img.size
    d = rng.uniform(0.04, 0.12) * h
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [(0, d), (w, 0), (w, h), (0, h - d)] if rng.random() < 0.5 else [(0, 0), (w, d), (w, h - d), (0, h)]
    coeffs = _perspective_coeffs(dst, src)
    fill = img.getpixel((0, 0))
    return img.transform(img.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=fill)


def _perspective_coeffs(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list[float]:
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def render(word: str, rng: random.Random, font_for) -> Image.Image:
    """One word image with random size, colours, noise and geometric/blur distortions."""
    size = rng.randint(18, 38)
    font = font_for(rng, size)
    bg, fg = _contrasting_colours(rng)
    left, top, right, bottom = font.getbbox(word)
    margin_x, margin_y = rng.randint(2, 10), rng.randint(2, 8)
    img = Image.new("RGB", (right - left + 2 * margin_x, bottom - top + 2 * margin_y), bg)
    ImageDraw.Draw(img).text((margin_x - left, margin_y - top), word, font=font, fill=fg)
    style = rng.random()
    if style < 0.08:
        img = _curve(img, rng)
    elif style < 0.30:
        img = _perspective(img, rng)
    angle = rng.uniform(-4.0, 4.0)
    if abs(angle) > 0.5:
        img = img.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=bg)
    noise_sigma = rng.choice((0.0, 0.0, 4.0, 8.0))
    if noise_sigma:
        arr = np.asarray(img).astype(np.float32)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0.0, noise_sigma, arr.shape)
        img = Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8))
    blur = rng.choice((0.0, 0.0, 0.0, 0.6, 1.0))
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if rng.random() < 0.3:
        img = img.convert("L")
    return img


def readme(n: int, fonts: list[str]) -> str:
    import PIL

    return f"""{TITLE}
{'=' * len(TITLE)}

Dataset name: default-synthetic
Samples: {n} word images (images/*.png) listed in gt.txt as 'images/<file><TAB><label>'.

This is a SYNTHETIC set used by 'strbench run' when no --data-root is given, so the main
command works on a fresh offline machine. Its scores are NOT comparable to any published
benchmark number; records made on it carry "synthetic": true.

Generated by benchmarks/make_default_set.py (seed {SEED}) from a fixed list of common English
words plus a few numbers, mixed-case and punctuation words.
Fonts: {', '.join(fonts)} ({FONT_DIR if not fonts[0].startswith('Pillow') else 'Pillow built-in'})
Pillow {PIL.__version__}, FreeType {features.version('freetype2')}
Distortions: random size 18-38 px, colours, Gaussian background noise, rotation up to 4 degrees,
perspective tilt, Gaussian blur, gently curved baselines; about 30% grayscale.

License: CC0 1.0 (public domain dedication). The images are generated; the DejaVu fonts used
to draw them are under the Bitstream Vera / DejaVu font license, which places no restriction
on rendered output.
"""


def generate(out: Path) -> int:
    """Write the set into ``out`` (replacing its images and gt.txt); return the sample count."""
    rng = random.Random(SEED)
    fonts, font_for = load_fonts()
    images = out / "images"
    if images.exists():
        shutil.rmtree(images)
    images.mkdir(parents=True)
    lines = []
    for i, word in enumerate(word_list(), start=1):
        name = f"word_{i:04d}.png"
        render(word, rng, font_for).save(images / name, optimize=True)
        lines.append(f"images/{name}\t{word}")
    (out / "gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "README.txt").write_text(readme(len(lines), fonts), encoding="utf-8")
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    n = generate(args.out)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {n} samples to {args.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
