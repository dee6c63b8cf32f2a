"""Speed-accuracy scatter plot (throughput vs word accuracy) for the leaderboard page, and the
pieces the site's per-device plots share: plain tick numbers on the log axis, the accuracy
interval as error bars, labels placed where they overlap nothing. Untrained rows are never
plotted: their accuracy says nothing about the model."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from strbench.perf.summary import THROUGHPUT
from strbench.report.leaderboard import GROUP_W


def _accuracy(row: Any) -> tuple[float | None, bool]:
    """The group's weighted accuracy, else the mean over the evaluated sets (flagged as partial)."""
    if row.group_weighted is not None:
        return row.group_weighted, False
    values = [v for v in row.accuracy.values() if v is not None]
    return (sum(values) / len(values), True) if values else (None, True)


def accuracy_error(row: Any, acc: float) -> tuple[float, float]:
    """(below, above) error-bar lengths from the row's 95% interval of the headline; (0, 0) without one."""
    interval = (getattr(row, "intervals", None) or {}).get(GROUP_W)
    if not interval or row.group_weighted is None or len(interval) != 2:
        return 0.0, 0.0
    return max(0.0, acc - float(interval[0])), max(0.0, float(interval[1]) - acc)


def _crowding(placed: list[tuple[float, float]], speed: float, acc: float) -> int:
    """How many labelled points sit close enough to ``(speed, acc)`` that their labels would overlap
    (within a factor 2.5 in throughput and 4 points of accuracy)."""
    return sum(1 for s, a in placed if abs(a - acc) < 4 and max(s, speed) / min(s, speed) < 2.5)


def plain_log_axis(ax: Any) -> None:
    """A log x axis whose ticks read ``20, 50, 100, 200`` instead of ``2×10¹``."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    def plain(value: float, _pos: int) -> str:
        return f"{value:,.0f}" if value >= 1 else f"{value:g}"

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(plain))
    ax.xaxis.set_minor_formatter(NullFormatter())


OFFSETS = tuple((dx, dy) for dy in (4, -12, 14, -22, 26, -34, 38, -46, 50, -58, 62, -70, 74, -82)
                for dx in (6, -6, 30, -30))


def place_labels(fig: Any, ax: Any, points: Sequence[tuple[float, float, str]], fontsize: float = 8) -> None:
    """Annotate each ``(x, y, text)`` at the first offset (right or left of the point, then further
    up or down) where its box overlaps no other label, no marker and stays inside the axes; when
    every offset collides, the least crowded one (leaving the axes costs most, then sitting nearer
    another point than its own). The legend counts as a marker. A thin line joins each label to its
    point."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    marker_boxes = []
    for x, y, _ in points:
        px, py = ax.transData.transform((x, y))
        marker_boxes.append((px - 4, py - 4, px + 4, py + 4))
    legend = ax.get_legend()
    if legend is not None:
        lb_ = legend.get_window_extent(renderer)
        marker_boxes.append((lb_.x0, lb_.y0, lb_.x1, lb_.y1))
    axes_box = ax.get_window_extent(renderer)
    placed: list[tuple[float, float, float, float]] = []

    centres = [ax.transData.transform((x, y)) for x, y, _ in points]

    def distance(box: tuple[float, float, float, float], point: Any) -> float:
        dx = max(box[0] - point[0], 0.0, point[0] - box[2])
        dy = max(box[1] - point[1], 0.0, point[1] - box[3])
        return float((dx * dx + dy * dy) ** 0.5)

    def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    style: dict[str, Any] = {"textcoords": "offset points", "fontsize": fontsize, "va": "bottom",
                             "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}}
    for x, y, text in sorted(points, key=lambda p: p[1], reverse=True):  # top to bottom
        best: tuple[float, tuple[int, int], tuple[float, float, float, float]] | None = None
        for dx, dy in OFFSETS:
            trial = ax.annotate(text, (x, y), xytext=(dx, dy), ha="left" if dx > 0 else "right", **style)
            bb = trial.get_window_extent(renderer)  # measured without its connecting line
            trial.remove()
            box = (bb.x0, bb.y0, bb.x1, bb.y1)
            outside = (max(0.0, axes_box.x0 - box[0]) + max(0.0, box[2] - axes_box.x1)
                       + max(0.0, axes_box.y0 - box[1]) + max(0.0, box[3] - axes_box.y1))
            cost = sum(overlap(box, o) for o in placed) + sum(overlap(box, m) for m in marker_boxes) + 1e4 * outside
            own = distance(box, ax.transData.transform((x, y)))
            cost += 5e3 * sum(1 for cx, cy in centres if distance(box, (cx, cy)) < own - 1)  # nearer another point
            if best is None or cost < best[0]:
                best = (cost, (dx, dy), box)
            if cost == 0:
                break
        if best is not None:
            (dx, dy), box = best[1], best[2]
            ax.annotate(text, (x, y), xytext=(dx, dy), ha="left" if dx > 0 else "right",
                        arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "#888", "shrinkA": 0, "shrinkB": 4},
                        **style)
            placed.append(box)


PREFERRED_PROTOCOL = "lower36"  # the field's usual 36-class comparison


def plot_protocol(rows: list[Any]) -> str | None:
    """The protocol the plot shows: ``lower36`` when present, else the one with most speed rows."""
    names = [row.protocol.split("@")[0] for row in rows if row.perf]
    if not names:
        return None
    return PREFERRED_PROTOCOL if PREFERRED_PROTOCOL in names else max(sorted(set(names)), key=names.count)


def speed_accuracy_png(rows: list[Any], group: str, protocol: str | None = None) -> bytes | None:
    """PNG bytes of accuracy against best-batch throughput (log scale) for one protocol (default:
    :func:`plot_protocol`), since one model has a point per protocol; ``None`` without a trained row
    with perf data. Untrained rows are left out (counted in the footnote)."""
    protocol = protocol or plot_protocol(rows)
    points = []
    untrained = 0
    for row in rows:
        if row.protocol.split("@")[0] != protocol:
            continue
        speed = row.perf.get(THROUGHPUT) if row.perf else None
        acc, partial = _accuracy(row)
        if not speed or acc is None:
            continue
        if not row.trained:
            untrained += 1
            continue
        points.append((row, float(speed), acc, partial))
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 5), dpi=110)
    ax = fig.subplots()
    labels = []
    for row, speed, acc, partial in points:
        below, above = accuracy_error(row, acc)
        ax.errorbar([speed], [acc], yerr=[[below], [above]], fmt="s" if partial else "o", ms=6, capsize=3, lw=1)
        backend = "native" if row.backend == "torch" else row.backend
        runtime = "" if (row.backend, row.precision) == ("torch", "fp32") else f" {backend}/{row.precision}"
        labels.append((speed, acc, f"{row.algorithm} {row.variant}{runtime}"))
    plain_log_axis(ax)
    ax.set_xlabel("throughput, images/s at the best batch size (forward + decode, log scale)")
    ax.set_ylabel(f"word accuracy % ({group} weighted avg, {protocol})")
    ax.grid(True, which="major", alpha=0.3)
    ax.margins(x=0.15, y=0.12)
    devices = sorted({str(row.perf.get("perf device", "?")) for row, *_ in points})
    notes = [f"speed on {', '.join(devices)}", "bars: 95% interval", "squares: mean of the evaluated sets"]
    if untrained:
        notes.append(f"{untrained} untrained rows left out")
    fig.text(0.01, 0.01, "; ".join(notes), fontsize=7, color="#555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    place_labels(fig, ax, labels, fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
