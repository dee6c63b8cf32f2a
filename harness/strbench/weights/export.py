"""ONNX export helpers shared by algorithm plugins.

:func:`export_onnx` uses the TorchScript-based exporter (``dynamo=False``) first: it honours the
requested opset, keeps ``dynamic_axes`` and handles ``grid_sample`` and Python loops of fixed
length (unrolled while tracing). When it cannot translate an operator, the ``torch.export``-based
exporter is tried (it may raise the opset to the lowest it supports). The result is always
checked with ``onnx.checker``. :func:`onnx_session` opens a model with ONNX Runtime and
:func:`max_abs_diff` compares outputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from strbench import ui
from strbench.atomic import atomic_path
from strbench.errors import DataError, NotSupportedError


@dataclass(frozen=True)
class _Graph:
    """How the exported graph is named and shaped (one value for both exporters)."""

    input_names: list[str]
    output_names: list[str]
    dynamic_axes: dict[str, dict[int, str]] | None
    opset: int


def export_onnx(
    module: torch.nn.Module,
    args: tuple[Any, ...],
    path: Path,
    *,
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic_axes: Mapping[str, Mapping[int, str]] | None,
    opset: int = 17,
) -> Path:
    """Export ``module`` (in eval mode, without gradients) called on ``args`` to ONNX at ``path``.

    The file is written atomically and validated with ``onnx.checker.check_model``. The module's
    training flag is restored afterwards. Raises :class:`NotSupportedError` naming both
    exporters' errors when neither can export the module.
    """
    import onnx

    path = Path(path)
    graph = _Graph(
        list(input_names), list(output_names), {k: dict(v) for k, v in (dynamic_axes or {}).items()} or None, opset
    )
    was_training = module.training
    module.eval()
    try:
        with atomic_path(path, suffix=".onnx") as tmp:
            errors = []
            for dynamo in (False, True):
                try:
                    _export(module, args, tmp, graph, dynamo=dynamo)
                    break
                except Exception as exc:  # any exporter failure: try the other one, then report both
                    errors.append(
                        f"{'torch.export' if dynamo else 'TorchScript'} exporter: {type(exc).__name__}: "
                        f"{_first_line(exc)}"
                    )
                    if not dynamo:
                        ui.warn(
                            f"TorchScript ONNX export failed ({_first_line(exc)}); trying the torch.export exporter"
                        )
            else:
                raise NotSupportedError(f"cannot export {type(module).__name__} to ONNX: " + "; ".join(errors))
            onnx.checker.check_model(str(tmp))
    finally:
        module.train(was_training)
    return path


def _export(module: torch.nn.Module, args: tuple[Any, ...], path: Path, graph: _Graph, *, dynamo: bool) -> None:
    kwargs: dict[str, Any] = {"dynamo": dynamo}
    if dynamo:
        kwargs.update(external_data=False, verbose=False)
    else:
        kwargs.update(do_constant_folding=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # the legacy exporter is deprecated
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=graph.input_names,
            output_names=graph.output_names,
            dynamic_axes=graph.dynamic_axes,
            opset_version=graph.opset,
            **kwargs,
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def onnx_session(path: Path, device: str = "cpu", threads: int | None = None) -> Any:
    """Open ``path`` with ONNX Runtime on ``device`` (``cpu`` or ``cuda[:N]``); return the session.

    ``threads`` sets the intra-op thread count (``None``: ONNX Runtime's default). Asking for CUDA
    when the CUDA execution provider is not installed is an error, not a silent CPU fallback.
    """
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise DataError(f"ONNX model {path} does not exist; export it first with 'strbench export'")
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    providers: list[Any]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise NotSupportedError(
                f"ONNX Runtime here has no CUDA execution provider (available: "
                f"{', '.join(ort.get_available_providers())}); install onnxruntime-gpu or use --device cpu"
            )
        index = int(device.partition(":")[2] or 0)
        providers = [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"]
    elif device == "cpu":
        providers = ["CPUExecutionProvider"]
    else:
        raise NotSupportedError(f"ONNX Runtime device {device!r} is not supported; use 'cpu' or 'cuda[:N]'")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:
        raise DataError(f"cannot load ONNX model {path}: {_first_line(exc)}; export it again") from exc


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).numpy()
    return np.asarray(value, dtype=np.float64)


def max_abs_diff(a: Any, b: Any) -> float:
    """Largest absolute element-wise difference of two arrays/tensors of the same shape.

    NaN in either input gives ``nan``; a shape mismatch is a :class:`ValueError`.
    """
    x, y = _numpy(a), _numpy(b)
    if x.shape != y.shape:
        raise ValueError(f"cannot compare outputs of shapes {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y)))
