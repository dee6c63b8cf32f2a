"""Saving, loading and checking model weights.

strbench stores weights as safetensors files (no code execution on load, memory-mappable).
PyTorch checkpoints (``.pt``/``.pth``/``.ckpt``) are read with ``torch.load(weights_only=True)``
only, so an untrusted file can never run code. :func:`load_into` reports every mismatch between
a state dict and a module in one message instead of failing on the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from strbench.atomic import atomic_path
from strbench.errors import DataError

SAFETENSORS_SUFFIXES = (".safetensors",)
TORCH_SUFFIXES = (".pt", ".pth", ".ckpt")
_NESTED_KEYS = ("state_dict", "model")
_SHOW = 5  # keys listed per mismatch category


def save_weights(
    state: Mapping[str, torch.Tensor], path: Path, metadata: Mapping[str, str] | None = None
) -> None:
    """Write ``state`` as a safetensors file atomically (temp file in the same folder + rename).

    Tensors are detached, moved to the CPU and made contiguous; tensors sharing storage are
    cloned (safetensors refuses shared storage).
    """
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {}
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"cannot save {name!r} to {path}: {type(tensor).__name__} is not a tensor")
        tensors[name] = tensor.detach().to("cpu").contiguous().clone()
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)


def load_weights(path: Path, device: str = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a weights file; return ``(state_dict, metadata)``.

    ``.safetensors`` files are read with safetensors (metadata from the header); ``.pt``,
    ``.pth`` and ``.ckpt`` with ``torch.load(weights_only=True)``, also accepting a dict that
    holds the weights under ``state_dict`` or ``model`` (metadata is then empty).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"weights file {path} does not exist; check the path")
    suffix = path.suffix.lower()
    if suffix in SAFETENSORS_SUFFIXES:
        return _load_safetensors(path, device)
    if suffix in TORCH_SUFFIXES:
        return _load_torch(path, device), {}
    if suffix == ".onnx":
        raise DataError(f"{path} is an ONNX model, not a weights file: evaluate it with '--backend onnx --onnx-model "
                        f"{path}' (with the weights it was exported from, or none), or give .safetensors weights")
    raise DataError(
        f"cannot read weights file {path}: unknown extension {path.suffix!r}; use a .safetensors file "
        f"(or a PyTorch {'/'.join(TORCH_SUFFIXES)} state dict), or convert foreign weights with "
        f"'strbench weights import'"
    )


def _load_safetensors(path: Path, device: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device=device) as fh:
            metadata = dict(fh.metadata() or {})
            state = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118
    except Exception as exc:
        raise DataError(
            f"cannot read safetensors file {path}: {type(exc).__name__}: {exc}; "
            f"the file is damaged or not a safetensors file: download or export it again"
        ) from exc
    return state, metadata


def _load_torch(path: Path, device: str) -> dict[str, torch.Tensor]:
    try:
        obj: Any = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:
        raise DataError(
            f"cannot read PyTorch weights {path}: {type(exc).__name__}: {str(exc).splitlines()[0]}; "
            f"only plain state dicts are accepted (loaded with weights_only=True): re-save it with "
            f"torch.save(model.state_dict(), ...) or convert it to .safetensors"
        ) from exc
    if isinstance(obj, Mapping):
        for key in _NESTED_KEYS:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise DataError(
            f"{path} does not hold a state dict (name -> tensor) at the top level or under "
            f"{' or '.join(repr(k) for k in _NESTED_KEYS)}; re-save it with torch.save(model.state_dict(), ...)"
        )
    return {str(k): v for k, v in obj.items()}


def _first(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOW])
    return shown + (f", ... ({len(names) - _SHOW} more)" if len(names) > _SHOW else "")


def load_into(
    module: torch.nn.Module, state: Mapping[str, torch.Tensor], *, source: str, strict: bool = True
) -> None:
    """Copy ``state`` into ``module``, reporting all mismatches at once.

    Shape mismatches are always an error. With ``strict=True`` missing and unexpected keys are
    errors too; with ``strict=False`` the matching keys are loaded and the others ignored (see
    :func:`compare_state` to report them). ``source`` names the weights in messages.
    """
    missing, unexpected, mismatched = compare_state(module, state)
    problems = []
    if mismatched:
        problems.append(f"{len(mismatched)} with a different shape: {_first(mismatched)}")
    if strict and missing:
        problems.append(f"{len(missing)} missing: {_first(missing)}")
    if strict and unexpected:
        problems.append(f"{len(unexpected)} unexpected: {_first(unexpected)}")
    if problems:
        raise DataError(
            f"weights {source} do not fit the model ({'; '.join(problems)}); "
            f"use weights made for this algorithm and variant"
        )
    own = module.state_dict()
    usable = {k: v for k, v in state.items() if k in own}
    module.load_state_dict(usable, strict=strict)


def compare_state(
    module: torch.nn.Module, state: Mapping[str, torch.Tensor]
) -> tuple[list[str], list[str], list[str]]:
    """Return ``(missing, unexpected, mismatched)`` key lists of ``state`` against ``module``.

    Mismatched entries read ``name: file [shape] vs model [shape]``.
    """
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f"{k}: file {list(state[k].shape)} vs model {list(own[k].shape)}"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    return missing, unexpected, mismatched
