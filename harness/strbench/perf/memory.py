"""Peak memory of a measured stretch: CUDA allocator peaks on GPU, process peak RSS on CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MB = 1024 * 1024


def _status_kb(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class PeakMemory:
    """``reset()`` before a stretch of work, ``read()`` after it.

    CUDA: ``torch.cuda.reset_peak_memory_stats`` then ``max_memory_allocated`` (tensors) and
    ``max_memory_reserved`` (caching allocator pool). CPU: the process's peak resident set
    (``VmHWM``), reset through ``/proc/self/clear_refs`` where Linux allows it; it covers the
    whole process (Python, libraries, the images held for the measurement).
    """

    def __init__(self, device: str) -> None:
        import torch

        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        self.rss_reset = False

    def reset(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.rss_reset = True
        except OSError:
            self.rss_reset = False

    def read(self) -> dict[str, Any]:
        if self.cuda:
            import torch

            torch.cuda.synchronize(self.device)
            return {"kind": "cuda allocator",
                    "max_allocated_mb": round(torch.cuda.max_memory_allocated(self.device) / MB, 2),
                    "max_reserved_mb": round(torch.cuda.max_memory_reserved(self.device) / MB, 2)}
        peak = _status_kb("VmHWM")
        return {"kind": "process peak RSS" + ("" if self.rss_reset else " since process start (reset not permitted)"),
                "peak_rss_mb": round(peak / 1024, 2) if peak is not None else None}


def headline_mb(memory: dict[str, Any]) -> float | None:
    """The one figure shown in tables: allocated peak on GPU, peak RSS on CPU."""
    return memory.get("max_allocated_mb", memory.get("peak_rss_mb"))
