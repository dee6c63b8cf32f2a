"""Dataset statistics (labels, charset, image sizes) and a contact sheet of sample images."""

from __future__ import annotations

import io
import random
import statistics
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from strbench.data.base import SampleSource
from strbench.data.loader import decode_image
from strbench.errors import SampleError

LENGTH_BUCKETS = ((1, 3), (4, 6), (7, 10), (11, 15), (16, 25), (26, None))
LONG_LABEL = 25
IMAGE_SAMPLE_LIMIT = 2000
CHAR_CLASSES = ("digit", "lower", "upper", "punctuation", "space", "non_ascii", "other")


def char_class(ch: str) -> str:
    """The class of one character (ASCII digit/lower/upper/punctuation/space, non-ASCII, other)."""
    if not ch.isascii():
        return "non_ascii"
    if ch in string.digits:
        return "digit"
    if ch in string.ascii_lowercase:
        return "lower"
    if ch in string.ascii_uppercase:
        return "upper"
    if ch in string.punctuation:
        return "punctuation"
    if ch == " ":
        return "space"
    return "other"


def sample_indices(n: int, k: int, seed: int) -> list[int]:
    """A deterministic, sorted selection of ``min(k, n)`` indices out of ``n``."""
    return sorted(random.Random(seed).sample(range(n), min(k, n)))


def _summary(values: Sequence[int]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "mean": round(statistics.fmean(values), 2),
            "max": max(values)}


@dataclass
class DatasetStats:
    """Everything ``strbench data inspect`` reports (``asdict`` gives the JSON form)."""

    location: str
    samples: int
    label_errors: list[tuple[str, str]] = field(default_factory=list)
    label_length: dict[str, float] | None = None
    length_histogram: dict[str, int] = field(default_factory=dict)
    longer_than_25: int = 0
    distinct_chars: int = 0
    charset: str = ""
    char_counts: dict[str, int] = field(default_factory=dict)
    labels_with: dict[str, int] = field(default_factory=dict)
    image_sample: int = 0
    image_errors: list[tuple[str, str]] = field(default_factory=list)
    width: dict[str, float] | None = None
    height: dict[str, float] | None = None
    aspect_ratio: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _bucket_name(lo: int, hi: int | None) -> str:
    return f"{lo}-{hi}" if hi is not None else f">{lo - 1}"


def label_stats(source: SampleSource, stats: DatasetStats, advance: Callable[[int], None] | None = None) -> None:
    """Fill the label length and charset fields of ``stats`` from every label of ``source``."""
    lengths: list[int] = []
    chars: Counter[str] = Counter()
    labels_with: Counter[str] = Counter()
    for index in range(len(source)):
        try:
            label = source.label(index)
        except SampleError as exc:
            stats.label_errors.append((exc.key, exc.reason))
        else:
            lengths.append(len(label))
            chars.update(label)
            labels_with.update({char_class(c) for c in label})
        if advance:
            advance(1)
    stats.label_length = _summary(lengths)
    stats.length_histogram = {
        _bucket_name(lo, hi): sum(lo <= n and (hi is None or n <= hi) for n in lengths) for lo, hi in LENGTH_BUCKETS
    }
    stats.longer_than_25 = sum(n > LONG_LABEL for n in lengths)
    stats.distinct_chars = len(chars)
    stats.charset = "".join(sorted(chars))
    by_class: Counter[str] = Counter()
    for ch, count in chars.items():
        by_class[char_class(ch)] += count
    stats.char_counts = {name: by_class[name] for name in CHAR_CLASSES}
    stats.labels_with = {name: labels_with[name] for name in CHAR_CLASSES}


def image_stats(source: SampleSource, stats: DatasetStats, *, seed: int = 0, limit: int = IMAGE_SAMPLE_LIMIT,
                advance: Callable[[int], None] | None = None) -> None:
    """Fill the image size fields of ``stats`` from (a deterministic sample of) the images."""
    indices = sample_indices(len(source), limit, seed)
    widths, heights = [], []
    for index in indices:
        try:
            sample = source.read(index)
            with Image.open(io.BytesIO(sample.image)) as img:
                w, h = img.size
        except SampleError as exc:
            stats.image_errors.append((exc.key, exc.reason))
        except Exception as exc:  # PIL raises many types for unreadable headers
            stats.image_errors.append((source.key(index), f"cannot read image header: {exc}"))
        else:
            widths.append(w)
            heights.append(h)
        if advance:
            advance(1)
    stats.image_sample = len(indices)
    stats.width, stats.height = _summary(widths), _summary(heights)
    ratios = [w / h for w, h in zip(widths, heights) if h]
    if ratios:
        stats.aspect_ratio = {k: round(v, 2) for k, v in {"min": min(ratios), "median": statistics.median(ratios),
                                                          "mean": statistics.fmean(ratios), "max": max(ratios)}.items()}


def _label_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def contact_sheet(source: SampleSource, out: Path, *, n: int = 64, seed: int = 0, columns: int = 8,
                  cell: tuple[int, int] = (200, 64)) -> list[tuple[str, str]]:
    """Write a PNG grid of ``n`` deterministically chosen samples with their labels.

    Returns the samples that could not be shown as ``(key, reason)``; their cells say so in red.
    """
    indices = sample_indices(len(source), n, seed)
    rows = max(1, -(-len(indices) // columns))
    cw, ch = cell
    text_h = 18
    sheet = Image.new("RGB", (columns * cw, rows * (ch + text_h)), "white")
    draw = ImageDraw.Draw(sheet)
    font = _label_font(13)
    problems = []
    for slot, index in enumerate(indices):
        x, y = (slot % columns) * cw, (slot // columns) * (ch + text_h)
        try:
            sample = source.read(index)
            img = Image.fromarray(decode_image(sample.image, sample.key))
            img.thumbnail((cw - 4, ch - 4))
            sheet.paste(img, (x + (cw - img.width) // 2, y + (ch - img.height) // 2))
            draw.text((x + 3, y + ch), sample.label[:28], fill="black", font=font)
        except SampleError as exc:
            problems.append((exc.key, exc.reason))
            draw.text((x + 3, y + ch), f"[unreadable {exc.key}]"[:28], fill="red", font=font)
        draw.rectangle((x, y, x + cw - 1, y + ch + text_h - 1), outline=(200, 200, 200))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return problems
