"""Images the conformance kit runs a plugin on: real benchmark samples when present, else the
embedded synthetic default set; a small dataset of broken and degenerate images; and rendered
words of widely different widths and aspect ratios for the batch-invariance check."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from strbench.data import default_set
from strbench.data.base import SampleSource
from strbench.data.loader import open_dataset
from strbench.data.preprocess import make_batch  # noqa: F401  (re-exported: older plugin tests)

#: Environment variable naming the real benchmark root (``--strbench-data-root`` sets it).
DATA_ROOT_ENV = "STRBENCH_DATA_ROOT"
#: Used when the variable is unset: the data folder beside a repository checkout, relative to the
#: directory the tests run from (the repository root).
DEFAULT_DATA_ROOT = Path("..") / "shared" / "data" / "str-benchmarks"
REAL_LABEL_FILE = Path("IIIT5K_3000") / "gt.txt"

#: File name -> why the core loader must skip it.
BROKEN_IMAGES = {
    "truncated.jpg": "JPEG cut in half",
    "empty.png": "0-byte file",
    "not_an_image.png": "text bytes with an image extension",
}
#: File name -> (width, height) of valid images with extreme sizes or aspect ratios.
DEGENERATE_IMAGES = {"one_pixel.png": (1, 1), "tall.png": (3, 200), "wide.png": (300, 6)}


@dataclass
class ConformanceSamples:
    """A sample source and which of its samples the checks use."""

    source: SampleSource
    indices: list[int]
    description: str


def data_root() -> Path:
    """The real benchmark root: ``$STRBENCH_DATA_ROOT``, else :data:`DEFAULT_DATA_ROOT`."""
    return Path(os.environ.get(DATA_ROOT_ENV) or DEFAULT_DATA_ROOT)


def conformance_samples(count: int = 16) -> ConformanceSamples:
    """The first ``count`` samples of IIIT5K (real data root) or of the embedded default set."""
    real = data_root() / REAL_LABEL_FILE
    if real.is_file():
        source = open_dataset(real)
        description = f"real benchmark samples from {real}"
    else:
        source = open_dataset(default_set.path())
        description = f"{default_set.TITLE} ({real} not found)"
    # a spread of samples, so widths (and hence padding) differ inside a batch
    step = max(1, len(source) // count)
    indices = list(range(0, len(source), step))[:count]
    return ConformanceSamples(source, indices, description)


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def write_problem_dataset(folder: Path, good_image: bytes) -> dict[str, str]:
    """Write ``gt.txt`` + images: one good image, the :data:`BROKEN_IMAGES` and the
    :data:`DEGENERATE_IMAGES`. Returns ``{file name: kind}`` with kind ``good``/``broken``/``degenerate``."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    rgb = np.asarray(Image.open(io.BytesIO(good_image)).convert("RGB"))
    jpeg = io.BytesIO()
    Image.fromarray(rgb).save(jpeg, format="JPEG", quality=90)
    contents = {
        "good.png": _png(rgb),
        "truncated.jpg": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],
        "empty.png": b"",
        "not_an_image.png": b"this is not an image\n",
    }
    rng = np.random.default_rng(0)
    for name, (w, h) in DEGENERATE_IMAGES.items():
        contents[name] = _png(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
    for name, data in contents.items():
        (images / name).write_bytes(data)
    (folder / "gt.txt").write_text("".join(f"images/{name}\tword\n" for name in contents), encoding="utf-8")
    kinds = {"good.png": "good"}
    kinds.update({name: "broken" for name in BROKEN_IMAGES})
    kinds.update({name: "degenerate" for name in DEGENERATE_IMAGES})
    return kinds


#: File name -> (text, height) of the rendered images on which batch invariance is also checked:
#: widths and aspect ratios from a narrow, tall crop (about 1:3) to a long banner (about 50:1), so
#: a batch padded to its widest image puts long padding next to its narrowest ones.
MIXED_WIDTH_WORDS = {
    "tall_crop.png": ("I", 64),
    "one_letter.png": ("a", 32),
    "short_word.png": ("go", 48),
    "word.png": ("text", 32),
    "long_word.png": ("benchmark", 32),
    "small_long_word.png": ("recognition", 20),
    "line.png": ("a long line of scene text here", 32),
    "banner.png": ("an extremely wide banner of words that goes on and on", 24),
}


def write_mixed_width_dataset(folder: Path) -> dict[str, tuple[int, int]]:
    """Write ``gt.txt`` + the :data:`MIXED_WIDTH_WORDS` images; return ``{file name: (width, height)}``."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, tuple[int, int]] = {}
    for name, (text, height) in MIXED_WIDTH_WORDS.items():
        rgb = render_word(text, height)
        if name == "tall_crop.png":
            rgb = rgb[:, : height // 3]
        (images / name).write_bytes(_png(rgb))
        sizes[name] = (int(rgb.shape[1]), int(rgb.shape[0]))
    (folder / "gt.txt").write_text("".join(f"images/{name}\t{text.replace(' ', '')}\n"
                                           for name, (text, _) in MIXED_WIDTH_WORDS.items()), encoding="utf-8")
    return sizes


def render_word(text: str, height: int = 64) -> np.ndarray:
    """A clean dark-on-white RGB image of ``text`` (OpenCV Hershey font), for smoke tests."""
    import cv2

    scale = height / 64
    img = np.full((height, int((40 + 30 * len(text)) * scale), 3), 255, np.uint8)
    cv2.putText(img, text, (int(12 * scale), int(46 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 1.3 * scale,
                (20, 20, 20), max(1, round(3 * scale)), cv2.LINE_AA)
    return img
