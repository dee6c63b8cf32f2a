"""Distributed data-parallel training: 2 CPU processes (torchrun, gloo) equal 1 process on the
combined batch; the rank split of the epoch order; single-process defaults."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from strbench.data import default_set
from strbench.training.distributed import DistContext, context_from_env, rank_indices
from strbench.weights.io import load_weights

SCRIPT = Path(__file__).parent / "ddp" / "tiny_task.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_rank_indices_split_each_global_batch() -> None:
    order = list(range(100, 120))
    r0 = rank_indices(order, 3, DistContext(0, 2, 0))
    r1 = rank_indices(order, 3, DistContext(1, 2, 1))
    assert r0 == [100, 101, 102, 106, 107, 108, 112, 113, 114]
    assert r1 == [103, 104, 105, 109, 110, 111, 115, 116, 117]
    assert rank_indices(order, 3, DistContext(1, 2, 1), skip_batches=2) == [115, 116, 117]
    assert rank_indices(order, 6, DistContext()) == order[:18]


def test_context_defaults_to_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    ctx = context_from_env()
    assert (ctx.world_size, ctx.rank, ctx.enabled, ctx.is_main) == (1, 0, False, True)


@pytest.mark.slow
def test_two_processes_equal_one_process_on_the_combined_batch(tmp_path: Path) -> None:
    data = str(default_set.path())
    _run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
          "--master-port", str(_free_port()), str(SCRIPT), data, str(tmp_path / "ddp"), "4", "5"])
    _run([sys.executable, str(SCRIPT), data, str(tmp_path / "single"), "8", "5"])
    ddp, _ = load_weights(tmp_path / "ddp" / "last.safetensors")
    single, _ = load_weights(tmp_path / "single" / "last.safetensors")
    assert ddp.keys() == single.keys()
    for key in ddp:
        torch.testing.assert_close(ddp[key], single[key], rtol=1e-4, atol=1e-5)
    start = torch.load(tmp_path / "ddp" / "last.ckpt", weights_only=True)
    assert start["global_step"] == 5 and start["sample_passes"] == 40
    log = (tmp_path / "ddp" / "train_log.jsonl").read_text().splitlines()
    assert sum('"event": "train"' in line for line in log) == 5  # rank 0 alone writes the log
