"""Real benchmark images for the perf pass: read once, preprocessed once, batched by cycling."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from strbench.data.base import SampleSource
from strbench.data.loader import decode_image
from strbench.data.preprocess import make_batch
from strbench.errors import DataError, SampleError
from strbench.plugin.types import Batch, InputSpec


@dataclass
class PerfImages:
    """Decoded RGB images with their keys and raw labels (unreadable samples listed in ``skipped``)."""

    location: str
    keys: list[str]
    labels: list[str]
    rgb: list[np.ndarray]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def indices(self, start: int, size: int) -> list[int]:
        """``size`` image indices from ``start``, wrapping around (batches larger than the set repeat images)."""
        return [(start + i) % len(self) for i in range(size)]

    def describe(self) -> dict[str, object]:
        heights = [im.shape[0] for im in self.rgb]
        widths = [im.shape[1] for im in self.rgb]
        return {"location": self.location, "images": len(self), "skipped": [list(s) for s in self.skipped],
                "mean_height_px": round(float(np.mean(heights)), 1), "mean_width_px": round(float(np.mean(widths)), 1),
                "label_length_mean": round(float(np.mean([len(label) for label in self.labels])), 2)}


def read_images(source: SampleSource, count: int) -> PerfImages:
    """The first ``count`` readable samples of ``source``; a set with none is an error."""
    out = PerfImages(source.location, [], [], [])
    index = 0
    while len(out) < count and index < len(source):
        try:
            sample = source.read(index)
            rgb = decode_image(sample.image, sample.key)
        except SampleError as exc:
            out.skipped.append((exc.key, exc.reason))
        else:
            out.keys.append(sample.key)
            out.labels.append(sample.label)
            out.rgb.append(rgb)
        index += 1
    if not out.keys:
        raise DataError(f"{source.location}: no readable image among its first {index} samples; the perf pass "
                        f"needs real images (check the set with 'strbench data validate')")
    return out


class Preprocessor:
    """Turns image indices into a :class:`Batch` exactly as the accuracy pass does."""

    def __init__(self, images: PerfImages, spec: InputSpec) -> None:
        self.images, self.spec = images, spec

    @property
    def applicable(self) -> bool:
        return self.spec.resize != "none"

    def batch(self, indices: list[int]) -> Batch:
        """``preprocess_image`` per image, then ``collate`` (raw RGB for ``resize="none"`` specs)."""
        return make_batch([self.images.rgb[i] for i in indices], self.spec,
                          [self.images.keys[i] for i in indices])
