"""Files strbench writes get the user's umask (0644 under 022), not mkstemp's private 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from strbench.atomic import atomic_path, atomic_write_bytes
from strbench.run.record import Record
from strbench.run.records import write_record
from strbench.training.checkpoint import save_checkpoint
from strbench.weights.io import save_weights


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_record_and_predictions_are_0644(umask, tmp_path: Path) -> None:
    path = write_record(tmp_path, Record(id="r1"), [{"dataset": "d", "label": "a", "prediction": "a"}])
    assert mode(path) == 0o644
    assert mode(tmp_path / "r1.predictions.jsonl.gz") == 0o644


def test_weights_and_checkpoint_are_0644(umask, tmp_path: Path) -> None:
    save_weights({"w": torch.zeros(2)}, tmp_path / "w.safetensors")
    save_checkpoint({"step": 1}, tmp_path / "last.ckpt")
    assert mode(tmp_path / "w.safetensors") == 0o644 and mode(tmp_path / "last.ckpt") == 0o644


def test_a_writer_that_recreates_the_file_still_gets_the_umask_mode(umask, tmp_path: Path) -> None:
    with atomic_path(tmp_path / "model.onnx", suffix=".onnx") as tmp:
        tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    assert mode(tmp_path / "model.onnx") == 0o644


def test_a_strict_umask_is_respected(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write_bytes(tmp_path / "board.html", b"<html>")
    finally:
        os.umask(old)
    assert mode(tmp_path / "board.html") == 0o600
