"""``torch.compile`` of a recognizer's module, applied in place and undone after the measurement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from strbench.plugin.types import Batch


def calls_module(recognizer: Any, batch: Batch) -> bool:
    """Whether ``recognizer.forward`` goes through ``recognizer.runtime_module()``'s ``__call__``.

    Compiling the module changes nothing when the recognizer only calls its submodules.
    """
    module = recognizer.runtime_module()
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
    if recognizer.runtime_module() is None:
        return "no torch module (ONNX Runtime or an external engine)"
    if not calls_module(recognizer, probe):
        return "the recognizer's forward does not call its runtime_module() as a whole"
    return None


def describe_mode(mode: str, device: str) -> dict[str, Any]:
    cuda = torch.device(device).type == "cuda"
    return {"mode": mode, "cuda_graphs": mode == "reduce-overhead" and cuda,
            "note": "reduce-overhead uses CUDA graphs only on CUDA devices; on CPU it compiles like default"
            if mode == "reduce-overhead" and not cuda else ""}


@contextmanager
def compiled(recognizer: Any, mode: str) -> Iterator[None]:
    """Replace ``recognizer.runtime_module().forward`` by its ``torch.compile`` for the duration of the block.

    Compiling the bound ``forward`` (an instance attribute that ``nn.Module.__call__`` picks up)
    works for built-in modules too, where ``nn.Module.compile`` leaves frames of ``torch.nn``
    files to eager.
    """
    if mode == "none":
        yield
        return
    module = recognizer.runtime_module()
    had_own = "forward" in vars(module)
    previous = vars(module).get("forward")
    module.forward = torch.compile(module.forward, mode=None if mode == "default" else mode)
    try:
        yield
    finally:
        if had_own:
            module.forward = previous
        else:
            del module.forward
