"""Speed-accuracy scatter plot (throughput vs word accuracy) for the leaderboard page."""

from __future__ import annotations

import io
from typing import Any

from strbench.perf.summary import THROUGHPUT


def _accuracy(row: Any) -> tuple[float | None, bool]:
    """The group's weighted accuracy, else the mean over the evaluated sets (flagged as partial)."""
    if row.group_weighted is not None:
        return row.group_weighted, False
    values = [v for v in row.accuracy.values() if v is not None]
    return (sum(values) / len(values), True) if values else (None, True)


def _crowding(placed: list[tuple[float, float]], speed: float, acc: float) -> int:
    """How many labelled points sit close enough to ``(speed, acc)`` that their labels would overlap
    (within a factor 2.5 in throughput and 4 points of accuracy): the label is lifted that many lines."""
    return sum(1 for s, a in placed if abs(a - acc) < 4 and max(s, speed) / min(s, speed) < 2.5)


PREFERRED_PROTOCOL = "lower36"  # the field's usual 36-class comparison


def plot_protocol(rows: list[Any]) -> str | None:
    """The protocol the plot shows: ``lower36`` when present, else the one with most speed rows."""
    names = [row.protocol.split("@")[0] for row in rows if row.perf]
    if not names:
        return None
    return PREFERRED_PROTOCOL if PREFERRED_PROTOCOL in names else max(sorted(set(names)), key=names.count)


def speed_accuracy_png(rows: list[Any], group: str, protocol: str | None = None) -> bytes | None:
    """PNG bytes of accuracy against best-batch throughput (log scale) for one protocol (default:
    :func:`plot_protocol`), since one model has a point per protocol; ``None`` without perf data."""
    protocol = protocol or plot_protocol(rows)
    points = []
    for row in rows:
        if row.protocol.split("@")[0] != protocol:
            continue
        speed = row.perf.get(THROUGHPUT) if row.perf else None
        acc, partial = _accuracy(row)
        if speed and acc is not None:
            points.append((row, float(speed), acc, partial))
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 5), dpi=110)
    ax = fig.subplots()
    placed: list[tuple[float, float]] = []
    for row, speed, acc, partial in points:
        marker = "x" if not row.trained else ("s" if partial else "o")
        ax.scatter([speed], [acc], marker=marker, s=45)
        runtime = "native" if row.backend == "torch" else row.backend
        ax.annotate(f"{row.algorithm}/{row.variant} {runtime}/{row.precision}", (speed, acc), fontsize=7,
                    xytext=(4, 3 + 9 * _crowding(placed, speed, acc)), textcoords="offset points")
        placed.append((speed, acc))
    ax.set_xscale("log")
    ax.set_xlabel("throughput, images/s at the best batch size (forward + decode)")
    ax.set_ylabel(f"word accuracy % ({group} weighted avg, {protocol})")
    ax.grid(True, which="both", alpha=0.3)
    notes = ["o: complete group", "s: mean of the evaluated sets (group incomplete)", "x: untrained weights"]
    devices = sorted({str(row.perf.get("perf device", "?")) for row, *_ in points})
    ax.set_title(f"Speed vs accuracy ({protocol}; speed on {', '.join(devices)})\n" + "; ".join(notes), fontsize=8)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    return buf.getvalue()
