"""Write the site: ``index.html``, ``records/<id>.html`` and ``plots/*.png`` under one folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from strbench.atomic import atomic_write_bytes
from strbench.data.suite import BenchmarkSuite
from strbench.report import leaderboard as lb
from strbench.report.plots import plot_protocol
from strbench.report.site import pages
from strbench.report.site.plot import plot_points, speed_accuracy_png
from strbench.run.records import iter_records


def _write(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _gallery(record_path: Path, record: dict[str, Any], out_dir: Path) -> list[tuple[str, str]]:
    """Error examples a record lists (``gallery``: ``{"image": path relative to the record, "label",
    "prediction"}``), copied next to its page; missing images are left out."""
    shown = []
    for i, item in enumerate(record.get("gallery") or []):
        source = record_path.parent / str(item.get("image", ""))
        if not isinstance(item, Mapping) or not source.is_file():
            continue
        name = f"{record['id']}-{i}{source.suffix}"
        atomic_write_bytes(out_dir / "records" / "img" / name, source.read_bytes())
        shown.append((f"img/{name}", f"{item.get('label', '?')} → {item.get('prediction', '?')}"))
    return shown


def build_site(results_dir: Path, out_dir: Path, *, suites: Mapping[str, BenchmarkSuite], group: str = lb.DEFAULT_GROUP,
               include_subsets: bool = False, include_synthetic: bool = False, include_contended: bool = False,
               perf_device: str | None = None,
               extra_notes: Callable[[list[lb.Row]], list[str]] | None = None) -> lb.Board:
    """Build the site for the records under ``results_dir`` into ``out_dir``; return the board shown.
    ``extra_notes`` gives notes about the rows (e.g. which algorithms have no trained weights)."""
    board = lb.collect(results_dir, group=group, include_subsets=include_subsets,
                       include_synthetic=include_synthetic, perf_device=perf_device,
                       include_contended=include_contended)
    found = {rec.id: (path, rec.to_json()) for path, rec in iter_records(results_dir)}  # pages render the JSON
    linked = dict.fromkeys([r.record_id for r in board.rows] + [r.perf_record for r in board.rows if r.perf_record])
    records = {rid: found[rid][1] for rid in linked if rid in found}
    for rid in records:
        path, record = found[rid]
        _write(out_dir / "records" / f"{rid}.html", pages.record_page(record, _gallery(path, record, out_dir)))
    plots = []
    protocol = plot_protocol(board.rows)
    if protocol:
        for device, (points, untrained) in sorted(plot_points(board.rows, protocol).items()):
            if not points:
                continue
            name = f"plots/speed_accuracy_{pages.slug(device)}.png"
            atomic_write_bytes(out_dir / name, speed_accuracy_png(points, device, protocol, group, len(untrained)))
            plots.append((device, name))
    layout = lb.suite_layout(board.rows, suites)
    notes = [*lb.notes(board.rows, group, layout), *board.speed_notes,
             *(extra_notes(board.rows) if extra_notes else [])]
    _write(out_dir / "index.html", pages.index_page(board, records, layout, group, plots, notes))
    return board
