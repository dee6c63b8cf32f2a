"""RARE CPU throughput: plain eager model, the fast path, ONNX Runtime; each row in its own process.

    python benchmarks/rare_speed.py                          # mv3 and r34, batch 64, writes results/bench/rare_speed.json
    python benchmarks/rare_speed.py --variants mv3 --rows plain fast --out /tmp/x.json
    python benchmarks/rare_speed.py --rows plain plain_heap fast compiled onnxruntime

Rows (every one times ``Recognizer.forward`` on the same batch, fp32, eval mode):

- ``plain``: the plain eager model (``fast=False``), default process state: the baseline.
- ``plain_heap``: the plain model in a process whose freed memory is kept
  (``strbench_rare.allocator``), to show how much of ``fast`` comes from the allocator alone.
- ``fast``: the default path (``fast=True``: folded BN, channels-last, precomputed decoder
  projections, freed memory kept).
- ``compiled``: the fast module under ``torch.compile`` (inductor); the compile happens during
  the untimed warm-up (its duration is recorded as ``compile_s``). If compiling fails the row
  records the error.
- ``onnxruntime``: the plugin's ONNX export run by ONNX Runtime (``strbench run --backend onnx``),
  a different runtime, reported as such.

Real crops: the first ``--batch-size`` images of IIIT5K_3000 under the data root
(``$STRBENCH_DATA_ROOT`` or ``../shared/data/str-benchmarks``); without them the script says so
and exits without writing. All rows run the same seeded untrained weights (every one of the 25
decoder steps always runs, so speed does not depend on the values). Each row runs in a fresh
process (the allocator setting and the compile cache are process-wide), with ``--threads`` intra-op
threads for torch and ONNX Runtime alike; the record keeps the load average before and after and the cores other processes kept
busy meanwhile (``other_processes``; ``contended`` when above 0.25).
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
import warnings
from pathlib import Path

import numpy as np
import torch

from strbench.environment import OtherCpuLoad

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "results" / "bench" / "rare_speed.json"
ROWS = ("plain", "plain_heap", "fast", "compiled", "onnxruntime")
DEFAULT_ROWS = ("plain", "plain_heap", "fast", "onnxruntime")


def data_root() -> Path:
    return Path(os.environ.get("STRBENCH_DATA_ROOT", REPO.parent / "shared" / "data" / "str-benchmarks"))


def load_batch(batch_size: int):
    from strbench.data.loader import make_loader, open_dataset
    from strbench_rare.algorithm import RareAlgorithm

    images = data_root() / "IIIT5K_3000"
    spec = RareAlgorithm().variants["mv3"].input_spec
    loader = make_loader(open_dataset(images), spec, batch_size=batch_size, indices=range(batch_size))
    return next(iter(loader)).batch


def build_recognizer(row: str, variant: str, workdir: Path):
    """The recognizer of ``row`` and extra facts about it (compile time, export time)."""
    from strbench_rare.algorithm import RareAlgorithm
    from strbench_rare.allocator import retain_freed_memory
    from strbench_rare.model import build_model
    from strbench_rare.recognizer import RareRecognizer

    algo = RareAlgorithm()
    spec = algo.variants[variant]
    torch.manual_seed(0)
    model = build_model(variant).eval()
    facts: dict = {}
    if row in ("plain", "plain_heap"):
        if row == "plain_heap":
            facts["heap_retained"] = retain_freed_memory()
        return RareRecognizer(model, spec, fast=False), facts
    recognizer = RareRecognizer(model, spec, fast=True)
    facts["heap_retained"] = recognizer.heap_retained
    if row == "fast":
        return recognizer, facts
    if row == "compiled":
        recognizer.net = torch.compile(recognizer.net, dynamic=False)
        return recognizer, facts
    path = workdir / f"rare_{variant}.onnx"
    start = time.perf_counter()
    algo.export(recognizer, "onnx", path, None)
    facts["export_s"] = time.perf_counter() - start
    import onnxruntime

    from strbench.weights.export import onnx_session
    from strbench_rare.export import OnnxRareRecognizer

    facts["onnxruntime"] = onnxruntime.__version__
    session = onnx_session(path, "cpu", threads=torch.get_num_threads())
    return OnnxRareRecognizer(session, path, spec), facts


def run_row(row: str, variant: str, batch_size: int, repeats: int, warmup: int, workdir: Path) -> dict:
    """Measure one row in this process; the probabilities go to ``workdir/<row>.npy``."""
    batch = load_batch(batch_size)
    facts: dict = {"row": row, "threads": torch.get_num_threads()}
    try:
        recognizer, extra = build_recognizer(row, variant, workdir)
        facts.update(extra)
        start = time.perf_counter()
        outputs = recognizer.forward(batch)
        facts["first_call_s"] = time.perf_counter() - start
        for _ in range(warmup):
            recognizer.forward(batch)
    except Exception as exc:  # noqa: BLE001 - a failing optional row is reported, not fatal
        if row != "compiled":
            raise
        warnings.warn(f"torch.compile failed, row skipped: {exc}", stacklevel=1)
        facts["error"] = f"{type(exc).__name__}: {exc}"
        return facts
    if row == "compiled":
        facts["compile_s"] = facts["first_call_s"]
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        recognizer.forward(batch)
        runs.append(time.perf_counter() - start)
    probs = np.asarray(outputs.detach().cpu() if isinstance(outputs, torch.Tensor) else outputs, dtype=np.float32)
    np.save(workdir / f"{row}.npy", probs)
    q1, median, q3 = statistics.quantiles(runs, n=4, method="inclusive")
    rates = sorted(len(batch) / t for t in runs)
    r1, _, r3 = statistics.quantiles(rates, n=4, method="inclusive")
    facts.update(
        median_s=median, iqr_s=q3 - q1, images_per_s=len(batch) / median, images_per_s_iqr=r3 - r1,
        runs_s=runs, texts=[p.text for p in recognizer.decode(outputs, batch)],
    )
    return facts


def measure_variant(variant: str, rows: list[str], args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="rare_speed_") as tmp:
        workdir = Path(tmp)
        results: dict[str, dict] = {}
        for row in rows:
            cmd = [
                sys.executable, __file__, "--worker", row, "--variants", variant, "--batch-size", str(args.batch_size),
                "--repeats", str(args.repeats), "--warmup", str(args.warmup), "--workdir", str(workdir),
            ]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"row {row} ({variant}) failed:\n{done.stderr[-4000:]}")
            results[row] = json.loads((workdir / f"{row}.json").read_text())
            print(f"  {variant} {row}: {summary(results[row])}", flush=True)
        reference = np.load(workdir / "plain.npy") if "plain" in results else None
        for row, facts in results.items():
            if reference is not None and "error" not in facts:
                facts["max_abs_diff_vs_plain"] = float(np.abs(np.load(workdir / f"{row}.npy") - reference).max())
                facts["strings_equal_vs_plain"] = facts["texts"] == results["plain"]["texts"]
                facts["speedup_vs_plain"] = results["plain"]["median_s"] / facts["median_s"]
        for facts in results.values():
            facts.pop("texts", None)
    return {"variant": variant, "rows": results}


def summary(facts: dict) -> str:
    if "error" in facts:
        return f"failed ({facts['error']})"
    text = f"{facts['images_per_s']:.1f} img/s (IQR {facts['images_per_s_iqr']:.1f}), {facts['threads']} threads"
    if "compile_s" in facts:
        text += f", compile {facts['compile_s']:.0f} s (warm-up)"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["mv3", "r34"], choices=["mv3", "r34"])
    parser.add_argument("--rows", nargs="+", default=list(DEFAULT_ROWS), choices=ROWS)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=11, help="timed runs per row (at least 9 for the record)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs after the first call")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--worker", choices=ROWS, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.worker:
        facts = run_row(args.worker, args.variants[0], args.batch_size, args.repeats, args.warmup, args.workdir)
        (args.workdir / f"{args.worker}.json").write_text(json.dumps(facts))
        return 0

    images = data_root() / "IIIT5K_3000"
    if not (images / "gt.txt").is_file():
        print(f"skipped: real benchmark images not found at {images} (set STRBENCH_DATA_ROOT); nothing written")
        return 0
    if "plain" not in args.rows:
        args.rows.insert(0, "plain")
    with OtherCpuLoad() as other_load:
        results = [measure_variant(v, args.rows, args) for v in args.variants]
    import onnxruntime

    record = {
        "benchmark": "rare_speed",
        "what": "Recognizer.forward (model only) on one batch of real IIIT5K crops, eval mode, fp32, CPU; "
        "each row in a fresh process",
        "images": f"{images} (first {args.batch_size})",
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "threads": torch.get_num_threads(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "python": sys.version.split()[0],
        **other_load.machine_facts(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    for r in results:
        for row, facts in r["rows"].items():
            if "error" in facts:
                print(f"{r['variant']} {row}: failed")
                continue
            print(
                f"{r['variant']} {row}: {summary(facts)}, x{facts['speedup_vs_plain']:.2f} vs plain, "
                f"max abs diff {facts['max_abs_diff_vs_plain']:.1e}, strings equal {facts['strings_equal_vs_plain']}"
            )
    print(f"{other_load.summary()}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
