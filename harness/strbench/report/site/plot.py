"""Speed-accuracy plots for the site: one per device, with the Pareto front; untrained rows are
left out of the axes (their accuracy says nothing and would squash the useful range)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from strbench.perf.summary import THROUGHPUT
from strbench.report.leaderboard import Row
from strbench.report.plots import _accuracy, _crowding

Point = tuple[Row, float, float]  # row, images/s, accuracy


def pareto_front(points: Sequence[Point]) -> list[Point]:
    """The points no other point beats on both throughput and accuracy, fastest first."""
    front: list[Point] = []
    best_acc = float("-inf")
    for point in sorted(points, key=lambda p: (-p[1], -p[2])):
        if point[2] > best_acc:
            front.append(point)
            best_acc = point[2]
    return front


def device_of(row: Row) -> str:
    return str(row.perf.get("perf device", "?")).removesuffix(" CONTENDED")


def plot_points(rows: Sequence[Row], protocol: str) -> dict[str, tuple[list[Point], list[Row]]]:
    """Per device: the trained rows of ``protocol`` with a speed and an accuracy, and the untrained
    rows left out."""
    out: dict[str, tuple[list[Point], list[Row]]] = {}
    for row in rows:
        speed = row.perf.get(THROUGHPUT) if row.perf else None
        if row.protocol.split("@")[0] != protocol or not speed:
            continue
        points, untrained = out.setdefault(device_of(row), ([], []))
        acc, _ = _accuracy(row)
        if not row.trained:
            untrained.append(row)
        elif acc is not None:
            points.append((row, float(speed), acc))
    return out


def speed_accuracy_png(points: Sequence[Point], device: str, protocol: str, group: str, left_out: int) -> bytes:
    """PNG bytes: accuracy against best-batch throughput (log scale) with the Pareto front."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), dpi=110)
    ax = fig.subplots()
    placed: list[tuple[float, float]] = []
    for row, speed, acc in points:
        ax.scatter([speed], [acc], marker="^" if row.contended else "o", s=40, zorder=3)
        runtime = "" if (row.backend, row.precision) == ("torch", "fp32") else f" {row.backend}/{row.precision}"
        ax.annotate(f"{row.algorithm}/{row.variant}{runtime}", (speed, acc), fontsize=7,
                    xytext=(4, 3 + 9 * _crowding(placed, speed, acc)), textcoords="offset points")
        placed.append((speed, acc))
    front = pareto_front(points)
    ax.plot([p[1] for p in front], [p[2] for p in front], color="tab:red", lw=1.2, ls="--", zorder=2,
            label="Pareto front (nothing both faster and more accurate)")
    ax.set_xscale("log")
    ax.set_xlabel("throughput, images/s at the best batch size (forward + decode)")
    ax.set_ylabel(f"word accuracy % ({group} weighted avg, {protocol})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    note = f"; {left_out} untrained rows left out" if left_out else ""
    ax.set_title(f"Speed vs accuracy on {device} ({protocol}{note})", fontsize=9)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    return buf.getvalue()
