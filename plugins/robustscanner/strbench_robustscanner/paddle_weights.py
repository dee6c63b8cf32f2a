"""Convert a PaddleOCR RobustScanner state dict (numpy arrays, Paddle names) to this network's.

Rules (PaddleOCR and this network share attribute names): batch-norm ``_mean``/``_variance``
become ``running_mean``/``running_var``; every ``nn.Linear`` weight is transposed (Paddle stores
``[in, out]``, square ones included); LSTM weights are copied (Paddle also stores each layer a
second time under ``<lstm>.<k>.cell.*``; those copies are checked equal and dropped); the PAD
row of the hybrid embedding is zeroed, because Paddle's lookup returns zeros for
``padding_idx`` whatever the row holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from strbench import DataError
from strbench_robustscanner.network import RobustScanner

_CELL_COPY = re.compile(r"^(?P<rnn>.+)\.(?P<layer>\d+)\.cell\.(?P<name>weight_ih|weight_hh|bias_ih|bias_hh)$")
_BN_RENAME = {"._mean": ".running_mean", "._variance": ".running_var"}
HYBRID_EMBEDDING = "head.decoder.hybrid_decoder.embedding.weight"


def linear_weight_names(model: nn.Module) -> set[str]:
    return {f"{name}.weight" for name, mod in model.named_modules() if isinstance(mod, nn.Linear)}


def convert_state_dict(paddle_state: Mapping[str, np.ndarray], model: RobustScanner, *, source: str) -> dict[str, torch.Tensor]:
    """Return a state dict for ``model`` built from ``paddle_state``; raise :class:`DataError`
    naming ``source`` and every missing, unexpected or mis-shaped tensor."""
    expected = model.state_dict()
    transpose = linear_weight_names(model)
    out: dict[str, torch.Tensor] = {}
    unexpected: list[str] = []
    problems: list[str] = []
    for key, array in paddle_state.items():
        copy = _CELL_COPY.match(key)
        if copy:
            primary = f"{copy['rnn']}.{copy['name']}_l{copy['layer']}"
            if primary in paddle_state and not np.array_equal(paddle_state[primary], array):
                problems.append(f"{key} differs from {primary}")
            continue
        name = key
        for old, new in _BN_RENAME.items():
            if name.endswith(old):
                name = name[: -len(old)] + new
        tensor = torch.from_numpy(np.array(array, dtype=np.float32, copy=True))
        if name in transpose:
            tensor = tensor.t().contiguous()
        if name not in expected:
            unexpected.append(key)
            continue
        if tuple(tensor.shape) != tuple(expected[name].shape):
            problems.append(f"{key}: shape {tuple(array.shape)} does not fit {name} {tuple(expected[name].shape)}")
            continue
        out[name] = tensor
    missing = [k for k in expected if k not in out and not k.endswith("num_batches_tracked")]
    if missing or unexpected or problems:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)}: {', '.join(missing[:5])}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)}: {', '.join(unexpected[:5])}")
        if problems:
            parts.append("; ".join(problems[:5]))
        raise DataError(
            f"{source} is not a PaddleOCR RobustScanner (ResNet31) state dict for this network: "
            + " | ".join(parts)
            + "; use the rec_r31_robustscanner release (best_accuracy.pdparams)"
        )
    for key, value in expected.items():
        if key.endswith("num_batches_tracked"):
            out[key] = torch.zeros_like(value)
    pad = model.config.pad_idx
    out[HYBRID_EMBEDDING][pad] = 0.0
    return out


def conversion_facts(paddle_state: Mapping[str, np.ndarray], model: RobustScanner) -> dict[str, Any]:
    """Counts for the import record."""
    transpose = linear_weight_names(model)
    return {
        "paddle_tensors": len(paddle_state),
        "lstm_cell_copies_dropped": sum(1 for k in paddle_state if _CELL_COPY.match(k)),
        "linear_weights_transposed": sorted(transpose),
    }
