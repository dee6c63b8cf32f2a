"""How curved and how perspective-distorted the words of each dataset are, measured on the ink of
the images themselves: the evidence for the synthetic mix's share and strength of irregular text.

    python benchmarks/text_geometry.py [--synth DIR ...] [--limit 2000] [--out results/bench/text_geometry.json]

No dataset has polygon annotations here, and RARE-mv3's rectifier, which could have served, stays
within a few percent of the identity on every dataset (it rectifies little), so the measure reads
the ink. Each image is resized to RARE's 32 x 100 input and split into text and background by
Otsu's threshold (the class that holds most of the image border is the background). The ink's
horizontal extent is cut into 10 column bins; in each, the 10th and 90th percentile rows of the
ink give a point of the text's top and bottom edge (normalised coordinates, -1..1), as a text
rectifier's 20 fiducial points would. From them, per image:

* ``bend``: the largest distance of a top or bottom point from the straight line fitted through
  its edge, in text heights (the mean top-to-bottom distance); a straight word scores above 0
  (letter shapes: ascenders, capitals, descenders), so compare datasets with the synthetic set
  drawn with no geometry at all (``--synth`` of ``strbench data synth --curve-rate 0
  --perspective-rate 0 --rotation 0``), the measure's floor;
* ``perspective``: ``|ln(left height / right height)|``, 0 when both ends are equally tall;
* ``slope``: the angle of the line through the edges' midpoints in the 100 x 32 frame, degrees.

Reported per dataset: quartiles and the 90th percentile of each, and the share above fixed
thresholds (``bend`` > 0.10 and > 0.20, ``perspective`` > 0.15 and > 0.30); images whose ink
cannot be found (fewer than 40 ink pixels, or half the bins empty) are counted as ``unmeasured``.
The measure reads only images, never labels.

Datasets: the benchmark test sets, the real training crops, and each ``--synth`` LMDB
(``strbench data synth`` output, e.g. the default mix and an irregular one).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
TEST_SETS = {"CUTE80": "str-benchmarks/CUTE80_288", "SVTP": "str-benchmarks/SVTP_645",
             "IC15": "str-benchmarks/IC15_2077", "IIIT5K": "str-benchmarks/IIIT5K_3000",
             "SVT": "str-benchmarks/SVT_647", "IC13": "str-benchmarks/IC13/gt_857.txt"}
TRAIN_SETS = {"IIIT5K-train": "str-train/IIIT5K_train_2000", "IC15-train": "str-train/IC15_train_4468"}
THRESHOLDS = {"bend": (0.10, 0.20), "perspective": (0.15, 0.30)}


def geometry(fiducials: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image bend, perspective and slope from ``(N, 20, 2)`` fiducials (top 10, bottom 10)."""
    half = fiducials.shape[1] // 2
    top, bottom = fiducials[:, :half], fiducials[:, half:]
    height = np.maximum((bottom[..., 1] - top[..., 1]).mean(axis=1), 1e-3)
    bends = []
    for edge in (top, bottom):
        x, y = edge[..., 0], edge[..., 1]
        xm, ym = x.mean(axis=1, keepdims=True), y.mean(axis=1, keepdims=True)
        slope = ((x - xm) * (y - ym)).sum(axis=1, keepdims=True) / np.maximum(((x - xm) ** 2).sum(axis=1, keepdims=True), 1e-6)
        bends.append(np.abs(y - (ym + slope * (x - xm))).max(axis=1))
    bend = np.maximum(*bends) / height
    left = np.maximum(bottom[:, 0, 1] - top[:, 0, 1], 1e-3)
    right = np.maximum(bottom[:, -1, 1] - top[:, -1, 1], 1e-3)
    perspective = np.abs(np.log(left / right))
    mid = (top + bottom) / 2
    dx = np.maximum(mid[:, -1, 0] - mid[:, 0, 0], 1e-3)
    # the image is 100 x 32 px: the normalised units differ per axis
    slope_deg = np.degrees(np.arctan(np.abs(mid[:, -1, 1] - mid[:, 0, 1]) * 16 / (dx * 50)))
    return {"bend": bend, "perspective": perspective, "slope_deg": slope_deg}


def summary(values: dict[str, np.ndarray]) -> dict[str, Any]:
    out: dict[str, Any] = {"samples": int(len(values["bend"]))}
    for name, v in values.items():
        q1, q2, q3, p90 = np.percentile(v, [25, 50, 75, 90])
        out[name] = {"q1": round(float(q1), 4), "median": round(float(q2), 4), "q3": round(float(q3), 4),
                     "p90": round(float(p90), 4)}
        for t in THRESHOLDS.get(name, ()):
            out[name][f"share_above_{t:g}"] = round(float((v > t).mean()), 4)
    return out


BINS = 10


def ink_fiducials(gray: np.ndarray) -> np.ndarray | None:
    """The (20, 2) top/bottom edge points of the ink of one grey 32 x 100 image (``None``: no ink found)."""
    import cv2

    h, w = gray.shape
    _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([binary[:2].ravel(), binary[-2:].ravel(), binary[:, :2].ravel(), binary[:, -2:].ravel()])
    ink = binary == (0 if border.mean() >= 0.5 else 1)
    rows, cols = np.nonzero(ink)
    if len(cols) < 40:
        return None
    x0, x1 = np.percentile(cols, [2, 98])
    if x1 - x0 < BINS:
        return None
    edges = np.linspace(x0, x1 + 1e-6, BINS + 1)
    top, bottom, centres = [], [], []
    for a, b in zip(edges, edges[1:]):
        in_bin = rows[(cols >= a) & (cols < b)]
        if len(in_bin) < 3:
            continue
        top.append(np.percentile(in_bin, 10))
        bottom.append(np.percentile(in_bin, 90))
        centres.append((a + b) / 2)
    if len(centres) < BINS // 2:
        return None
    xs = np.linspace(centres[0], centres[-1], BINS)
    top_y = np.interp(xs, centres, top)
    bottom_y = np.interp(xs, centres, bottom)
    nx = xs / (w - 1) * 2 - 1
    return np.concatenate([np.stack([nx, top_y / (h - 1) * 2 - 1], 1), np.stack([nx, bottom_y / (h - 1) * 2 - 1], 1)])


def dataset_fiducials(path: Path, limit: int, formats: Any) -> tuple[np.ndarray, int]:
    """Edge points of up to ``limit`` evenly spaced images of ``path``, and how many were unmeasured."""
    import cv2

    from strbench.data.loader import open_dataset

    source = open_dataset(path, formats)
    n = len(source)
    indices = sorted({round(i * n / limit) for i in range(limit)}) if limit and n > limit else list(range(n))
    points, unmeasured = [], 0
    for i in indices:
        raw = source.read(i)
        image = cv2.imdecode(np.frombuffer(raw.image, np.uint8), cv2.IMREAD_GRAYSCALE)
        found = ink_fiducials(cv2.resize(image, (100, 32), interpolation=cv2.INTER_AREA)) if image is not None else None
        if found is None:
            unmeasured += 1
        else:
            points.append(found)
    source.close()
    return np.stack(points), unmeasured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth", type=Path, nargs="*", default=[], help="synthetic LMDBs to measure too")
    parser.add_argument("--limit", type=int, default=2000, help="at most this many images per dataset, evenly spaced")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "bench" / "text_geometry.json")
    args = parser.parse_args()

    from strbench.plugin.host import PluginHost

    formats = PluginHost().dataset_formats()
    sets = {name: DATA / rel for name, rel in {**TEST_SETS, **TRAIN_SETS}.items()}
    sets.update({f"synth:{p.name}": p for p in args.synth})
    results: dict[str, Any] = {}
    for name, path in sets.items():
        if not path.exists():
            print(f"text_geometry: {name}: {path} not found, skipped", file=sys.stderr)
            results[name] = {"skipped": f"{path} not found"}
            continue
        points, unmeasured = dataset_fiducials(path, args.limit, formats)
        results[name] = summary(geometry(points)) | {"unmeasured": unmeasured}
        row = results[name]
        print(f"{name:24s} n={row['samples']:5d} bend median {row['bend']['median']:.3f} p90 {row['bend']['p90']:.3f} "
              f">0.1 {row['bend']['share_above_0.1']:.2f}  persp median {row['perspective']['median']:.3f} "
              f"p90 {row['perspective']['p90']:.3f}  slope p90 {row['slope_deg']['p90']:.1f}", flush=True)
    record = {"benchmark": "text_geometry", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "method": "ink edges (Otsu), 10 column bins, 10th/90th percentile rows", "limit": args.limit,
              "measures": __doc__.split("From them, per image:")[1].split("Reported")[0].strip(),
              "datasets": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
