"""RobustScanner CPU throughput: plain eager model vs the fast path (alternating in one process),
ONNX Runtime as its own row, and where the time goes per stage.

    python benchmarks/rs_speed.py                         # batch 64, writes results/bench/rs_speed.json
    python benchmarks/rs_speed.py --batch-sizes 64 8 --repeats 7
    python benchmarks/rs_speed.py --batch-sizes 8 --threads 1 --no-onnx --out /tmp/rs.json

Rows (each times ``Recognizer.forward`` on the same batch, fp32, eval mode):

- ``plain``: ``fast=False``, the straightforward port: BN as separate layers, and at each of the
  40 decoding steps the hybrid LSTM and its attention re-run over the whole sequence, as
  PaddleOCR's ``RobustScannerHead`` does.
- ``fast``: ``fast=True`` (the default): BN folded into the convs, channels-last backbone,
  incremental LSTM steps as plain matrix products, position half of the fusion layer applied
  once, early stop when every sequence has ended.
- ``onnxruntime``: the plugin's ONNX export (40 unrolled incremental steps) in ONNX Runtime, a
  different runtime, reported as such.

``plain`` and ``fast`` alternate within each repeat (the order flips every repeat) so that load
changes hit both alike. Stage rows time the backbone (with BN / folded / folded+channels-last),
the shared context (encoder, position-aware module, position attention) and each decoder alone.

The weights are the seeded untrained network: it rarely emits the end token, so the fast path
runs all 40 steps as well (the record says how many steps it ran); speed does not depend on the
values otherwise. Real crops: the first ``batch size`` images of IIIT5K_3000 under the data root
(``$STRBENCH_DATA_ROOT`` or ``../shared/data/str-benchmarks``), preprocessed by the harness with
the plugin's InputSpec; without them the script says so and writes nothing.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "results" / "bench" / "rs_speed.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from rare_speed import data_root  # noqa: E402

from strbench import Recognizer  # noqa: E402
from strbench.environment import OtherCpuLoad  # noqa: E402


def load_batch(batch_size: int):
    from strbench.data.loader import make_loader, open_dataset
    from strbench_robustscanner.algorithm import INPUT_SPEC

    source = open_dataset(data_root() / "IIIT5K_3000")
    return next(iter(make_loader(source, INPUT_SPEC, batch_size=batch_size, indices=range(batch_size)))).batch


def rate_stats(runs: list[float], count: int) -> dict:
    q1, median, q3 = statistics.quantiles(runs, n=4, method="inclusive")
    rates = sorted(count / t for t in runs)
    r1, _, r3 = statistics.quantiles(rates, n=4, method="inclusive")
    return {"median_s": median, "iqr_s": q3 - q1, "images_per_s": count / median, "images_per_s_iqr": r3 - r1,
            "runs_s": runs}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_rows(batch, model, repeats: int, warmup: int, onnx: bool) -> dict:
    from strbench_robustscanner.algorithm import RobustScannerAlgorithm
    from strbench_robustscanner.labels import Vocabulary, dict90
    from strbench_robustscanner.recognizer import RobustScannerRecognizer

    algo = RobustScannerAlgorithm()
    spec, vocab = algo.variant("r31").input_spec, Vocabulary(dict90())
    recognizers: dict[str, Recognizer] = {"plain": RobustScannerRecognizer(model, vocab, spec, fast=False),
                                          "fast": RobustScannerRecognizer(model, vocab, spec, fast=True)}
    outputs = {name: rec.forward(batch) for name, rec in recognizers.items()}
    for _ in range(warmup):
        for rec in recognizers.values():
            rec.forward(batch)
    runs: dict[str, list[float]] = {name: [] for name in recognizers}
    for i in range(repeats):
        order = list(recognizers) if i % 2 == 0 else list(reversed(recognizers))
        for name in order:
            runs[name].append(timed(functools.partial(recognizers[name].forward, batch)))
    rows = {name: rate_stats(runs[name], len(batch)) for name in recognizers}
    rows["fast"]["decode_steps"] = int(outputs["fast"].shape[1])
    rows["plain"]["decode_steps"] = int(outputs["plain"].shape[1])
    if onnx:
        with tempfile.TemporaryDirectory(prefix="rs_speed_") as tmp:
            path = Path(tmp) / "rs.onnx"
            start = time.perf_counter()
            algo.export(recognizers["plain"], "onnx", path, None)
            export_s = time.perf_counter() - start
            exported = algo.load_exported(path, "onnx", "r31")
            outputs["onnxruntime"] = exported.forward(batch)
            for _ in range(warmup):
                exported.forward(batch)
            rows["onnxruntime"] = {**rate_stats([timed(lambda: exported.forward(batch)) for _ in range(repeats)],
                                                len(batch)),
                                   "export_s": export_s, "decode_steps": 40}
            recognizers["onnxruntime"] = exported
    plain = np.asarray(outputs["plain"], dtype=np.float32)
    plain_texts = [p.text for p in recognizers["plain"].decode(outputs["plain"], batch)]
    for name, facts in rows.items():
        probs = np.asarray(outputs[name], dtype=np.float32)
        steps = min(probs.shape[1], plain.shape[1])
        facts["max_abs_diff_vs_plain"] = float(np.abs(probs[:, :steps] - plain[:, :steps]).max())
        facts["strings_equal_vs_plain"] = [p.text for p in recognizers[name].decode(outputs[name], batch)] == plain_texts
        facts["speedup_vs_plain"] = rows["plain"]["median_s"] / facts["median_s"]
    return rows


def measure_stages(batch, model, repeats: int) -> dict:
    """Median seconds per stage (each after one untimed call), for the whole batch."""
    from strbench_robustscanner.network import inference_copy

    folded = inference_copy(model, channels_last=False)
    folded_cl = inference_copy(model, channels_last=True)
    images, ratios = batch.images, batch.valid_ratios
    images_cl = images.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        feat = folded.backbone(images)
        stages: dict[str, Callable[[], object]] = {
            "backbone (BN layers, plain)": lambda: model.backbone(images),
            "backbone (BN folded)": lambda: folded.backbone(images),
            "backbone (BN folded, channels-last, fast)": lambda: folded_cl.backbone(images_cl),
            "context (encoder, position-aware module, position attention)": lambda: model.head._context(feat, ratios),
            "decoder plain (incl. context)": lambda: model.head.decode_plain(feat, ratios),
            "decoder fast, all 40 steps (incl. context)": lambda: folded.head.decode_fast(feat, ratios, early_stop=False),
        }
        result = {}
        for name, fn in stages.items():
            fn()
            median = statistics.median(timed(fn) for _ in range(repeats))
            result[name] = {"median_s": median, "ms_per_image": 1000 * median / len(batch)}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[64])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per row (at least 5 for the record)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per row after the first call")
    parser.add_argument("--stage-repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch's)")
    parser.add_argument("--no-onnx", action="store_true", help="leave out the ONNX Runtime row")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    images = data_root() / "IIIT5K_3000"
    if not (images / "gt.txt").is_file():
        print(f"skipped: real benchmark images not found at {images} (set STRBENCH_DATA_ROOT); nothing written")
        return 0
    from strbench_robustscanner.algorithm import RobustScannerAlgorithm

    model = RobustScannerAlgorithm().build("r31", seed=0).eval()
    results = []
    with OtherCpuLoad() as other_load:
        for batch_size in args.batch_sizes:
            batch = load_batch(batch_size)
            rows = measure_rows(batch, model, args.repeats, args.warmup, not args.no_onnx)
            for name, facts in rows.items():
                print(f"batch {batch_size} {name}: {facts['images_per_s']:.2f} img/s (IQR {facts['images_per_s_iqr']:.2f}), "
                      f"x{facts['speedup_vs_plain']:.2f} vs plain, max abs diff {facts['max_abs_diff_vs_plain']:.1e}, "
                      f"strings equal {facts['strings_equal_vs_plain']}, {facts['decode_steps']} steps", flush=True)
            stages = measure_stages(batch, model, args.stage_repeats)
            for name, facts in stages.items():
                print(f"batch {batch_size} stage {name}: {facts['ms_per_image']:.1f} ms/image", flush=True)
            results.append({"batch_size": batch_size, "width": int(batch.images.shape[-1]), "rows": rows, "stages": stages})
    import onnxruntime

    record = {
        "benchmark": "rs_speed",
        "what": "Recognizer.forward (model only) on one batch of real IIIT5K crops, eval mode, fp32, CPU; "
        "plain and fast alternate in one process",
        "weights": "seeded untrained network (seed 0); it does not emit the end token, so the fast path's "
        "early stop never triggers and every path runs all 40 decoding steps",
        "images": f"{images} (first batch_size crops)",
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
    print(f"{other_load.summary()}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
