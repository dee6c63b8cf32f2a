"""Render docs/img/perturbations.png: every corruption of ``strbench run --perturb`` at its three
severities, applied to words of the embedded synthetic default set (rendered words, not benchmark
images), as the model receives them before its own preprocessing."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from strbench.data.perturb import CORRUPTIONS, SEVERITIES, Perturbation
from strbench.data.preprocess import decode_image

DEFAULT_SET = Path(__file__).resolve().parents[1] / "harness" / "strbench" / "data" / "default_set" / "images"
WORDS = ("word_0003.png", "word_0011.png")
CELL_H, CELL_W, LABEL_W, GAP = 44, 150, 150, 6


def fit(rgb: np.ndarray) -> Image.Image:
    img = Image.fromarray(rgb)
    scale = min(CELL_H / img.height, CELL_W / img.width)
    return img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BILINEAR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/img/perturbations.png"))
    args = parser.parse_args()
    words = [(name, decode_image((DEFAULT_SET / name).read_bytes(), name)) for name in WORDS]
    rows = 1 + len(CORRUPTIONS)
    cols = len(words) * len(SEVERITIES)
    sheet = Image.new("RGB", (LABEL_W + cols * (CELL_W + GAP), 22 + rows * (CELL_H + GAP)), "white")
    draw = ImageDraw.Draw(sheet)
    for s in SEVERITIES:
        for w in range(len(words)):
            draw.text((LABEL_W + (w * len(SEVERITIES) + s - 1) * (CELL_W + GAP), 4), f"severity {s}", fill="black")
    y = 22
    draw.text((4, y + CELL_H // 2 - 6), "clean", fill="black")
    for w, (_, rgb) in enumerate(words):
        sheet.paste(fit(rgb), (LABEL_W + w * len(SEVERITIES) * (CELL_W + GAP), y))
    for name in CORRUPTIONS:
        y += CELL_H + GAP
        draw.text((4, y + CELL_H // 2 - 6), name, fill="black")
        for s in SEVERITIES:
            p = Perturbation(name, s)
            for w, (key, rgb) in enumerate(words):
                x = LABEL_W + (w * len(SEVERITIES) + s - 1) * (CELL_W + GAP)
                sheet.paste(fit(p(rgb, key)), (x, y))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, optimize=True)
    print(args.output)


if __name__ == "__main__":
    main()
