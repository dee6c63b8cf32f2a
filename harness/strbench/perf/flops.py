"""FLOP counting with ``torch.utils.flop_counter.FlopCounterMode`` plus formulas it lacks.

FlopCounterMode counts matrix products and convolutions (a multiply-add = 2 FLOPs): ``mm``,
``addmm``, ``bmm``, ``baddbmm``, convolutions and the fused attention kernels. Depending on the
device, fused recurrent layers (``aten.lstm``/``aten.gru``, cuDNN/oneDNN) and the composite
``aten.scaled_dot_product_attention`` reach it un-decomposed and would count zero; this module
adds their matmul FLOPs (gate matrices x steps; QK^T and PV). Elementwise work (activations,
normalisation, softmax, pooling, ``grid_sample`` interpolation, bias adds, gate nonlinearities)
is never counted. :func:`coverage` checks all of this on small probes at measurement time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import cache, partial
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from strbench.plugin.types import Batch

COUNTED = ("matrix products (mm, addmm, bmm, baddbmm, linear), convolutions, attention products "
           "(scaled_dot_product_attention and its fused kernels), recurrent layers (LSTM/GRU/RNN gate matrices "
           "x time steps, added to FlopCounterMode by strbench)")
NOT_COUNTED = ("elementwise work: activations, normalisation, softmax, pooling, grid_sample interpolation, "
               "bias adds, gate nonlinearities; anything outside torch (NumPy, ONNX Runtime, external engines)")


def _rnn_flops(*args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    """``aten.lstm/gru/rnn_*``: 2 x (every 2-D weight's size) x tokens, over all layers and directions.

    Overloads: ``.input(input, hx, params, has_biases, layers, dropout, train, bidirectional,
    batch_first)`` and ``.data(data, batch_sizes, hx, params, ...)`` (packed sequences).
    """
    if isinstance(args[1], list | tuple):  # .input
        shape, params, batch_first = args[0], args[2], bool(args[8])
        if len(shape) == 2:  # unbatched (T, I)
            tokens = shape[0]
        else:
            tokens = shape[0] * shape[1]
        del batch_first  # tokens = T x B either way
    else:  # .data: packed (sum of lengths, I)
        tokens, params = args[0][0], args[3]
    weights = sum(math.prod(p) for p in params if len(p) == 2)
    return 2 * tokens * weights


def _sdpa_flops(query: Any, key: Any, value: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    def four_d(shape: Any) -> tuple[int, ...]:
        shape = tuple(shape)
        lead = math.prod(shape[:-3]) if len(shape) > 4 else None
        if lead is not None:
            return (lead, *shape[-3:])
        return (1,) * (4 - len(shape)) + shape

    return sdpa_flop_count(four_d(query), four_d(key), four_d(value))


def _custom_mapping() -> dict[Any, Callable[..., int]]:
    """Keys are the operator packets (used to count) and their overloads (FlopCounterMode
    decomposes any overload it does not find, which would lose fused RNN kernels)."""
    aten = torch.ops.aten
    formulas = {"scaled_dot_product_attention": _sdpa_flops,
                **{name: _rnn_flops for name in ("lstm", "gru", "rnn_tanh", "rnn_relu")}}
    mapping: dict[Any, Callable[..., int]] = {}
    for name, formula in formulas.items():
        packet = getattr(aten, name)
        mapping[packet] = formula
        for overload in packet.overloads():
            mapping[getattr(packet, overload)] = formula
    return mapping


def flop_counter() -> FlopCounterMode:
    """A silent FlopCounterMode that also counts fused recurrent layers and composite SDPA."""
    return FlopCounterMode(display=False, custom_mapping=_custom_mapping())


def count_forward(forward: Callable[[], Any]) -> tuple[int, dict[str, int]]:
    """Total FLOPs of ``forward()`` and the per-operator split."""
    with flop_counter() as counter, torch.inference_mode():
        forward()
    by_op = {str(k): int(v) for k, v in counter.get_flop_counts().get("Global", {}).items()}
    return int(counter.get_total_flops()), by_op


def _giga(flops: float) -> float:
    return float(f"{flops / 1e9:.6g}")


def recognizer_flops(recognizer: Any, batches: Iterable[Batch]) -> dict[str, Any]:
    """FLOPs of ``Recognizer.forward`` per real batch-1 image (autoregressive decoders: real lengths)."""
    if recognizer.module() is None:
        return {"available": False, "reason": "no torch module (ONNX Runtime or an external engine): "
                                               "FlopCounterMode sees only torch operators"}
    totals: list[int] = []
    by_op: dict[str, int] = {}
    try:
        for batch in batches:
            on_device = batch.to(recognizer.device)
            total, ops = count_forward(partial(recognizer.forward, on_device))
            totals.append(total)
            for k, v in ops.items():
                by_op[k] = by_op.get(k, 0) + v
    except Exception as exc:  # an operator FlopCounterMode cannot trace: report, do not fail the run
        return {"available": False, "reason": f"FlopCounterMode failed: {type(exc).__name__}: {exc}"}
    if not totals:
        return {"available": False, "reason": "no image to count on"}
    n = len(totals)
    return {
        "available": True, "tool": f"torch.utils.flop_counter.FlopCounterMode (torch {torch.__version__}) + strbench RNN/SDPA formulas",
        "convention": "multiply-add = 2 FLOPs; forward pass only, eager fp32, batch 1, real images",
        "images": n, "flops_per_image": sum(totals) / n, "gflops_per_image": _giga(sum(totals) / n),
        "gflops_min": _giga(min(totals)), "gflops_max": _giga(max(totals)),
        "by_operator_gflops_per_image": {k: _giga(v / n) for k, v in sorted(by_op.items())},
        "counted": COUNTED, "not_counted": NOT_COUNTED,
    }


def _probes(device: torch.device) -> dict[str, tuple[Callable[[], Any], int]]:
    g = torch.Generator().manual_seed(0)

    def r(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g).to(device)

    t, i, h = 5, 16, 32
    conv, lin = torch.nn.Conv2d(3, 8, 3, padding=1).to(device), torch.nn.Linear(i, h).to(device)
    lstm = torch.nn.LSTM(i, h, batch_first=True, bidirectional=True).to(device)
    gru = torch.nn.GRU(i, h, batch_first=True).to(device)
    lstm_cell, gru_cell = torch.nn.LSTMCell(i, h).to(device), torch.nn.GRUCell(i, h).to(device)
    img, grid, seq = r(1, 3, 32, 100), r(1, 32, 100, 2).clamp(-1, 1), r(1, t, i)
    q, k = r(1, 10, 8), r(1, 20, 8)

    def attention_loop() -> Any:
        return torch.bmm(torch.softmax(torch.bmm(q, k.transpose(1, 2)), -1), k)

    return {
        "conv2d": (lambda: conv(img), 2 * 8 * 3 * 9 * 32 * 100),
        "linear": (lambda: lin(seq), 2 * t * i * h),
        "lstm (bidirectional)": (lambda: lstm(seq), 2 * t * 2 * (4 * h * i + 4 * h * h)),
        "gru": (lambda: gru(seq), 2 * t * (3 * h * i + 3 * h * h)),
        "lstm_cell": (lambda: lstm_cell(seq[:, 0]), 2 * (4 * h * i + 4 * h * h)),
        "gru_cell": (lambda: gru_cell(seq[:, 0]), 2 * (3 * h * i + 3 * h * h)),
        "attention loop (bmm, softmax, bmm)": (attention_loop, 2 * 2 * 10 * 20 * 8),
        "scaled_dot_product_attention": (lambda: F.scaled_dot_product_attention(q, k, k), 2 * 2 * 10 * 20 * 8),
        "grid_sample (interpolation)": (lambda: F.grid_sample(img, grid, align_corners=False), 0),
    }


@cache
def coverage(device: str = "cpu") -> dict[str, dict[str, Any]]:
    """Counted vs matmul-analytic FLOPs on small probes of the layers STR models use, on ``device``."""
    out: dict[str, dict[str, Any]] = {}
    for name, (fn, expected) in _probes(torch.device(device)).items():
        try:
            counted, _ = count_forward(fn)
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        out[name] = {"counted": counted, "matmul_flops": expected, "exact": counted == expected}
    return out
