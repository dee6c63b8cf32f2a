"""Start-up time of the ``strbench`` commands that run no model, against ``python -c pass``.

    python benchmarks/cli_startup.py                       # 7 runs each, writes results/bench/cli_startup.json
    python benchmarks/cli_startup.py --runs 11 --out /tmp/x.json

Each command runs as its own process (``python -m strbench ...``, output discarded) from the
repository root, over the committed records in ``results/`` and the embedded synthetic set: one
untimed warm-up (it also writes the byte-code caches: ``PYTHONDONTWRITEBYTECODE`` is removed from
the children's environment, as in a normal install), then ``--runs`` timed runs. Reported per
command: median, min, max and interquartile range of the wall time, and the median minus the
median of ``python -c pass`` measured in the same run (the interpreter's own start).

Targets: ``--version`` within 0.5 s of ``python -c pass``; ``leaderboard`` within 1.5 s. The
2-core machine may be shared: the record keeps the load average before and after and the cores
other processes kept busy during the measurement (``other_processes``; this script and the
commands it waited for are excluded). ``strbench report`` (which renders every plot) is not a
start-up figure and is left out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "results" / "bench" / "cli_startup.json"
RECORD_A = "results/20261123T004629056287Z_ppocr-onnx_v6-small_lower36.json"
RECORD_B = "results/20261123T005841639700Z_ppocr-onnx_v6-tiny_lower36.json"

#: name -> interpreter arguments (after ``python``)
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import strbench'": ["-c", "import strbench"],
    "strbench --version": ["-m", "strbench", "--version"],
    "strbench --help": ["-m", "strbench", "--help"],
    "strbench plugins": ["-m", "strbench", "plugins"],
    "strbench leaderboard": ["-m", "strbench", "leaderboard"],
    "strbench compare A B": ["-m", "strbench", "compare", RECORD_A, RECORD_B],
    "strbench rescore A --protocol cased62": ["-m", "strbench", "rescore", RECORD_A, "--protocol", "cased62"],
    "strbench errors A": ["-m", "strbench", "errors", RECORD_A],
    "strbench calibration A": ["-m", "strbench", "calibration", RECORD_A],
    "strbench robustness --summary": ["-m", "strbench", "robustness", "--summary"],
    "strbench data suites": ["-m", "strbench", "data", "suites"],
    "strbench data inspect default-synthetic": ["-m", "strbench", "data", "inspect", "default-synthetic"],
    "strbench data validate default-synthetic": ["-m", "strbench", "data", "validate", "default-synthetic"],
    "strbench weights releases": ["-m", "strbench", "weights", "releases"],
}
BASELINE = "python -c pass"
#: command -> (seconds, what they are measured against: "baseline" = above python -c pass, "wall")
TARGETS = {"strbench --version": (0.5, "baseline"), "strbench leaderboard": (1.5, "wall")}
PACKAGES = ("torch", "numpy", "pillow", "rich", "pluggy", "onnxruntime", "onnx", "opencv-python-headless", "matplotlib")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def time_command(args: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """One untimed warm-up, then ``runs`` wall times (seconds) of ``python ARGS``."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=600)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"python {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
        if i:
            times.append(elapsed)
    return times


def summary(times: list[float]) -> dict[str, float]:
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "max_s": round(max(times), 4), "iqr_s": round(q[2] - q[0], 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only the commands whose name contains NAME")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    from strbench.environment import OtherCpuLoad, cpu_model, git_state

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    names = [n for n in COMMANDS if n == BASELINE or not args.only or any(o in n for o in args.only)]
    rows: list[dict[str, Any]] = []
    with OtherCpuLoad() as load:
        for name in names:
            times = time_command(COMMANDS[name], args.runs, env)
            rows.append({"command": name, **summary(times), "runs_s": [round(t, 4) for t in times]})
            print(f"{name:45s} median {rows[-1]['median_s']:.3f} s  (min {rows[-1]['min_s']:.3f}, "
                  f"max {rows[-1]['max_s']:.3f})", flush=True)
    base = rows[0]["median_s"]
    for row in rows:
        row["above_python_s"] = round(row["median_s"] - base, 4)
        target = TARGETS.get(row["command"])
        if target is not None:
            limit, against = target
            value = row["above_python_s"] if against == "baseline" else row["median_s"]
            row["target"] = {"limit_s": limit, "measured": "median above python -c pass" if against == "baseline"
                             else "median wall time", "met": value <= limit}
    other = load.as_dict()
    record = {
        "benchmark": "cli_startup",
        "what": "wall time of one 'python -m strbench ...' process per run (output discarded), from the repository "
                "root over the committed results/; one warm-up, then the timed runs; above_python_s = median minus "
                "the median of 'python -c pass' in the same run",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "runs": args.runs,
        "machine": {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "platform": platform.platform()},
        "versions": {"python": platform.python_version(), "strbench": _version("strbench"),
                     **{name: _version(name) for name in PACKAGES}},
        "git": git_state(),
        "byte_code": "written by the warm-up (PYTHONDONTWRITEBYTECODE removed for the commands)",
        "load_average_before": list(load.load_average_before) if load.load_average_before else None,
        "load_average_after": list(load.load_average_after) if load.load_average_after else None,
        "other_processes": other,
        "contended": load.contended(),
        "results": rows,
    }
    if record["contended"]:
        record["note"] = ("measured while other work kept the machine busy (other_processes): every figure is "
                          "slower than on a quiet machine; compare commands with each other and with python -c pass")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"load average {record['load_average_before']} -> {record['load_average_after']}; "
          f"other processes {other.get('other_cpu_cores')} cores; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
