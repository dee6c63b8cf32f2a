"""RARE CPU throughput: the fast inference path against the plain eager model, same process, same images.

    python benchmarks/rare_speed.py                     # mv3 and r34, batch 64, writes results/bench/rare_speed.json
    python benchmarks/rare_speed.py --variants mv3 --repeats 5

Real crops: the first ``--batch-size`` images of IIIT5K_3000 under the data root
(``$STRBENCH_DATA_ROOT`` or ``../shared/data/str-benchmarks``); without them the script says so
and exits without writing. Both paths run the same seeded untrained weights (speed does not depend
on the values: every one of the 25 decoder steps always runs). Runs alternate plain/fast so
machine contention hits both alike; the record keeps the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from strbench.data.loader import make_loader, open_dataset
from strbench.types import Batch
from strbench_rare.algorithm import RareAlgorithm
from strbench_rare.labels import decode_probs
from strbench_rare.model import build_model
from strbench_rare.recognizer import RareRecognizer

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "results" / "bench" / "rare_speed.json"


def data_root() -> Path:
    return Path(os.environ.get("STRBENCH_DATA_ROOT", REPO.parent / "shared" / "data" / "str-benchmarks"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def time_forward(recognizer: RareRecognizer, batch: Batch) -> float:
    start = time.perf_counter()
    recognizer.forward(batch)
    return time.perf_counter() - start


def measure(variant: str, batch: Batch, repeats: int, warmup: int) -> dict:
    torch.manual_seed(0)
    model = build_model(variant).eval()
    spec = RareAlgorithm().variants[variant]
    paths = {"plain": RareRecognizer(model, spec, fast=False), "fast": RareRecognizer(model, spec, fast=True)}
    outputs = {name: rec.forward(batch) for name, rec in paths.items()}
    texts = {name: [p.text for p in decode_probs(out)] for name, out in outputs.items()}
    for _ in range(warmup):
        for rec in paths.values():
            rec.forward(batch)
    times: dict[str, list[float]] = {name: [] for name in paths}
    for i in range(repeats):
        order = list(paths) if i % 2 == 0 else list(paths)[::-1]
        for name in order:
            times[name].append(time_forward(paths[name], batch))
    result: dict = {"variant": variant, "num_parameters": sum(p.numel() for p in model.parameters())}
    for name, values in times.items():
        q1, median, q3 = quartiles(values)
        result[name] = {
            "median_s": median,
            "iqr_s": q3 - q1,
            "images_per_s": len(batch) / median,
            "runs_s": values,
        }
    result["speedup"] = result["plain"]["median_s"] / result["fast"]["median_s"]
    result["max_abs_diff"] = float((outputs["plain"] - outputs["fast"]).abs().max())
    result["strings_equal"] = texts["plain"] == texts["fast"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["mv3", "r34"], choices=["mv3", "r34"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    images = data_root() / "IIIT5K_3000"
    if not (images / "gt.txt").is_file():
        print(f"skipped: real benchmark images not found at {images} (set STRBENCH_DATA_ROOT); nothing written")
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = RareAlgorithm().variants["mv3"].input_spec
    loader = make_loader(open_dataset(images), spec, batch_size=args.batch_size, indices=range(args.batch_size))
    batch = next(iter(loader)).batch

    load_before = os.getloadavg()
    results = [measure(v, batch, args.repeats, args.warmup) for v in args.variants]
    load_after = os.getloadavg()
    cores = os.cpu_count() or 1
    record = {
        "benchmark": "rare_speed",
        "what": "Recognizer.forward (model only) on one batch of real IIIT5K crops, eval mode, fp32, CPU",
        "images": f"{images} (first {len(batch)})",
        "batch_size": len(batch),
        "repeats": args.repeats,
        "warmup": args.warmup,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": cpu_model(),
        "cpu_count": cores,
        "python": sys.version.split()[0],
        "load_average_before": load_before,
        "load_average_after": load_after,
        "contended": max(load_before[0], load_after[0]) > cores,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    for r in results:
        print(
            f"{r['variant']}: plain {r['plain']['images_per_s']:.1f} img/s, fast {r['fast']['images_per_s']:.1f} img/s, "
            f"x{r['speedup']:.2f}, max abs diff {r['max_abs_diff']:.1e}, strings equal {r['strings_equal']}"
        )
    print(f"load average {load_before[0]:.2f} -> {load_after[0]:.2f} on {cores} cores; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
