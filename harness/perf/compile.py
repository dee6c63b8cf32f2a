"""``torch.compile`` of a recognizer's module, applied in place and undone after the measurement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from strbench.types import Batch


def calls_module(recognizer: Any, batch: Batch) -> bool:
    """Whether ``recognizer.forward`` goes through ``recognizer.module()``'s ``__call__``.

    Compiling the module changes nothing when the recognizer only calls its submodules.
    """
    module = recognizer.module()
    calls = []
    handle = module.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        with torch.inference_mode():
            recognizer.forward(batch.to(recognizer.device))
    finally:
        handle.remove()
    return bool(calls)


def not_applicable_reason(recognizer: Any, mode: str, probe: Batch) -> str | None:
    """Why ``mode`` cannot be applied to ``recognizer`` (``None``: it can)."""
    if mode == "none":
        return None
    if recognizer.module() is None:
        return "no torch module (ONNX Runtime or an external engine)"
    if not calls_module(recognizer, probe):
        return "the recognizer's forward does not call its module() as a whole"
    return None


def describe_mode(mode: str, device: str) -> dict[str, Any]:
    cuda = torch.device(device).type == "cuda"
    return {"mode": mode, "cuda_graphs": mode == "reduce-overhead" and cuda,
            "note": "reduce-overhead uses CUDA graphs only on CUDA devices; on CPU it compiles like default"
            if mode == "reduce-overhead" and not cuda else ""}


@contextmanager
def compiled(recognizer: Any, mode: str) -> Iterator[None]:
    """Compile ``recognizer.module()`` in place (``nn.Module.compile``) for the duration of the block."""
    if mode == "none":
        yield
        return
    module = recognizer.module()
    previous = getattr(module, "_compiled_call_impl", None)
    module.compile(mode=None if mode == "default" else mode)
    try:
        yield
    finally:
        # nn.Module.compile stores the compiled call here; restoring it returns the module to eager
        module._compiled_call_impl = previous
