"""Environment metadata recorded with every result: software versions, device, CPU, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from strbench.errors import UsageError

PACKAGES = ("torch", "numpy", "pillow", "opencv-python-headless", "onnxruntime", "onnx", "pluggy", "rapidfuzz")


def resolve_device(value: str) -> str:
    """``auto`` -> ``cuda`` when CUDA is available, else ``cpu``; any other value is returned as
    given, except that asking for CUDA on a machine without it is a :class:`UsageError`."""
    if value == "cpu":
        return value
    import torch

    if value == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if value.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"device {value!r} requested but CUDA is not available on this machine; use cpu")
    return value


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


def _busy_cpu_seconds() -> tuple[float, float] | None:
    """(busy, steal) CPU seconds of the whole machine since boot from /proc/stat; ``None`` elsewhere.
    Busy counts user, nice, system, irq and softirq time on all cores."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def _own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherCpuLoad:
    """Measures how busy the machine was with work other than this process and its waited-for
    children while the ``with`` block ran: the honest contention figure for a CPU benchmark (the
    load average also counts the benchmark itself and the minutes before it).

    After the block, :meth:`as_dict` gives ``other_cpu_cores`` (mean number of cores other
    processes kept busy), ``steal_cores`` (cores taken by the hypervisor) and ``wall_s``; both
    figures are ``None`` where /proc/stat is unavailable.
    """

    def __enter__(self) -> OtherCpuLoad:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> OtherCpuLoad:
        self.load_average_before = load_average()
        self._start = (time.perf_counter(), _busy_cpu_seconds(), _own_cpu_seconds())
        return self

    def stop(self) -> None:
        wall0, busy0, own0 = self._start
        self.wall_s = time.perf_counter() - wall0
        self.load_average_after = load_average()
        busy1 = _busy_cpu_seconds()
        self.other_cpu_cores: float | None = None
        self.steal_cores: float | None = None
        if busy0 is not None and busy1 is not None and self.wall_s > 0:
            other = (busy1[0] - busy0[0]) - (_own_cpu_seconds() - own0)
            self.other_cpu_cores = max(other, 0.0) / self.wall_s
            self.steal_cores = (busy1[1] - busy0[1]) / self.wall_s

    def contended(self, threshold_cores: float = 0.25) -> bool | None:
        """Whether other work kept more than ``threshold_cores`` cores busy (or steal did)."""
        if self.other_cpu_cores is None:
            return None
        return self.other_cpu_cores + (self.steal_cores or 0.0) > threshold_cores

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 2),
            "other_cpu_cores": None if self.other_cpu_cores is None else round(self.other_cpu_cores, 3),
            "steal_cores": None if self.steal_cores is None else round(self.steal_cores, 3),
            "contended": self.contended(),
        }

    def machine_facts(self) -> dict[str, Any]:
        """What a CPU benchmark record states about the machine and its contention during the block."""
        return {
            "cpu": cpu_model(),
            "cpu_flags": cpu_flags(),
            "cpu_count": os.cpu_count(),
            "load_average_before": self.load_average_before,
            "load_average_after": self.load_average_after,
            "other_processes": self.as_dict(),
            "contended": self.contended(),
        }

    def summary(self) -> str:
        """One line for a benchmark's console: load average and the cores other processes kept busy."""
        before, after = (f"{x[0]:.2f}" if x else "n/a" for x in (self.load_average_before, self.load_average_after))
        return (f"load average {before} -> {after} on {os.cpu_count()} cores; other processes kept "
                f"{self.other_cpu_cores} cores busy (steal {self.steal_cores})")


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (``None`` where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not available on this platform
        return None


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
    import torch

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
    import torch

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
