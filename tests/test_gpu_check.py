"""benchmarks/gpu_check.sh --dry-run: the prepared GPU check's steps run on the CPU with tiny sizes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_dry_run_writes_every_record(tmp_path: Path) -> None:
    out = tmp_path / "gpu"
    # the script's python and strbench are the ones running these tests (a virtual environment need not be active)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHON": sys.executable,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(REPO / "benchmarks" / "gpu_check.sh"), "--dry-run", "--out", str(out)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = [json.loads(p.read_text()) for p in out.glob("*.json") if p.name != "environment.json"]
    benched = {(r["algorithm"]["name"] if isinstance(r["algorithm"], dict) else r["algorithm"]) for r in records}
    assert {"rare", "robustscanner"} <= benched
    assert all("perf" in r for r in records)
    for model in ("rare_mv3", "rare_r34", "robustscanner_r31"):
        events = [json.loads(line) for line in (out / "train" / model / "train_log.jsonl").read_text().splitlines()]
        assert events[-1]["event"] == "end" and events[-1]["step"] == 2
    assert json.loads((out / "environment.json").read_text())["torch"]
