"""The training log: one JSON object per line (``train_log.jsonl``), appended across resumes."""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path
from typing import Any


class TrainLog:
    """Appends ``{"event": ..., "time": unix seconds, ...}`` lines to ``path``."""

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled  # only rank 0 of a distributed job writes

    def write(self, event: str, **fields: Any) -> None:
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"event": event, "time": round(time.time(), 3), **fields}, default=str)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def read_log(path: Path) -> list[dict[str, Any]]:
    """The events of a training log; a torn last line (an interrupted write) is ignored."""
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


class Throughput:
    """Images per second over the last ``window`` optimizer steps (from its creation until then)."""

    def __init__(self, window: int = 50) -> None:
        self.marks: deque[tuple[float, int]] = deque(maxlen=window + 1)
        self.count = 0
        self.marks.append((time.perf_counter(), 0))

    def add(self, images: int) -> None:
        self.count += images
        self.marks.append((time.perf_counter(), self.count))

    def rate(self) -> float:
        if len(self.marks) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self.marks[0], self.marks[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
