"""Speed-accuracy plots for the site: one per device, with the Pareto front and the accuracy
interval as error bars; untrained rows are never plotted (their accuracy says nothing and would
squash the useful range). No title: the page's heading names the device."""

from __future__ import annotations

import io
from collections.abc import Sequence

from strbench.perf.summary import THROUGHPUT
from strbench.report.leaderboard import Row
from strbench.report.plots import _accuracy, accuracy_error, place_labels, plain_log_axis

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


def point_label(row: Row, names: dict[str, str] | None = None) -> str:
    backend = "native" if row.backend == "torch" else row.backend
    runtime = "" if (row.backend, row.precision) == ("torch", "fp32") else f" {backend}/{row.precision}"
    return f"{(names or {}).get(row.algorithm, row.algorithm)} {row.variant}{runtime}"


def speed_accuracy_png(points: Sequence[Point], device: str, protocol: str, group: str, left_out: int,
                       names: dict[str, str] | None = None, narrow: bool = False) -> bytes:
    """PNG bytes: accuracy (with its 95% interval) against best-batch throughput (log scale, plain
    tick numbers) with the Pareto front; ``left_out`` untrained rows are counted in the footnote.
    ``narrow``: a tall figure for phone screens."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.4, 4.1), dpi=220) if narrow else Figure(figsize=(8, 4.8), dpi=120)
    ax = fig.subplots()
    labels = []
    front = pareto_front(points)
    on_front = {id(p[0]) for p in front}
    for row, speed, acc in points:
        below, above = accuracy_error(row, acc)
        ax.errorbar([speed], [acc], yerr=[[below], [above]], fmt="^" if row.contended else "o", ms=6, capsize=3,
                    lw=1, color="tab:red" if id(row) in on_front else "tab:blue", zorder=3)
        labels.append((speed, acc, point_label(row, names)))
    ax.plot([p[1] for p in front], [p[2] for p in front], color="tab:red", lw=1, ls="--", zorder=2,
            label="Pareto front" if narrow else "Pareto front: nothing both faster and more accurate")
    plain_log_axis(ax)
    ax.set_xlabel("images/s at the best batch size" + ("" if narrow else " (forward + decode; log scale)"),
                  fontsize=7.5 if narrow else None)
    ax.set_ylabel(f"word accuracy %, {group} weighted" + ("" if narrow else f" ({protocol})"),
                  fontsize=7.5 if narrow else None)
    if narrow:
        ax.tick_params(labelsize=7)
    ax.grid(True, which="major", alpha=0.3)
    ax.margins(x=0.25 if narrow else 0.18, y=0.2 if narrow else 0.12)
    ax.legend(fontsize=6.5 if narrow else 7, loc="upper right")  # above the Pareto front: usually empty
    notes = ["bars: 95% interval" + ("" if narrow else " of the accuracy")]
    if any(row.contended for row, _, _ in points):
        notes.append("triangles: measured under CPU contention")
    if left_out:
        notes.append(f"{left_out} untrained {'row' if left_out == 1 else 'rows'} not plotted")
    fig.text(0.01, 0.01, "; ".join(notes), fontsize=6.5 if narrow else 7, color="#555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    place_labels(fig, ax, labels, fontsize=7 if narrow else 7.5)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
