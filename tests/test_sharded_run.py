"""Sharded evaluation: ``torchrun --nproc-per-node 2 -m strbench run`` (gloo, CPU) writes one
record equal to a single-process run's; the shards cover every sample once, in order."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from strbench.run.records import load_record, predictions_path, read_predictions
from strbench.run.sharding import shard_range
from strbench.training.distributed import DistContext

pytest.importorskip("strbench_rare")


def test_shards_cover_every_sample_once_in_order() -> None:
    for total in (0, 1, 7, 288, 3000):
        for world in (1, 2, 3, 8):
            parts = [shard_range(total, DistContext(r, world, r)) for r in range(world)]
            assert [i for p in parts for i in p] == list(range(total))
            assert max(map(len, parts)) - min(map(len, parts)) <= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _strbench(prefix: list[str], results: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = [*prefix, "-m", "strbench", "run", "--algorithm", "rare", "--variant", "mv3", "--workers", "0",
           "--batch-size", "8", "--limit", "30", "--results-dir", str(results)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_two_processes_write_the_record_of_one(tmp_path: Path) -> None:
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                "--master-addr", "127.0.0.1", "--master-port", str(_free_port())]
    sharded = _strbench(torchrun, tmp_path / "sharded")
    _strbench([sys.executable], tmp_path / "single")
    [sp] = (tmp_path / "sharded").glob("*.json")  # rank 1 wrote nothing
    [op] = (tmp_path / "single").glob("*.json")
    s, o = load_record(sp), load_record(op)
    assert [(d.name, d.evaluated, d.metrics) for d in s.datasets] == [(d.name, d.evaluated, d.metrics) for d in o.datasets]
    assert s.summary.to_json() == o.summary.to_json() and s.intervals == o.intervals
    rows = [(ds, p.key, p.label, p.prediction) for ds, p in read_predictions(predictions_path(sp, s))]
    assert rows == [(ds, p.key, p.label, p.prediction) for ds, p in read_predictions(predictions_path(op, o))]
    assert len(rows) == 30
    assert s.runtime.extra["distributed"]["world_size"] == 2 and "distributed" not in o.runtime.extra
    assert sharded.stdout.count("record written") <= 1  # rank 0 alone reports


@pytest.mark.slow
def test_a_sharded_run_keeps_skipped_samples_in_place_and_equal_figures(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    data = tmp_path / "words"
    (data / "img").mkdir(parents=True)
    lines = []
    for i in range(11):
        image = Image.new("RGB", (80, 32), "white")
        ImageDraw.Draw(image).text((4, 8), f"w{i}", fill="black")
        image.save(data / "img" / f"{i}.png")
        lines.append(f"img/{i}.png\tw{i}")
    (data / "img" / "3.png").write_bytes(b"not an image")  # a counted skip in the middle of shard 0
    (data / "gt.txt").write_text("\n".join(lines) + "\n")
    results = {}
    for name, prefix in (("sharded", [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                                      "--master-addr", "127.0.0.1", "--master-port", str(_free_port())]),
                         ("single", [sys.executable])):
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
            env.pop(key, None)
        cmd = [*prefix, "-m", "strbench", "run", "--algorithm", "rare", "--variant", "mv3", "--workers", "0",
               "--batch-size", "4", "--dataset", f"{data / 'gt.txt'}=words", "--results-dir", str(tmp_path / name)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        [path] = (tmp_path / name).glob("*.json")
        results[name] = (path, load_record(path))
    (sp, s), (op, o) = results["sharded"], results["single"]
    # every figure from the strings is identical; confidences may differ in the last digits (README:
    # each process batches other samples, and the CPU's kernels round differently per batch shape)
    strings = [(d.name, d.evaluated, d.skipped.total, {k: v for k, v in d.metrics.items() if k != "mean_confidence"})
               for d in s.datasets]
    assert strings == [(d.name, d.evaluated, d.skipped.total,
                        {k: v for k, v in d.metrics.items() if k != "mean_confidence"}) for d in o.datasets]
    assert s.datasets[0].skipped.total == 1
    assert s.datasets[0].metrics["mean_confidence"] == pytest.approx(o.datasets[0].metrics["mean_confidence"], abs=1e-3)
    rows = [(p.key, p.prediction, p.skip) for _, p in read_predictions(predictions_path(sp, s))]
    assert rows == [(p.key, p.prediction, p.skip) for _, p in read_predictions(predictions_path(op, o))]
    assert [key for key, _, skip in rows if skip] == ["img/3.png"]  # the skip stays in its place
    confidences = [p.confidence for _, p in read_predictions(predictions_path(sp, s))]
    assert confidences == pytest.approx([p.confidence for _, p in read_predictions(predictions_path(op, o))],
                                        abs=1e-5)
