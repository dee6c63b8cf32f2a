"""Wall clock that waits for queued device work before it is read."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


class Clock:
    """``now()`` = ``time.perf_counter()`` after ``torch.cuda.synchronize(device)`` on CUDA devices.

    Synchronising before every reading makes each interval cover the device work launched in
    it (CUDA calls return before their kernels finish). Tests inject their own ``now``.
    """

    def __init__(self, device: str = "cpu", now: Callable[[], float] | None = None) -> None:
        self.device = torch.device(device)
        self._now = now or time.perf_counter
        self.synchronizes = self.device.type == "cuda" and now is None

    def sync(self) -> None:
        if self.synchronizes:
            torch.cuda.synchronize(self.device)

    def now(self) -> float:
        self.sync()
        return self._now()

    def describe(self) -> str:
        if self.synchronizes:
            return "time.perf_counter() read after torch.cuda.synchronize() (every stage boundary)"
        return "time.perf_counter()"
