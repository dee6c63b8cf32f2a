"""Environment metadata recorded with every result: software versions, device, CPU, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

PACKAGES = ("torch", "numpy", "pillow", "opencv-python-headless", "onnxruntime", "onnx", "pluggy", "rapidfuzz")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """The CPU's vector-instruction flags (avx*, fma*) from /proc/cpuinfo; empty where unavailable."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return sorted(f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "fma")))
    except OSError:
        pass
    return []


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@cache
def git_state(start: str | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the strbench checkout (``None`` outside a git checkout)."""
    cwd = start or str(Path(__file__).resolve().parent)
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def gpu_info(device_index: int = 0) -> dict[str, Any] | None:
    """CUDA device facts from torch and NVML (``None`` without CUDA)."""
    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(device_index)
    info: dict[str, Any] = {
        "name": props.name,
        "total_memory_bytes": props.total_memory,
        "capability": f"{props.major}.{props.minor}",
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
    }
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            info["driver"] = pynvml.nvmlSystemGetDriverVersion()
            handle = pynvml.nvmlDeviceGetHandleByIndex(device_index)
            info["nvml_name"] = pynvml.nvmlDeviceGetName(handle)
        finally:
            pynvml.nvmlShutdown()
    except Exception as exc:  # NVML missing or not permitted: record why
        info["driver"] = None
        info["nvml_error"] = f"{type(exc).__name__}: {exc}"
    return info


def collect(device: str = "cpu") -> dict[str, Any]:
    """Everything needed to interpret a speed or accuracy figure later."""
    from strbench import __version__

    return {
        "strbench": __version__,
        "git": git_state(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "device": device,
        "cpu": {"model": cpu_model(), "vector_flags": cpu_flags(), "logical_cores": os.cpu_count(), "torch_threads": torch.get_num_threads()},
        "gpu": gpu_info() if device.startswith("cuda") else None,
        "torch_cuda_available": torch.cuda.is_available(),
    }
