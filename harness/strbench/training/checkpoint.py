"""Training checkpoints and random-number-generator state.

A checkpoint is a dict of tensors and plain Python data written with ``torch.save`` and read
back with ``torch.load(weights_only=True)``: RNG states are stored as tensors and lists so no
pickled object is needed. It holds everything an exact resume needs: model, optimizer,
scheduler and gradient-scaler states, the position in the data (epoch, batches consumed in it,
optimizer steps) and every RNG (Python, numpy, torch CPU and CUDA).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from strbench.atomic import atomic_path
from strbench.errors import DataError

FORMAT = "strbench-train-checkpoint"
VERSION = 1


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """Every global RNG state as tensors and plain lists (loadable with ``weights_only=True``)."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the states captured by :func:`rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Run a block (e.g. validation) without disturbing the training RNG streams."""
    saved = rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` (see :func:`strbench.training.loop.train`) atomically to ``path``."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``: no code runs)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"checkpoint {path} does not exist; pass the last.ckpt of an earlier run")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(
            f"cannot read checkpoint {path}: {type(exc).__name__}: {str(exc).splitlines()[0]}; "
            f"resume from a last.ckpt written by 'strbench train'"
        ) from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise DataError(
            f"{path} is not a strbench training checkpoint; to start from plain weights use init_weights"
        )
    if state.get("version") != VERSION:
        raise DataError(
            f"{path} has checkpoint version {state.get('version')}; this strbench reads version {VERSION}"
        )
    return state
