"""CPU training throughput per precision and compile mode, the data pipeline alone, and the
validation curve of the first steps per precision: the evidence for the training settings'
``amp`` and ``compile`` choices.

    python benchmarks/train_speed.py throughput [--configs rare:mv3:fp32 rare:r34:bf16@16 ...] [--steps 30]
    python benchmarks/train_speed.py curve [--steps 1000] [--batch-size 32] [--amp fp32 bf16]

``throughput`` runs each configuration (``PLUGIN:VARIANT:AMP[:compile][@STEPS]``; ``fp32`` is
autocast off; ``@STEPS`` overrides ``--steps`` for a slow model) as a fresh
``strbench train`` process on a synthetic LMDB (``strbench data synth``, made once in the work
folder) with the configuration's ``strbench-synth-real`` recipe (its batch size, augmentation
and loader workers), a log line per step and no validation, then reads the per-step times from
the run's ``train_log.jsonl``: the first ``--warmup`` steps (allocator, one-time compilation)
are dropped, and images/s is reported as the median and IQR over the rest. It also times the
data pipeline alone (the same loader, augmentation and batch size, no model) per configuration
batch size, so the record shows whether loading could be the bottleneck. Written to
``results/bench/train_speed.json``.

``curve`` trains RARE-mv3 from the same seed for ``--steps`` steps once per precision
(``--amp``), validating on the synthetic validation set every ``--eval-every`` steps, and records
both validation curves and the throughput (``results/bench/train_curve_precision.json``): a faster
precision is only kept when it learns the same curve.

Both modes record the machine (CPU model and flags, threads, versions) and the cores other
processes kept busy during the measurement (``strbench.environment.OtherCpuLoad``; a record is
``contended`` above 0.25 cores): re-run a contended record on a quiet machine for figures worth
comparing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results" / "bench"
DEFAULT_CONFIGS = [
    "rare:mv3:fp32", "rare:mv3:bf16", "rare:mv3:bf16:compile",
    "rare:r34:fp32@16", "rare:r34:bf16@16",
    "robustscanner:r31:fp32@8", "robustscanner:r31:bf16@8",
]
RECIPE = "strbench-synth-real:pretrain"
#: below this many cores kept busy by other processes a record counts as quiet
QUIET_CORES = 0.25


def strbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "strbench", *args]


def ensure_synth(folder: Path, count: int, seed: int) -> Path:
    """A synthetic LMDB of ``count`` words (made once; reused when present)."""
    if not (folder / "data.mdb").exists():
        subprocess.run(strbench("-q", "data", "synth", str(folder), "--count", str(count), "--seed", str(seed),
                                "--workers", "2"), check=True)
    return folder


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def quartiles(values: list[float]) -> dict[str, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": round(median, 2), "iqr": round(q3 - q1, 2), "min": round(min(values), 2),
            "max": round(max(values), 2)}


def parse_config(text: str) -> dict[str, Any]:
    spec, _, steps = text.partition("@")
    parts = spec.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "compile") or (steps and not steps.isdigit()):
        raise SystemExit(f"configuration {text!r}: expected PLUGIN:VARIANT:AMP[:compile][@STEPS], "
                         f"e.g. rare:mv3:bf16 or robustscanner:r31:fp32@8")
    return {"plugin": parts[0], "variant": parts[1], "amp": parts[2], "compile": len(parts) == 4,
            "steps": int(steps) if steps else None}


def train_run(config: dict[str, Any], data: Path, out: Path, steps: int, extra: list[str]) -> list[dict[str, Any]]:
    """One ``strbench train`` process; returns its log events."""
    cmd = strbench("-q", "train", "--plugin", config["plugin"], "--variant", config["variant"],
                   "--recipe", RECIPE, "--train-data", str(data), "--output-dir", str(out), "--device", "cpu",
                   "--set", f"amp={'off' if config['amp'] == 'fp32' else config['amp']}", "--set", f"compile={str(config['compile']).lower()}",
                   "--set", f"max_steps={steps}", "--set", "save_every_minutes=0", *extra)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    events = read_log(out / "train_log.jsonl")
    events.append({"event": "process", "wall_s": time.perf_counter() - started})
    return events


def step_rates(events: list[dict[str, Any]], warmup: int) -> tuple[list[float], int]:
    """images/s of each logged step after ``warmup`` (log_every = 1), and the batch size."""
    start = next(e for e in events if e["event"] == "start")
    batch = int(start["config"]["batch_size"])
    train = [e for e in events if e["event"] == "train"]
    rates = []
    for prev, cur in zip(train, train[1:]):
        if cur["step"] - prev["step"] == 1 and cur["step"] > warmup:
            rates.append((cur["sample_passes"] - prev["sample_passes"]) / (cur["time"] - prev["time"]))
    return rates, batch


def loader_rate(plugin: str, variant: str, data: Path, batch: int, workers: int, batches: int) -> dict[str, Any]:
    """images/s of the training data pipeline alone (the recipe's augmentation, no model)."""
    from strbench.cli.cmd_train import plugin_settings
    from strbench.data.loader import make_loader, open_dataset
    from strbench.plugin.host import PluginHost
    from strbench.training import TrainConfig
    from strbench.training.augment import resolve_augmenter
    from strbench.training.recipes import load_recipe

    host = PluginHost()
    algorithm = host.algorithm(plugin)
    recipe = load_recipe(algorithm.recipe_dir, RECIPE, variant)
    extra = plugin_settings(algorithm)  # the plugin's own settings do not concern loading
    cfg = TrainConfig.from_mapping(algorithm.variant(variant).defaults,
                                   {k: v for k, v in recipe.settings.items() if k not in extra})
    source = open_dataset(data, host.dataset_formats())
    augment = resolve_augmenter(cfg.augment, cfg.seed, cfg.augment_prob)
    spec = algorithm.variant(variant).input_spec
    loader = make_loader(source, spec, batch_size=batch, workers=workers, drop_last=True, augment=augment,
                         indices=list(range(min(len(source), batch * (batches + 2)))))
    times, count = [], 0
    it = iter(loader)
    next(it)  # worker start-up
    for _ in it:
        count += 1
        times.append(time.perf_counter())
        if count > batches:
            break
    rates = [batch / (b - a) for a, b in zip(times, times[1:])]
    return {"plugin": plugin, "variant": variant, "batch_size": batch, "workers": workers,
            "augment": cfg.augment, "augment_prob": cfg.augment_prob, "batches": len(rates),
            "images_per_s": quartiles(rates)}


def machine() -> dict[str, Any]:
    import torch

    from strbench.environment import cpu_flags, cpu_model

    flags = cpu_flags()
    return {"cpu": cpu_model(), "torch": torch.__version__, "python": sys.version.split()[0],
            "threads": torch.get_num_threads(),
            "bf16_instructions": sorted(f for f in flags if "bf16" in f or f.startswith("amx"))}


def throughput(args: argparse.Namespace) -> dict[str, Any]:
    from strbench.environment import OtherCpuLoad

    configs = [parse_config(c) for c in args.configs]
    rows, loaders = [], []
    with OtherCpuLoad() as load, tempfile.TemporaryDirectory(prefix="train_speed_") as tmp:
        data = ensure_synth(args.work / "synth_speed", 4000, 11)
        for config in configs:
            steps = config.pop("steps") or args.steps
            warmup = min(args.warmup, steps // 3)
            with OtherCpuLoad() as row_load:
                events = train_run(config, data, Path(tmp) / "_".join(map(str, config.values())), steps,
                                   ["--set", "log_every=1", "--set", "eval_every=0"])
            rates, batch = step_rates(events, warmup)
            row = {**config, "batch_size": batch, "steps": steps, "warmup_steps": warmup,
                   "images_per_s": quartiles(rates), "process_wall_s": round(events[-1]["wall_s"], 1),
                   "other_cpu_cores": row_load.as_dict().get("other_cpu_cores")}
            rows.append(row)
            print(json.dumps(row), flush=True)
        seen = set()
        for config, row in zip(configs, rows):
            key = (config["plugin"], config["variant"], row["batch_size"])
            if key in seen:
                continue
            seen.add(key)
            for workers in (0, 1):
                loaders.append(loader_rate(config["plugin"], config["variant"], data, row["batch_size"], workers,
                                           args.loader_batches))
                print(json.dumps(loaders[-1]), flush=True)
    speedups = {}
    for row in rows:
        if row["amp"] != "fp32" or row["compile"]:
            base = next((r for r in rows if r["plugin"] == row["plugin"] and r["variant"] == row["variant"]
                         and r["amp"] == "fp32" and not r["compile"]), None)
            if base:
                label = f"{row['plugin']}:{row['variant']}:{row['amp']}{':compile' if row['compile'] else ''}"
                speedups[label] = round(row["images_per_s"]["median"] / base["images_per_s"]["median"], 3)
    other = load.as_dict()
    return {"benchmark": "train_speed", "recipe": RECIPE, "machine": machine(), "rows": rows, "loader_only": loaders,
            "speedup_vs_fp32": speedups, "rule": "a setting is kept when it gives at least 1.3x the fp32 eager "
            "images/s and the same validation curve (mode 'curve')", "other_processes": other,
            "contended": (other.get("other_cpu_cores") or 0.0) > QUIET_CORES}


def curve(args: argparse.Namespace) -> dict[str, Any]:
    from strbench.environment import OtherCpuLoad

    runs = []
    with OtherCpuLoad() as load, tempfile.TemporaryDirectory(prefix="train_curve_") as tmp:
        data = ensure_synth(args.work / "synth_curve", args.steps * args.batch_size, 21)
        val = ensure_synth(args.work / "synth_curve_val", args.val_samples, 22)
        for amp in args.amp:
            config = {"plugin": "rare", "variant": "mv3", "amp": amp, "compile": False}
            events = train_run(config, data, Path(tmp) / amp, args.steps,
                               ["--val-data", str(val), "--set", f"batch_size={args.batch_size}",
                                "--set", f"eval_every={args.eval_every}", "--set", "log_every=25",
                                "--set", "val_limit=0"])
            validation = [{"step": e["step"], "word_accuracy": e.get("word_accuracy")}
                          for e in events if e["event"] == "validation"]
            train = [e for e in events if e["event"] == "train"]
            run = {"amp": amp, "validation": validation,
                   "loss": [{"step": e["step"], "loss_per_token": round(e["loss"], 4)} for e in train],
                   "images_per_s_logged": quartiles([e["images_per_second"] for e in train[1:]]),
                   "process_wall_s": round(events[-1]["wall_s"], 1)}
            runs.append(run)
            print(json.dumps({"amp": amp, "validation": validation, "wall_s": run["process_wall_s"]}), flush=True)
    other = load.as_dict()
    return {"benchmark": "train_curve_precision", "comparison": compare_curves(runs), "plugin": "rare", "variant": "mv3", "recipe": RECIPE,
            "steps": args.steps, "batch_size": args.batch_size, "eval_every": args.eval_every,
            "val_samples": args.val_samples, "machine": machine(), "runs": runs, "other_processes": other,
            "contended": (other.get("other_cpu_cores") or 0.0) > QUIET_CORES}


def compare_curves(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """How far each precision's curves stray from the first run's (fp32): the largest gap in
    validation word accuracy (points) and in per-token training loss at the logged steps, relative
    to the first run's loss, over the whole run and over its second half."""
    base = runs[0]
    out: dict[str, Any] = {"reference": base["amp"]}
    for run in runs[1:]:
        acc_ref = {v["step"]: v["word_accuracy"] for v in base["validation"]}
        acc_gaps = [abs(v["word_accuracy"] - acc_ref[v["step"]]) for v in run["validation"] if v["step"] in acc_ref]
        loss_ref = {v["step"]: v["loss_per_token"] for v in base["loss"]}
        steps = [v["step"] for v in run["loss"] if v["step"] in loss_ref]
        rel = {v["step"]: abs(v["loss_per_token"] - loss_ref[v["step"]]) / loss_ref[v["step"]]
               for v in run["loss"] if v["step"] in loss_ref}
        half = max(steps) // 2 if steps else 0
        out[run["amp"]] = {
            "max_word_accuracy_gap_points": round(max(acc_gaps), 2) if acc_gaps else None,
            "max_relative_loss_gap": round(max(rel.values()), 4) if rel else None,
            "max_relative_loss_gap_second_half": round(max(g for s, g in rel.items() if s > half), 4) if rel else None,
            "final_loss_per_token": {base["amp"]: base["loss"][-1]["loss_per_token"],
                                     run["amp"]: run["loss"][-1]["loss_per_token"]},
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    tp = sub.add_parser("throughput")
    tp.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS)
    tp.add_argument("--steps", type=int, default=30, help="optimizer steps per configuration")
    tp.add_argument("--warmup", type=int, default=6, help="first steps left out of the rates")
    tp.add_argument("--loader-batches", type=int, default=30)
    tp.add_argument("--out", type=Path, default=RESULTS / "train_speed.json")
    cv = sub.add_parser("curve")
    cv.add_argument("--steps", type=int, default=1000)
    cv.add_argument("--batch-size", type=int, default=32)
    cv.add_argument("--eval-every", type=int, default=200)
    cv.add_argument("--val-samples", type=int, default=1000)
    cv.add_argument("--amp", nargs="+", default=["fp32", "bf16"])
    cv.add_argument("--out", type=Path, default=RESULTS / "train_curve_precision.json")
    for p in (tp, cv):
        p.add_argument("--work", type=Path, default=REPO / "runs" / "train_speed",
                       help="where the synthetic data is made once and kept")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    record = throughput(args) if args.mode == "throughput" else curve(args)
    record["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
