"""Write the site: ``index.html``, ``records/<id>.html``, ``records/<id>.errors.html`` (each
record's error gallery) and ``plots/*.png`` under one folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from strbench.atomic import atomic_write_bytes
from strbench.data.base import DatasetFormat
from strbench.data.suite import BenchmarkSuite
from strbench.errors import DataError
from strbench.report import leaderboard as lb
from strbench.report.plots import plot_protocol
from strbench.report.site import pages
from strbench.report.site.plot import plot_points, speed_accuracy_png
from strbench.run.record import Record
from strbench.run.records import iter_records

GALLERY_SIZE = 120  # wrong samples per record's gallery on the site (strbench errors --html shows more)


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


def error_gallery(record_path: Path, typed: Record, record: dict[str, Any], out_dir: Path, *, size: int,
                  names: Mapping[str, str], formats: Mapping[str, DatasetFormat], data_root: Path | None,
                  group: str, warnings: list[str]) -> pages.GalleryLink | None:
    """Write a record's error gallery (``size`` wrong samples from every version in turn, worst
    first, thumbnails when its images are found) next to its page; ``None`` without predictions."""
    from strbench.report.error_analysis import analysed_versions, record_samples
    from strbench.report.gallery import Totals, gallery_page, open_sources, record_perturbation, select_wrong
    from strbench.run.protocols import protocol_from_json

    if size <= 0 or typed.predictions is None:
        return None
    try:
        samples = record_samples(record_path, typed, protocol_from_json(record["protocol"]),
                                 analysed_versions(record))
    except (DataError, OSError, KeyError) as exc:
        warnings.append(f"no error gallery for {typed.id}: {exc}")
        return None
    totals = Totals.of(samples)
    shown = select_wrong(samples, size)
    sources, problems = open_sources(record, list(dict.fromkeys(s.dataset for s in shown)), formats, data_root)
    if problems:
        warnings.append(f"{typed.id}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    title = f"Wrong readings: {pages.record_title(record, group, names)}"
    try:
        perturb = record_perturbation(record)
        note = "The crops are shown as the model read them, after its perturbation." if perturb else ""
        html, _ = gallery_page(title, shown, sources, totals, back=(f"{typed.id}.html", "record"), note=note,
                               perturb=perturb)
    finally:
        for src in sources.values():
            src.close()
    href = pages.gallery_href(typed.id, prefix="")
    _write(out_dir / "records" / href, html)
    return pages.GalleryLink(href, len(shown), sum(totals.wrong.values()))


def robustness_sections(results_dir: Path, out_dir: Path) -> list[pages.RobustnessSection]:
    """Each robustness preset with runs under ``<results>/robustness``: its summary rows and a
    degradation plot per model under ``plots/``."""
    from strbench.report import robustness as rb

    folder = results_dir / "robustness"
    sections = []
    for preset in rb.PRESETS.values():
        runs = rb.find_runs(folder, preset)
        matrices = [rb.matrix_of(model, found) for model, found in sorted(runs.items(), key=lambda kv: kv[0].label)]
        if not matrices:
            continue
        plots = []
        for m in matrices:
            path = rb.plot_degradation(m, preset, out_dir / "plots" / f"robustness_{m.model.slug}_{preset.name}.png")
            plots.append((f"plots/{path.name}", m.model.label))
        header = [h for h in rb.SUMMARY_HEADER if "mCE" not in h]  # mCE needs a reference: strbench robustness
        rows = [[c for h, c in zip(rb.SUMMARY_HEADER, rb.summary_row(m, preset, None)) if "mCE" not in h]
                for m in matrices]
        sections.append(pages.RobustnessSection(preset.describe(), header, rows, plots))
    return sections


def calibration_plots(record: Record, out_dir: Path, group: str) -> list[tuple[str, str]]:
    """The record's reliability diagram and risk-coverage curve under ``records/img/`` (src relative
    to the record page, caption); none without an informative calibration section."""
    if not record.calibration:
        return []
    from strbench.report.calibration import plot_record

    paths = plot_record(record, record.calibration, group, out_dir / "records" / "img")
    captions = ("reliability diagram: accuracy per confidence bin", "risk-coverage curve")
    return [(f"img/{p.name}", caption) for p, caption in zip(paths, captions)]


def build_site(results_dir: Path, out_dir: Path, *, suites: Mapping[str, BenchmarkSuite], group: str = lb.DEFAULT_GROUP,
               include_subsets: bool = False, include_synthetic: bool = False, include_contended: bool = False,
               perf_device: str | None = None,
               extra_notes: Callable[[list[lb.Row]], list[str]] | None = None,
               algorithms: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None,
               formats: Mapping[str, DatasetFormat] | None = None, data_root: Path | None = None,
               gallery_size: int = GALLERY_SIZE, warnings: list[str] | None = None) -> lb.Board:
    """Build the site for the records under ``results_dir`` into ``out_dir``; return the board shown.
    ``extra_notes`` gives notes about the rows (e.g. which algorithms have no trained weights);
    ``algorithms`` (the host's) add training data and publishers' figures; ``names``: how each
    algorithm is written; ``formats`` and ``data_root`` find the images of the error galleries;
    problems that cost a gallery or its thumbnails are appended to ``warnings``."""
    names = dict(names or {})
    warnings = warnings if warnings is not None else []
    board = lb.collect(results_dir, group=group, include_subsets=include_subsets,
                       include_synthetic=include_synthetic, perf_device=perf_device,
                       include_contended=include_contended, include_untrained=True,
                       catalog=lb.Catalog(suites=suites, algorithms=algorithms or {}))
    found = {rec.id: (path, rec) for path, rec in iter_records(results_dir)}
    linked = dict.fromkeys([r.record_id for r in board.rows] + [r.perf_record for r in board.rows if r.perf_record])
    records = {rid: found[rid][1].to_json() for rid in linked if rid in found}  # pages render the JSON
    for rid, record in records.items():
        path, typed = found[rid]
        link = error_gallery(path, typed, record, out_dir, size=gallery_size, names=names, formats=formats or {},
                             data_root=data_root, group=group, warnings=warnings)
        _write(out_dir / "records" / f"{rid}.html",
               pages.record_page(record, _gallery(path, record, out_dir), group=group, names=names, errors=link,
                                 calibration_plots=calibration_plots(typed, out_dir, group)))
    plots = []
    protocol = plot_protocol(board.rows)
    if protocol:
        for device, (points, untrained) in sorted(plot_points(board.rows, protocol).items()):
            if not points:
                continue
            name = f"plots/speed_accuracy_{pages.slug(device)}"
            for suffix, narrow in (("", False), ("_narrow", True)):
                atomic_write_bytes(out_dir / f"{name}{suffix}.png",
                                   speed_accuracy_png(points, device, protocol, group, len(untrained), names, narrow))
            plots.append((device, f"{name}.png"))
    layout = lb.suite_layout(board.rows, suites)
    notes = [*lb.notes(board.rows, group, layout), *board.speed_notes,
             *(extra_notes(board.rows) if extra_notes else [])]
    _write(out_dir / "index.html", pages.index_page(board, layout, group, plots, notes, names,
                                                    robustness_sections(results_dir, out_dir)))
    return board
