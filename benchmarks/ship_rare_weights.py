"""Ship the RARE weights trained by ``benchmarks/train_rare_mv3.sh`` and commit their training record.

    python benchmarks/ship_rare_weights.py [RUN_DIR] [--variant mv3] [--data-root DIR] [--no-curve-eval]

Stages whose folders RUN_DIR lacks (a run that continued the shipped weights with ``refine`` only,
``STAGES=refine REFINE_FROM=...``) are taken from the committed training record
(``results/training/rare_<variant>.json``): their summaries, curve points and data sources carry
over, and the new stages are added after them.

1. evaluates each weights snapshot of the pre-training and fine-tuning stages on the six
   ``benchmark`` versions (records in ``results/training/rare_<variant>/curve/``): the curve's
   sample-passes -> accuracy points (the shipped weights are the last step, never selected on
   these test sets);
2. copies the last stage's weights into the plugin: its ``best.safetensors`` when the stage
   validated on held-out real training crops (``refine``: chosen on ``heldout.txt``, never on a
   test set), else its ``last.safetensors``, (``strbench_rare/weights/rare_<variant>.safetensors``)
   with their identity beside them (``rare_<variant>.json``: recipe, data, steps, date, sha256);
3. runs ``strbench run --plugin rare --backbone <variant>`` WITHOUT ``--weights`` on every available
   benchmark version, so the record shows the shipped weights;
4. writes the training record ``results/training/rare_<variant>.json`` (recipe and deviations,
   data sources and counts, synthetic seeds, steps, sample-passes, wall time, machine, curve
   points, per-benchmark table) and the curve ``results/training/rare_<variant>_curve.png``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PLUGIN_WEIGHTS = REPO / "plugins" / "rare" / "strbench_rare" / "weights"
RESULTS = REPO / "results"
STAGES = ("pretrain", "pretrain_more", "finetune", "refine")  # train_rare_mv3.sh's stage folders, in order
#: stages whose best.safetensors is chosen on the held-out split (validation on heldout.txt)
HELD_OUT_STAGES = ("refine",)


def read_events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def stage_summary(stage_dir: Path) -> dict[str, Any]:
    """Steps, sample-passes, wall time (summed over resumed sittings) and settings of one stage."""
    events = read_events(stage_dir / "train_log.jsonl")
    starts = [e for e in events if e["event"] == "start"]
    ends = [e for e in events if e["event"] == "end"]
    if not ends:
        raise SystemExit(f"{stage_dir} has not finished (no 'end' event in its log); run the training script again")
    # wall time: each sitting runs from its start event to its last event before the next start
    wall = 0.0
    for i, start in enumerate(starts):
        stop = starts[i + 1]["time"] if i + 1 < len(starts) else float("inf")
        wall += max(e["time"] for e in events if start["time"] <= e["time"] < stop) - start["time"]
    train = [e for e in events if e["event"] == "train"]
    rates = sorted(e["images_per_second"] for e in train if e.get("images_per_second"))
    return {
        "steps": ends[-1]["step"],
        "sample_passes": ends[-1]["sample_passes"],
        "sittings": len(starts),
        "wall_seconds": round(wall, 1),
        "median_images_per_second": round(rates[len(rates) // 2], 1) if rates else None,
        "threads_per_sitting": [s.get("threads", "not logged") for s in starts],
        "max_steps_per_sitting": [s["config"].get("max_steps") for s in starts],
        "config": starts[-1]["config"],
        "final_loss": train[-1]["loss"] if train else None,
        "validation": [
            {"step": e["step"], "sample_passes": e["sample_passes"], "word_accuracy": e["word_accuracy"],
             "protocol": e.get("protocol")}
            for e in events if e["event"] == "validation"
        ],
        "events": events,
    }


def strbench(*args: str) -> None:
    subprocess.run(["strbench", "-q", *args], check=True, cwd=REPO)


def newest_record(folder: Path, since: float) -> dict[str, Any]:
    records = [p for p in folder.glob("*.json") if p.stat().st_mtime >= since and not p.name.endswith("predictions.json")]
    if not records:
        raise SystemExit(f"no record written to {folder}")
    path = max(records, key=lambda p: p.stat().st_mtime)
    return json.loads(path.read_text()) | {"_path": str(path.relative_to(REPO))}


def benchmark_accuracy(record: dict[str, Any]) -> dict[str, Any]:
    group = record["summary"]["groups"]["benchmark"]
    per_set = {d["name"]: round(d["metrics"]["word_accuracy"], 2) for d in record["datasets"]
               if d.get("metrics")}
    return {
        "weighted": round(group["weighted"]["word_accuracy"], 2) if "weighted" in group else None,
        "mean": round(group["mean"]["word_accuracy"], 2) if "mean" in group else None,
        "complete": group["complete"],
        "per_dataset": per_set,
    }


def snapshot_points(run: Path, variant: str, data_root: Path, offsets: dict[str, int],
                    evaluate: bool = True) -> list[dict[str, Any]]:
    """One curve point per training snapshot: its benchmark record, reused when one for the same
    snapshot (tag and weights sha256) is already in the curve folder, else evaluated now
    (``evaluate=False``: a missing record is an error)."""
    from safetensors import safe_open

    out = RESULTS / "training" / f"rare_{variant}" / "curve"
    out.mkdir(parents=True, exist_ok=True)
    existing = [json.loads(p.read_text()) | {"_path": str(p.relative_to(REPO))} for p in sorted(out.glob("*.json"))]
    points = []
    for stage in offsets:
        for snap in sorted((run / stage / "snapshots").glob("step*.safetensors")):
            tag, digest = f"{stage}-{snap.stem}", sha256(snap)
            found = [r for r in existing if r["id"].endswith(tag) and r["weights"].get("sha256") == digest]
            if found:
                record = found[-1]
            elif evaluate:
                since = datetime.datetime.now().timestamp()
                strbench("run", "--plugin", "rare", "--backbone", variant, "--weights", str(snap), "--data-root",
                         str(data_root), "--datasets", "benchmark", "--results-dir", str(out), "--tag", tag)
                record = newest_record(out, since)
            else:
                raise SystemExit(f"no record for {stage} {snap.stem} in {out}; run without --reuse")
            with safe_open(str(snap), "pt") as handle:
                meta = handle.metadata() or {}
            points.append({"stage": stage, "step": int(meta.get("global_step", snap.stem[4:])),
                           "sample_passes": int(meta.get("sample_passes", 0)) + offsets[stage],
                           "record": record["_path"], "benchmark_word_accuracy": benchmark_accuracy(record)["weighted"]})
            print(f"{stage} {snap.stem}: {points[-1]['benchmark_word_accuracy']}%"
                  f"{' (record reused)' if found else ''}", flush=True)
    return points


def shipped_record(sha: str) -> dict[str, Any]:
    """The newest record in results/ that ran the shipped weights (identified by their sha256)."""
    found = []
    for p in RESULTS.glob("*.json"):
        record = json.loads(p.read_text())
        if record.get("weights", {}).get("sha256") == sha:
            found.append((record.get("created", ""), record | {"_path": str(p.relative_to(REPO))}))
    if not found:
        raise SystemExit("no record of the shipped weights in results/; run without --reuse")
    return max(found, key=lambda x: x[0])[1]


def plot(stages: dict[str, dict[str, Any]], offsets: dict[str, int], points: list[dict[str, Any]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, loss_ax = plt.subplots(figsize=(9, 5.4), dpi=110)
    acc_ax = loss_ax.twinx()
    colours = {"pretrain": "tab:blue", "pretrain_more": "tab:cyan", "finetune": "tab:purple", "refine": "tab:green"}
    for stage, info in stages.items():
        train = [e for e in info.get("events", []) if e["event"] == "train"]
        if train:
            loss_ax.plot([e["sample_passes"] + offsets[stage] for e in train], [e["loss"] for e in train],
                         color=colours[stage], lw=0.8, label=f"training loss ({stage})")
        val = info["validation"]
        held_out = stage in HELD_OUT_STAGES
        acc_ax.plot([v["sample_passes"] + offsets[stage] for v in val], [v["word_accuracy"] for v in val],
                    color="tab:green" if held_out else "tab:orange", marker=".", lw=0.8,
                    label=("held-out real training crops (639) %" if held_out
                           else "synthetic validation (2,000) %" if stage == "pretrain" else None))
    if points:
        acc_ax.plot([p["sample_passes"] for p in points], [p["benchmark_word_accuracy"] for p in points],
                    color="tab:red", marker="o", lw=1.5, label="six benchmarks, weighted word accuracy %")
        for p in points[-1:]:
            acc_ax.annotate(f"{p['benchmark_word_accuracy']:.1f}%", (p["sample_passes"], p["benchmark_word_accuracy"]),
                            textcoords="offset points", xytext=(-30, 6))
    for stage in list(offsets)[1:]:
        loss_ax.axvline(offsets[stage], color="grey", ls="--", lw=0.8)
    loss_ax.set_xlabel("sample-passes (training images seen)")
    loss_ax.set_ylabel("training loss (log)")
    loss_ax.set_yscale("log")
    acc_ax.set_ylabel("word accuracy % (lower36)")
    acc_ax.set_ylim(0, 100)
    handles = loss_ax.get_legend_handles_labels()[0] + acc_ax.get_legend_handles_labels()[0]
    labels = loss_ax.get_legend_handles_labels()[1] + acc_ax.get_legend_handles_labels()[1]
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=3, frameon=False)
    loss_ax.set_title("RARE-mv3 trained by strbench on a 2-core CPU: synthetic pre-training (two legs) | real fine-tuning"
                      + (" | held-out-selected refining" if "refine" in offsets else ""), fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))  # room for the legend below the axes
    fig.savefig(png)
    plt.close(fig)


def stage_offsets(stages: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Sample-passes before each stage (the stages run one after the other)."""
    offsets, total = {}, 0
    for stage in STAGES:
        if stage not in stages:
            continue
        offsets[stage] = total
        total += stages[stage]["sample_passes"]
    return offsets


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_sources(run: Path, stages: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    sources = []
    for stage, info in stages.items():
        if "events" not in info:
            continue  # a stage carried over from the committed record: its sources come from there
        cfg = info["config"]
        repeat = cfg.get("train_data_repeat") or [1] * len(cfg["train_data"])
        for path, times in zip(cfg["train_data"], repeat):
            entry: dict[str, Any] = {"stage": stage, "path": path, "repeat": times}
            meta = Path(path) / "synth-meta.json"
            if meta.is_file():
                m = json.loads(meta.read_text())
                entry |= {"kind": "synthetic", "count": m["count"], "seed": m["options"]["seed"],
                          "generator_version": m["generator_version"], "fonts": m["fonts"],
                          "word_list_sizes": m["word_list_sizes"], "backgrounds": m["backgrounds"]}
            else:
                lines = [x for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
                entry |= {"kind": "real", "count": len(lines), "name": Path(path).parent.name}
            sources.append(entry)
    return sources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path, default=REPO / "runs" / "rare_mv3")
    parser.add_argument("--variant", default="mv3")
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data" / "str-benchmarks")
    parser.add_argument("--no-curve-eval", action="store_true", help="skip evaluating the snapshots")
    parser.add_argument("--note", action="append", default=[],
                        help="a sentence for the training record's notes (how the schedule was chosen, ...)")
    parser.add_argument("--reuse", action="store_true",
                        help="rebuild the training record from the records already written (no evaluation)")
    args = parser.parse_args()
    run, variant = args.run.resolve(), args.variant
    if not args.data_root.is_dir():
        print(f"skipped: benchmark data not found at {args.data_root}", file=sys.stderr)
        return 2
    present = [stage for stage in STAGES if (run / stage / "train_log.jsonl").is_file()]
    if not present:
        raise SystemExit(f"{run} holds no stage folder with a train_log.jsonl ({', '.join(STAGES)})")
    previous_path = RESULTS / "training" / f"rare_{variant}.json"
    earlier = [stage for stage in STAGES[:STAGES.index(present[0])]]
    previous: dict[str, Any] = json.loads(previous_path.read_text()) if earlier else {}
    missing = [stage for stage in earlier if stage not in previous.get("stages", {})]
    if missing:
        raise SystemExit(f"{run} lacks the stages {', '.join(missing)} and {previous_path} does not hold them")
    stages = {stage: previous["stages"][stage] for stage in earlier}
    stages |= {stage: stage_summary(run / stage) for stage in present}
    offsets = stage_offsets(stages)
    carried = [p for p in previous.get("curve", []) if not p.get("shipped") and p["stage"] in earlier]
    new_offsets = {stage: offsets[stage] for stage in present}
    points = carried + ([] if args.no_curve_eval else snapshot_points(run, variant, args.data_root, new_offsets,
                                                                      evaluate=not args.reuse))
    last = present[-1]
    chosen_on_held_out = last in HELD_OUT_STAGES and (run / last / "best.safetensors").is_file()
    source_weights = run / last / ("best.safetensors" if chosen_on_held_out else "last.safetensors")
    selection: dict[str, Any] = {"weights": str(source_weights.relative_to(run)), "stage": last}
    if chosen_on_held_out:
        from safetensors import safe_open

        with safe_open(str(source_weights), "pt") as handle:
            meta = handle.metadata() or {}
        selection |= {"rule": "the step with the best word accuracy on the held-out split (heldout.txt of "
                              "strbench data holdout: 10% of the real training crops, by hash); the test sets "
                              "were not consulted",
                      "step": int(meta["global_step"]), "held_out_word_accuracy": float(meta["word_accuracy"])}
    else:
        selection["rule"] = "the stage's last step"

    # ship the weights with their identity
    PLUGIN_WEIGHTS.mkdir(parents=True, exist_ok=True)
    weights = PLUGIN_WEIGHTS / f"rare_{variant}.safetensors"
    shutil.copyfile(source_weights, weights)
    today = datetime.date.today().isoformat()
    # a held-out-selected step may come before the stage's end: count the passes up to it
    total_passes = sum(s["sample_passes"] for stage, s in stages.items() if stage != last)
    last_passes = stages[last]["sample_passes"]
    if "step" in selection:
        last_passes = next((v["sample_passes"] for v in stages[last]["validation"] if v["step"] == selection["step"]),
                           last_passes)
    total_passes += last_passes
    synthetic = sum(s["count"] for s in data_sources(run, stages) + previous.get("data_sources", [])
                    if s.get("kind") == "synthetic" and s["stage"] != "pretrain_more")
    identity = {
        "name": f"strbench RARE-{variant} ({today})",
        "trained_by": "strbench (benchmarks/train_rare_mv3.sh)",
        "recipe": "strbench-synth-real (" + ", ".join(s.replace("_", "-") for s in stages) + ")",
        "data": f"strbench data synth ({synthetic:,} synthetic words) + IIIT5K/SVT/IC15 training splits (6,725 real "
                f"crops{'; the last stage held 639 of them out for selection' if chosen_on_held_out else ''})",
        "training_data": f"synthetic {round(synthetic / 1000)}k + real 6.7k (IIIT5K, SVT, IC15 train), strbench recipe",
        "date": today,
        "steps": {stage: s["steps"] for stage, s in stages.items()} | (
            {last: selection["step"]} if "step" in selection else {}),
        "selection": selection,
        "sample_passes": total_passes,
        "sha256": sha256(weights),
        "training_record": f"results/training/rare_{variant}.json",
    }
    weights.with_suffix(".json").write_text(json.dumps(identity, indent=1) + "\n")

    if args.reuse:
        final = shipped_record(identity["sha256"])
    else:
        since = datetime.datetime.now().timestamp()
        strbench("run", "--plugin", "rare", "--backbone", variant, "--data-root", str(args.data_root))
        final = newest_record(RESULTS, since)

    points.append({"stage": last, "step": identity["steps"][last], "sample_passes": total_passes,
                   "record": final["_path"], "benchmark_word_accuracy": benchmark_accuracy(final)["weighted"],
                   "shipped": True})
    png = RESULTS / "training" / f"rare_{variant}_curve.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    plot(stages, offsets, points, png)
    import platform

    import torch

    from strbench.environment import cpu_model

    record = {
        "kind": "strbench-training-record",
        "algorithm": "rare",
        "variant": variant,
        "weights": identity | {"path": str(weights.relative_to(REPO))},
        "stages": {stage: {k: v for k, v in s.items() if k != "events"} | {"recipe": s["config"].get("recipe")}
                   for stage, s in stages.items()},
        "recipe_file": "plugins/rare/strbench_rare/recipes/strbench-synth-real.toml",
        "data_sources": [s for s in previous.get("data_sources", []) if s["stage"] in earlier]
                        + data_sources(run, stages),
        "selection": selection,
        # the weights this run continued, as their own record evaluated them (the stages carried over)
        "previous_weights": ({"weights": previous["weights"], "evaluation": previous["evaluation"]}
                             if earlier else None),
        "sample_passes": total_passes,
        "wall_seconds": round(sum(s["wall_seconds"] for s in stages.values()), 1),
        "wall_seconds_note": "from each sitting's start to its last event, so steps repeated after an interruption count twice",
        "machine": {"device": "cpu", "cpu": cpu_model(), "python": platform.python_version(),
                    "torch": torch.__version__,
                    "threads": "OMP_NUM_THREADS=1 (the second core shared with other work) or 2 (a quiet machine); "
                               "each stage's threads_per_sitting names them where the log has them"},
        "curve": points,
        "curve_png": str(png.relative_to(REPO)),
        "evaluation": {"record": final["_path"], "protocol": final["protocol"]["key"] if isinstance(final["protocol"], dict) and "key" in final["protocol"] else final["protocol"],
                       "benchmark": benchmark_accuracy(final)},
        "command": "benchmarks/train_rare_mv3.sh && python benchmarks/ship_rare_weights.py",
        "notes": [n for n in previous.get("notes", []) if earlier] + args.note,
    }
    out = RESULTS / "training" / f"rare_{variant}.json"
    out.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(json.dumps(record["evaluation"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
