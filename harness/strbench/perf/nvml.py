"""GPU facts, process memory, power and energy through NVML (nvidia-ml-py, ``import pynvml``).

Energy is the delta of ``nvmlDeviceGetTotalEnergyConsumption`` (mJ since driver load, Volta and
newer) where the device supports it, else power samples (``nvmlDeviceGetPowerUsage``, mW) taken
in a background thread and integrated over time. Either way it is the whole board's energy,
not this process's alone. Power on Ampere (except GA100) and newer is a 1 s average.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import torch


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Nvml:
    """An NVML handle for the CUDA device ``device``; ``available`` is False (with ``error``) without one."""

    def __init__(self, device: str) -> None:
        self.available, self.error, self.handle = False, None, None
        try:
            import pynvml

            self.nv = pynvml
            pynvml.nvmlInit()
            self.handle = self._handle(torch.device(device))
            self.available = True
        except Exception as exc:  # no driver, no permission, no GPU: say why
            self.error = f"{type(exc).__name__}: {exc}"

    def _handle(self, device: torch.device) -> Any:
        index = device.index if device.index is not None else torch.cuda.current_device()
        uuid = getattr(torch.cuda.get_device_properties(index), "uuid", None)
        if uuid is not None:  # CUDA and NVML number devices differently under CUDA_VISIBLE_DEVICES
            try:
                return self.nv.nvmlDeviceGetHandleByUUID(f"GPU-{uuid}")
            except Exception:  # unknown UUID format or NVML error: fall back to the index
                pass
        return self.nv.nvmlDeviceGetHandleByIndex(index)

    def close(self) -> None:
        if self.available:
            try:
                self.nv.nvmlShutdown()
            except Exception:
                pass
            self.available = False

    def _try(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            return None

    def facts(self) -> dict[str, Any]:
        if not self.available:
            return {"available": False, "error": self.error}
        nv, h = self.nv, self.handle
        limit = self._try(nv.nvmlDeviceGetEnforcedPowerLimit, h)
        return {"available": True, "name": _text(self._try(nv.nvmlDeviceGetName, h)),
                "driver": _text(self._try(nv.nvmlSystemGetDriverVersion)),
                "power_limit_w": limit / 1000 if limit is not None else None,
                "energy_counter": self.energy_mj() is not None}

    def process_memory_mb(self) -> float | None:
        """Device memory NVML attributes to this process (context + allocator pool + libraries)."""
        if not self.available:
            return None
        procs = self._try(self.nv.nvmlDeviceGetComputeRunningProcesses, self.handle) or []
        for p in procs:
            if p.pid == os.getpid() and p.usedGpuMemory is not None:
                return round(p.usedGpuMemory / 2**20, 2)
        return None  # e.g. a container whose PIDs NVML cannot see

    def energy_mj(self) -> int | None:
        if not self.available:
            return None
        return self._try(self.nv.nvmlDeviceGetTotalEnergyConsumption, self.handle)

    def power_mw(self) -> int | None:
        if not self.available:
            return None
        return self._try(self.nv.nvmlDeviceGetPowerUsage, self.handle)


class EnergyMeter:
    """Energy of the stretch between ``start()`` and ``stop(images)``, with the method stated."""

    def __init__(self, nvml: Nvml, interval_s: float = 0.05) -> None:
        self.nvml, self.interval_s = nvml, interval_s
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._e0 = self.nvml.energy_mj()
        if self._e0 is None and self.nvml.power_mw() is not None:
            self._stop.clear()
            self._samples = []
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            mw = self.nvml.power_mw()
            if mw is not None:
                self._samples.append(mw / 1000.0)
            self._stop.wait(self.interval_s)

    def stop(self, images: int) -> dict[str, Any]:
        seconds = time.perf_counter() - self._t0
        if not self.nvml.available:
            return {"method": "not measured", "reason": f"NVML unavailable ({self.nvml.error})"}
        if self._e0 is not None:
            e1 = self.nvml.energy_mj()
            if e1 is not None:
                joules = (e1 - self._e0) / 1000.0
                return self._result(joules, seconds, images, "energy counter delta (nvmlDeviceGetTotalEnergyConsumption)")
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._samples:
                watts = sum(self._samples) / len(self._samples)
                return self._result(watts * seconds, seconds, images,
                                    f"sampled power x time ({len(self._samples)} nvmlDeviceGetPowerUsage samples, "
                                    f"every {self.interval_s} s)")
        return {"method": "not measured", "reason": "device reports neither an energy counter nor power"}

    @staticmethod
    def _result(joules: float, seconds: float, images: int, method: str) -> dict[str, Any]:
        return {"method": method, "scope": "whole GPU board", "seconds": round(seconds, 4),
                "joules": round(joules, 3), "mean_power_w": round(joules / seconds, 2) if seconds > 0 else None,
                "joules_per_1000_images": round(1000.0 * joules / images, 3) if images else None}
