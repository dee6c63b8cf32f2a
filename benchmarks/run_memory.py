"""Peak memory of ``strbench run`` against the number of samples of one dataset version.

    python benchmarks/run_memory.py                          # 10,000, 50,000 and 200,000 samples
    python benchmarks/run_memory.py --sizes 10000 50000 --out /tmp/x.json

One LMDB of tiny generated images (4 x 6 grey PNGs, words as labels) is written once to
``--cache`` and reused; each size is a fresh ``python -m strbench run`` process over its first N
samples (``--limit N``; a subset run, the same code path as a set of N samples) with a fast
deterministic test recognizer (``benchmarks/run_memory_plugin.py``), ``--workers 0``, resume on
(the default). Its peak resident memory comes from ``os.wait4`` (the child's own ``ru_maxrss``).
Written to ``results/bench/run_memory.json``: the curve (samples, peak RSS, wall seconds) and the
extra KB per sample between consecutive sizes and from the smallest to the largest. Target: at
most 0.5 KB per sample from 10,000 to 200,000 samples.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("the", "and", "street", "coffee", "hotel", "exit", "open", "sale", "park", "bank", "stop", "pizza")


def make_lmdb(path: Path, n: int) -> Path:
    """An LMDB of ``n`` tiny images (written once; reused when complete)."""
    import lmdb
    import numpy as np
    from PIL import Image

    done = path / "done"
    if done.is_file() and int(done.read_text()) >= n:
        return path
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    rng = np.random.default_rng(0)
    env = lmdb.open(str(path), map_size=2**32)
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", str(n).encode())
        for i in range(1, n + 1):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (4, 6), dtype=np.uint8)).save(buf, format="PNG")
            txn.put(b"image-%09d" % i, buf.getvalue())
            txn.put(b"label-%09d" % i, WORDS[int(rng.integers(len(WORDS)))].encode())
    env.close()
    done.write_text(str(n))
    return path


def measure(data: Path, n: int, batch_size: int) -> dict[str, float]:
    """One ``strbench run`` over the first ``n`` samples in a fresh process: peak RSS and wall time."""
    env = dict(os.environ, STRBENCH_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH")))))
    with tempfile.TemporaryDirectory(prefix="strbench-run-memory-") as results:
        cmd = [sys.executable, "-m", "strbench", "-q", "-p", "run_memory_plugin", "run", "--plugin", "memory-probe",
               "--dataset", f"{data}=generated", "--limit", str(n), "--workers", "0", "--batch-size", str(batch_size),
               "--results-dir", results]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"strbench run over {n} samples failed ({' '.join(cmd)})")
        [record] = [p for p in Path(results).glob("*.json") if not p.name.startswith(".")]
        evaluated = json.loads(record.read_text())["datasets"][0]["evaluated"]
    if evaluated != n:
        raise SystemExit(f"the run evaluated {evaluated} samples, not {n}")
    return {"samples": n, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "wall_s": round(wall, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--batch-size", type=int, default=64, help="the run's --batch-size (default: strbench's 64)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "strbench-run-memory")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench" / "run_memory.json")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    start = time.perf_counter()
    data = make_lmdb(args.cache / "lmdb", sizes[-1])
    generated_s = time.perf_counter() - start
    curve = []
    for n in sizes:
        curve.append(measure(data, n, args.batch_size))
        print(json.dumps(curve[-1]), flush=True)

    def per_sample(a: dict[str, float], b: dict[str, float]) -> float:
        return round((b["peak_rss_mb"] - a["peak_rss_mb"]) * 1024 / (b["samples"] - a["samples"]), 4)

    result = {
        "what": "peak RSS of 'strbench run' (one generated LMDB version, fast test recognizer) against its samples",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average": os.getloadavg(), "batch_size": args.batch_size, "workers": 0,
        "dataset_generation_s": round(generated_s, 1),
        "curve": curve,
        "kb_per_sample": {f"{a['samples']}->{b['samples']}": per_sample(a, b) for a, b in zip(curve, curve[1:])},
        "kb_per_sample_overall": per_sample(curve[0], curve[-1]) if len(curve) > 1 else None,
        "target_kb_per_sample": 0.5,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{result['kb_per_sample_overall']} KB per sample from {sizes[0]} to {sizes[-1]}; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
