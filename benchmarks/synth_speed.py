"""Throughput of ``strbench data synth``: images/s into an LMDB with the whole pipeline on.

    python benchmarks/synth_speed.py                    # workers 1 and 2, writes results/bench/synth_speed.json
    python benchmarks/synth_speed.py --workers 1 2 --runs 5 --images 4000 --out /tmp/x.json

Each row (a worker count) runs in a fresh process: it builds the renderer from the default
sources (fonts, word lists, the real training crops as backgrounds when present; the time is
recorded as ``startup_s``), opens one pool of that many workers, renders ``--warmup`` images
(the first ``--images`` of them, with cold glyph caches, are timed as ``cold_images_per_s``: what
a short run sees), then times ``--runs`` runs of ``--images`` new sample indices, each written to
a fresh LMDB (render, transfer from the workers, LMDB writes; rows of 32 px height, width from
the aspect ratio, JPEG q90). ``workers=1`` renders in the writing process itself.

Reported per row: median and IQR of images/s over the runs, the runs, mean image width and
bytes. The 2-core machine may be shared with other work: the record keeps the cores other
processes kept busy during the whole measurement (``other_processes``, from
``strbench.environment.OtherCpuLoad``; this script and its workers are excluded) and, per row,
during the timed runs (``other_cpu_cores_timed``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "results" / "bench" / "synth_speed.json"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_row(workers: int, images: int, runs: int, warmup: int, seed: int, workdir: Path) -> dict:
    import multiprocessing

    import cv2
    import lmdb
    import numpy as np

    from strbench.data.synth import RenderPool, SynthOptions, build_renderer, write_synth_lmdb
    from strbench.environment import OtherCpuLoad

    start = time.perf_counter()
    renderer, sources = build_renderer(SynthOptions(seed=seed))
    facts: dict = {"workers": workers, "startup_s": time.perf_counter() - start,
                   "fonts": len(renderer.faces), "font_families": len(renderer.families),
                   "word_list_sizes": [len(w) for w in renderer.words], "word_files": sources.word_files,
                   "backgrounds": len(renderer.backgrounds), "background_dir": sources.background_dir}
    with RenderPool(renderer, workers) as pool:
        start = time.perf_counter()
        for _ in pool.samples(0, images):
            pass
        facts["cold_images_per_s"] = images / (time.perf_counter() - start)
        for _ in pool.samples(images, max(warmup - images, 0)):
            pass
        facts["warmup_images"] = max(warmup, images)
        pids = [p.pid for p in multiprocessing.active_children() if p.pid is not None]
        worker_cpu0 = sum(_cpu_seconds(pid) for pid in pids)
        times = []
        offset = max(warmup, images)
        with OtherCpuLoad() as load:
            for k in range(runs):
                dest = workdir / f"run{workers}_{k}"
                started = time.perf_counter()
                write_synth_lmdb(dest, renderer, images, pool=pool, start=offset + k * images)
                times.append(time.perf_counter() - started)
                if k < runs - 1:
                    for name in ("data.mdb", "lock.mdb", "synth-meta.json"):
                        (dest / name).unlink(missing_ok=True)
                    dest.rmdir()
        worker_cpu = sum(_cpu_seconds(pid) for pid in pids) - worker_cpu0
    other = load.as_dict()
    if load.other_cpu_cores is not None:
        other["other_cpu_cores"] = round(max(load.other_cpu_cores - worker_cpu / load.wall_s, 0.0), 3)
        other["contended"] = other["other_cpu_cores"] + (other["steal_cores"] or 0) > 0.25
    other["own_worker_cpu_cores"] = round(worker_cpu / load.wall_s, 3)
    env = lmdb.open(str(workdir / f"run{workers}_{runs - 1}"), readonly=True, lock=False)
    widths, sizes = [], []
    with env.begin() as txn:
        for i in range(1, images + 1, 10):
            data = txn.get(b"image-%09d" % i)
            sizes.append(len(data))
            widths.append(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape[1])
    env.close()
    rates = sorted(images / t for t in times)
    q1, median, q3 = statistics.quantiles(rates, n=4, method="inclusive")
    facts.update(images=images, runs=runs, runs_s=times, images_per_s=median, images_per_s_iqr=q3 - q1,
                 mean_width=statistics.fmean(widths), mean_bytes=statistics.fmean(sizes),
                 other_cpu_cores_timed=other)
    return facts


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in ("numpy", "opencv-python-headless", "pillow", "lmdb", "trdg"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    from PIL import features

    out["freetype"] = features.version("freetype2")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--images", type=int, default=4000, help="images per timed run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per row")
    parser.add_argument("--warmup", type=int, default=40000, help="images rendered before the timed runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--row", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row is not None:
        facts = run_row(args.row, args.images, args.runs, args.warmup, args.seed, args.workdir)
        (args.workdir / f"row{args.row}.json").write_text(json.dumps(facts))
        return 0

    from strbench.environment import OtherCpuLoad

    rows = []
    with OtherCpuLoad() as other_load, tempfile.TemporaryDirectory(prefix="synth_speed_") as tmp:
        for workers in args.workers:
            cmd = [sys.executable, __file__, "--row", str(workers), "--images", str(args.images), "--runs",
                   str(args.runs), "--warmup", str(args.warmup), "--seed", str(args.seed), "--workdir", tmp]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"row workers={workers} failed:\n{done.stderr[-4000:]}")
            facts = json.loads((Path(tmp) / f"row{workers}.json").read_text())
            rows.append(facts)
            print(f"  workers {workers}: {facts['images_per_s']:.0f} img/s (IQR {facts['images_per_s_iqr']:.0f}), "
                  f"cold {facts['cold_images_per_s']:.0f} img/s, other processes "
                  f"{facts['other_cpu_cores_timed']['other_cpu_cores']} cores", flush=True)
    first = rows[0]
    record = {
        "benchmark": "synth_speed",
        "what": "strbench data synth: render (full pipeline) + transfer from the workers + clovaai LMDB writes; "
                "height 32, width from the aspect ratio (16..256), JPEG q90; each row in a fresh process, "
                "steady state after a warm-up of the workers' glyph caches",
        "images_per_run": args.images,
        "runs": args.runs,
        "warmup_images": max(args.warmup, args.images),
        "seed": args.seed,
        "fonts": first["fonts"],
        "font_families": first["font_families"],
        "word_list_sizes": first["word_list_sizes"],
        "word_files": first["word_files"],
        "backgrounds": first["backgrounds"],
        "background_dir": first["background_dir"],
        "versions": versions(),
        **other_load.machine_facts(),
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    for facts in rows:
        print(f"workers {facts['workers']}: median {facts['images_per_s']:.0f} images/s "
              f"(IQR {facts['images_per_s_iqr']:.0f}) over {args.runs} x {args.images}; cold start "
              f"{facts['cold_images_per_s']:.0f} images/s; mean width {facts['mean_width']:.0f} px")
    print(f"{other_load.summary()}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
