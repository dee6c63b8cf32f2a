"""Convert a PaddleOCR RARE state dict (``best_accuracy.pdparams``) to this plugin's model.

The PyTorch modules carry PaddleOCR's attribute names, so the conversion is:

- batch-norm statistics ``_mean``/``_variance`` -> ``running_mean``/``running_var``;
- every ``nn.Linear`` weight is transposed (Paddle stores ``[in, out]``), square ones included;
- the per-direction LSTM copies Paddle also stores (``lstm.{k}.cell_fw.*``/``cell_bw.*``) are
  checked against the flat ``weight_ih_l{k}[_reverse]`` tensors and dropped;
- conv, GRU and LSTM tensors are copied as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from strbench import DataError
from strbench_rare.model import RareModel

_BN_RENAMES = {"_mean": "running_mean", "_variance": "running_var"}
_CELL_COPY = re.compile(r"^(?P<prefix>.*lstm)\.(?P<layer>\d+)\.cell_(?P<dir>fw|bw)\.(?P<name>weight_ih|weight_hh|bias_ih|bias_hh)$")


def _flat_lstm_key(match: re.Match[str]) -> str:
    suffix = "_reverse" if match["dir"] == "bw" else ""
    return f"{match['prefix']}.{match['name']}_l{match['layer']}{suffix}"


def linear_weight_keys(model: nn.Module) -> set[str]:
    """State-dict keys of all ``nn.Linear`` weights of ``model`` (transposed on conversion)."""
    return {f"{name}.weight" for name, mod in model.named_modules() if isinstance(mod, nn.Linear)}


def convert_state(paddle_state: Mapping[str, np.ndarray], model: RareModel, source: str) -> dict[str, torch.Tensor]:
    """Map Paddle tensors to ``model``'s state-dict keys; raise :class:`DataError` naming ``source``
    when the LSTM duplicates disagree. Shape/key checks are left to :func:`strbench.load_into`."""
    linear = linear_weight_keys(model)
    out: dict[str, torch.Tensor] = {}
    duplicates: dict[str, np.ndarray] = {}
    for key, value in paddle_state.items():
        match = _CELL_COPY.match(key)
        if match:
            duplicates[_flat_lstm_key(match)] = np.asarray(value)
            continue
        head, _, leaf = key.rpartition(".")
        name = f"{head}.{_BN_RENAMES[leaf]}" if leaf in _BN_RENAMES else key
        array = np.asarray(value, dtype=np.float32)
        if name in linear:
            array = array.T
        out[name] = torch.from_numpy(np.ascontiguousarray(array))
    for flat, copy in duplicates.items():
        if flat in out and not np.array_equal(out[flat].numpy(), copy):
            raise DataError(f"{source}: {flat} and its per-direction copy differ; the file is inconsistent")
    for name, buffer in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            out.setdefault(name, torch.zeros_like(buffer))
    return out
