"""How int8 calibration choices change accuracy: one fp32 record against int8 runs of the same model.

    python benchmarks/int8_calibration.py --fp32 results/RECORD.json \
        [--config minmax:256 percentile:256 entropy:256 minmax:1024 ...] \
        [--calibration-data ../shared/data/str-train/IIIT5K_train_2000] [--out results/bench/...json]

Each ``METHOD:SAMPLES`` config runs ``strbench run --backend onnx --precision int8`` on the fp32
record's own algorithm, variant, weights, protocol and data (its suite on ``--data-root``), in its own
process, and is compared with the fp32 record sample by sample (``strbench compare``'s exact McNemar
test per version and paired bootstrap over the suite's groups). The int8 records go to a temporary
folder (a calibration study is not a leaderboard row); the summary written to ``--out`` keeps, per
config, the accuracy per version, the group differences with their 95% intervals, the calibration
facts (source, count, sha256) and the quantized / excluded node counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from strbench.environment import OtherCpuLoad, collect
from strbench.report.compare import compare_records
from strbench.report.rescore import own_protocol
from strbench.run.records import load_record

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CALIBRATION = REPO.parent / "shared" / "data" / "str-train" / "IIIT5K_train_2000"
DEFAULT_CONFIGS = ["minmax:256", "percentile:256", "minmax:1024", "percentile:1024"]


def _int8_command(fp32: Any, data_root: Path, calibration: Path, method: str, samples: int, out: Path) -> list[str]:
    cmd = ["strbench", "-q", "run", "--algorithm", fp32.algorithm, "--variant", fp32.variant,
           "--protocol", own_protocol(fp32),
           "--backend", "onnx", "--precision", "int8", "--calibration-data", str(calibration),
           "--calibration-samples", str(samples), "--calibration-method", method,
           "--data-root", str(data_root),
           "--results-dir", str(out), "--tag", f"int8-{method}-{samples}", "--fresh", "--workers", "1"]
    return cmd  # the plugin's default weights: the run checks they are the fp32 record's (sha256)


def _weighted(record: Any) -> dict[str, float]:
    """Sample-weighted word accuracy of each complete group of ``record``'s suite."""
    return {g: round(e.weighted["word_accuracy"], 3) for g, e in record.summary.groups.items() if e.weighted}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fp32", type=Path, required=True, help="the fp32 record to compare with")
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data" / "str-benchmarks")
    parser.add_argument("--calibration-data", type=Path, default=DEFAULT_CALIBRATION)
    parser.add_argument("--config", nargs="+", default=DEFAULT_CONFIGS, metavar="METHOD:SAMPLES")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    for path in (args.data_root, args.calibration_data):
        if not path.exists():
            print(f"skipped: {path} not found (the benchmark and training sets live in ../shared/data)")
            return 0
    fp32 = load_record(args.fp32)
    if fp32.runtime.precision != "fp32":
        raise SystemExit(f"{args.fp32} is a {fp32.runtime.precision} record; give the fp32 one")
    out = args.out or REPO / "results" / "bench" / f"int8_calibration_{fp32.algorithm}_{fp32.variant}.json"
    import torch

    rows = []
    with OtherCpuLoad() as load, tempfile.TemporaryDirectory(prefix="int8_calibration_") as tmp:
        for config in args.config:
            method, _, samples = config.partition(":")
            run_dir = Path(tmp) / config.replace(":", "_")
            cmd = _int8_command(fp32, args.data_root, args.calibration_data, method, int(samples or 256), run_dir)
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{config} failed:\n{done.stderr[-4000:]}")
            (path,) = run_dir.glob("*.json")
            int8 = load_record(path)
            if int8.weights.sha256 != fp32.weights.sha256:
                raise SystemExit(f"{config}: the int8 run used weights {int8.weights.sha256}, not the fp32 "
                                 f"record's {fp32.weights.sha256}; compare records of the same weights")
            comparison = compare_records(args.fp32, fp32, path, int8)
            groups = {g.name + "_" + g.kind: {"diff_pp": round(-g.diff, 3),
                                               "interval_pp": [round(-g.interval[1], 3), round(-g.interval[0], 3)],
                                               "p_value": g.p_value} for g in comparison.groups}
            row = {
                "config": config, "method": method, "samples": int(samples or 256),
                "seconds": round(time.perf_counter() - start, 1),
                "accuracy": {d.name: round(d.metrics["word_accuracy"], 3) for d in int8.datasets},
                "summary": _weighted(int8),
                "int8_minus_fp32": groups,
                "quantization": int8.weights.extra.get("quantization"),
            }
            rows.append(row)
            bench = row["int8_minus_fp32"].get("benchmark_weighted", {})
            print(f"{config}: benchmark {row['summary'].get('benchmark', float('nan')):.2f} "
                  f"({bench.get('diff_pp', float('nan')):+.2f} pp {bench.get('interval_pp')}) in {row['seconds']} s",
                  flush=True)
    record = {
        "benchmark": "int8_calibration",
        "what": "word accuracy of int8 ONNX Runtime QDQ models (per-channel int8 weights, uint8 activations) "
                "against the fp32 eager record of the same weights, per calibration method and sample count; "
                "differences are int8 minus fp32 on the same samples, 95% paired-bootstrap intervals",
        "fp32_record": str(args.fp32),
        "fp32_summary": _weighted(fp32),
        "algorithm": fp32.algorithm, "variant": fp32.variant, "weights": fp32.weights.sha256,
        "protocol": fp32.protocol.key, "calibration_data": str(args.calibration_data),
        "environment": collect("cpu"), "threads": torch.get_num_threads(),
        **load.machine_facts(),
        "results": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{load.summary()}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
