"""Leaderboards from result records: markdown (tabulate), HTML, CSV and a terminal table (rich).

One row per algorithm / variant / weights / protocol / backend / precision (the newest record
wins), a column per benchmark version, the sample-weighted and arithmetic averages of a suite
group, parameters and speed columns. Speed does not depend on the accuracy subset or the
protocol, so a row's speed columns come from the newest perf measurement of the same algorithm,
variant, weights, backend and precision on the chosen device, whichever record holds it (usually a
``strbench bench`` run on a subset).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tabulate import tabulate

from strbench.data.suite import BenchmarkSuite
from strbench.report.terminal import dataset_label
from strbench.run.record import PerfSection, Record, WeightsIdentity
from strbench.run.records import iter_records

DEFAULT_GROUP = "benchmark"


@dataclass
class Row:
    """One leaderboard row."""

    key: tuple[str, ...]
    record_id: str
    algorithm: str
    variant: str
    weights: str
    trained: bool
    protocol: str
    backend: str
    precision: str
    params: int | None
    accuracy: dict[str, float | None]
    evaluated: dict[str, int]
    group_weighted: float | None
    group_mean: float | None
    group_complete: bool
    perf: dict[str, Any] = field(default_factory=dict)  # column -> number ("perf device": a label)
    notes: list[str] = field(default_factory=list)
    suite: str | None = None
    cased: bool = False  # the protocol keeps case
    path: Path | None = None
    intervals: dict[str, list[float]] = field(default_factory=dict)  # column -> 95% interval
    runs: int = 1  # records aggregated into this row (--aggregate)
    spread: dict[str, float | None] = field(default_factory=dict)  # column -> std over the runs
    similar_to_above: bool = False  # not significantly different from the row above (--significance)
    subset_limit: int | None = None  # a --limit run: the first N samples of each set
    perf_record: str | None = None  # the record the speed columns come from
    contended: bool = False  # that perf measurement ran while other processes held CPU cores
    stale: bool = False  # a newer record of this row could not be read


GROUP_W, GROUP_M = "group weighted", "group mean"


def record_intervals(record: Record, group: str) -> dict[str, list[float]]:
    """Word-accuracy intervals of a record by leaderboard column (versions, the group's averages)."""
    iv = record.intervals or {}
    out = {name: v["word_accuracy"] for name, v in iv.get("datasets", {}).items() if "word_accuracy" in v}
    g = iv.get("groups", {}).get(group, {})
    for kind, col in (("weighted", GROUP_W), ("mean", GROUP_M)):
        if "word_accuracy" in g.get(kind, {}):
            out[col] = g[kind]["word_accuracy"]
    return out


def _weights_label(w: WeightsIdentity) -> str:
    label = Path(w.name).name if "/" in w.name else w.name
    return f"{label} ({w.sha256[:8]})" if w.sha256 else label


def perf_device_label(perf: PerfSection) -> str:
    """``cpu (AMD EPYC, 2 threads)`` or ``cuda (NVIDIA H100 ...)``: where the speed was measured."""
    system = perf.system
    device = str(system.get("device", "?"))
    if device.startswith("cuda"):
        return f"{device} ({system.get('gpu') or '?'})"
    return f"{device} ({system.get('cpu_model', '?')}, {system.get('torch_threads', '?')} threads)"


def row_from_record(record: Record, group: str) -> Row:
    model = record.model_key
    key = (*model[:3], record.protocol.key, *model[3:])
    g = record.summary.group(group)
    row = Row(
        key=key, record_id=record.id, algorithm=record.algorithm, variant=record.variant,
        weights=_weights_label(record.weights), trained=record.weights.trained, protocol=record.protocol.key,
        backend=record.runtime.backend, precision=record.runtime.precision, params=record.params,
        accuracy={dataset_label(d): d.metrics.get("word_accuracy") for d in record.datasets},
        evaluated={dataset_label(d): d.evaluated for d in record.datasets},
        group_weighted=g.metric("word_accuracy"), group_mean=g.metric("word_accuracy", weighted=False),
        group_complete=bool(g.complete), suite=record.data.suite, cased=record.protocol.case == "keep",
        intervals=record_intervals(record, group),
        subset_limit=record.data.subset_limit or None,
    )
    if not row.trained:
        row.notes.append("untrained weights")
    if row.subset_limit:
        row.notes.append(f"subset: first {row.subset_limit} samples per set")
    if any(d.status == "count mismatch" for d in record.datasets):
        row.notes.append("wrong sample count")
    return row


def attach_perf(row: Row, perf: PerfSection, record_id: str) -> None:
    """Give ``row`` the speed columns of a perf section (from record ``record_id``) and the device
    they were measured on."""
    from strbench.perf.summary import leaderboard_columns

    row.perf = dict(leaderboard_columns(perf.to_json()))
    row.perf_record = record_id
    row.contended = perf_contention(perf) is not None
    row.perf["perf device"] = perf_device_label(perf) + (" CONTENDED" if row.contended else "")


def perf_contention(perf: PerfSection) -> float | None:
    """The CPU cores other processes kept busy during a measurement flagged ``contended``, else ``None``."""
    other = perf.system.get("other_processes") or {}
    if not other.get("contended"):
        return None
    return float(other.get("other_cpu_cores") or 0.0) + float(other.get("steal_cores") or 0.0)


def _device_matches(perf: PerfSection, device: str | None) -> bool:
    measured = perf.device
    return device is None or measured == device or measured.split(":")[0] == device


def aggregate_row(row: Row, others: list[Row]) -> Row:
    """``row`` (the newest run) with every accuracy the mean over ``others`` (all runs) and its std."""
    import statistics

    def stats(values: list[float | None]) -> tuple[float | None, float | None]:
        vals = [v for v in values if v is not None]
        if not vals:
            return None, None
        return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)

    row.runs = len(others)
    for name in row.accuracy:
        mean, row.spread[name] = stats([o.accuracy.get(name) for o in others])
        if mean is not None:
            row.accuracy[name] = mean
    row.group_weighted, row.spread[GROUP_W] = stats([o.group_weighted for o in others])
    row.group_mean, row.spread[GROUP_M] = stats([o.group_mean for o in others])
    return row


@dataclass(frozen=True)
class Exclusion:
    """A record that is not on the board, and why."""

    record: str
    reason: str


@dataclass
class Board:
    """The rows of a leaderboard and an account of what was read to build them."""

    rows: list[Row]
    found: int = 0  # strbench records read
    not_records: int = 0  # other .json files under the results folder
    excluded: list[Exclusion] = field(default_factory=list)
    speed_notes: list[str] = field(default_factory=list)  # perf measurements left out or shown marked
    problems: list[tuple[Path, str]] = field(default_factory=list)  # records that could not be read


def collect(results_dir: Path, *, group: str = DEFAULT_GROUP, include_subsets: bool = False,
            include_synthetic: bool = False, perf_device: str | None = None, protocol: str | None = None,
            include_contended: bool = False, aggregate: bool = False, include_training: bool = False) -> Board:
    """Newest record per row key; subset and synthetic-data records are left out unless asked for,
    and every record left out is listed with its reason.

    Speed columns: the newest perf section on ``perf_device`` (``cpu``, ``cuda``; ``None``: any)
    for the row's algorithm/variant/weights/backend/precision, from any record under
    ``results_dir`` including subset runs (perf inputs are fixed real images, independent of the
    accuracy subset). Synthetic-data perf runs count only with ``include_synthetic``; a measurement
    flagged ``contended`` only with ``include_contended`` (the row is then marked), otherwise it is
    left out with a note naming its record. Unreadable records go to ``board.problems``; rows they
    may have replaced are marked stale. ``aggregate``: every run of a row key counts (mean, std
    and run count) instead of the newest."""
    board = Board(rows=[])
    latest: dict[tuple[str, ...], tuple[Record, Path]] = {}
    runs: dict[tuple[str, ...], list[Row]] = {}
    perf_by_model: dict[tuple[str, ...], tuple[str, PerfSection, str]] = {}
    for path, record in iter_records(results_dir, board.problems):
        board.found += 1
        if record.kind != "accuracy":
            board.excluded.append(Exclusion(record.id, f"kind {record.kind!r} is not an accuracy run"))
            continue
        data, perf = record.data, record.perf
        if perf and (include_synthetic or not data.synthetic) and _device_matches(perf, perf_device):
            cores = perf_contention(perf)
            if cores is not None and not include_contended:
                board.speed_notes.append(
                    f"speed of {record.id} left out: measured while other processes kept {cores:.2f} CPU cores "
                    f"busy (contended); --include-contended shows it, marked")
            elif record.model_key not in perf_by_model or record.created >= perf_by_model[record.model_key][0]:
                perf_by_model[record.model_key] = (record.created, perf, record.id)
        reason = _exclusion_reason(record, include_subsets, include_synthetic, protocol)
        if not reason and not include_training and _under_training(path, results_dir):
            reason = "evaluates a training snapshot (a curve point under training/); --include-training shows it"
        if reason:
            board.excluded.append(Exclusion(record.id, reason))
            continue
        row = row_from_record(record, group)
        runs.setdefault(row.key, []).append(row)
        if row.key in latest:
            older, newer = sorted((latest[row.key], (record, path)), key=lambda item: item[0].created)
            board.excluded.append(Exclusion(older[0].id, f"superseded by the newer {newer[0].id}"
                                            + (" (aggregated with it)" if aggregate else "")))
            latest[row.key] = newer
        else:
            latest[row.key] = (record, path)
    board.not_records = sum(1 for _ in results_dir.rglob("*.json")) - board.found if results_dir.is_dir() else 0
    for rec, path in latest.values():
        row = row_from_record(rec, group)
        row.path = path
        if aggregate:
            aggregate_row(row, runs[row.key])
        source = perf_by_model.get(rec.model_key)
        if source is not None:
            attach_perf(row, source[1], source[2])
            if row.contended:
                board.speed_notes.append(f"speed of {row.record_id} comes from {row.perf_record}, measured under "
                                         f"contention (marked *): not comparable with quiet measurements")
        board.rows.append(row)
    mark_stale(board.rows, [path for path, _ in board.problems])
    board.rows.sort(key=lambda r: (r.protocol, -(r.group_weighted or -1.0), r.algorithm, r.variant))
    return board


def _under_training(path: Path, results_dir: Path) -> bool:
    """Records below ``<results>/training/`` evaluate weights snapshots of a training curve."""
    try:
        return path.relative_to(results_dir).parts[0] == "training"
    except (ValueError, IndexError):
        return False


def _exclusion_reason(record: Record, include_subsets: bool, include_synthetic: bool,
                      protocol: str | None) -> str | None:
    data = record.data
    if data.subset_limit and not include_subsets:
        return f"subset run (first {data.subset_limit} samples per set); --include-subsets shows it"
    if data.synthetic and not include_synthetic:
        return "ran on the embedded synthetic default set; --include-synthetic shows it"
    key = record.protocol.key
    if protocol and key.split("@")[0] != protocol:
        return f"protocol {key}, not the --protocol {protocol} asked for"
    return None


def collect_rows(results_dir: Path, *, group: str = DEFAULT_GROUP, include_subsets: bool = False,
                 include_synthetic: bool = False, perf_device: str | None = None,
                 include_contended: bool = False, aggregate: bool = False) -> list[Row]:
    """The rows of :func:`collect`."""
    return collect(results_dir, group=group, include_subsets=include_subsets, include_synthetic=include_synthetic,
                   perf_device=perf_device, include_contended=include_contended, aggregate=aggregate).rows


def _id_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)


def mark_stale(rows: Iterable[Row], unreadable: Sequence[Path]) -> None:
    """Mark each row whose algorithm and variant an unreadable record newer than the row's own
    record names (record files are named ``<timestamp>_<algorithm>_<variant>_<protocol>...``)."""
    for row in rows:
        part = f"_{_id_part(row.algorithm)}_{_id_part(row.variant)}_"
        newer = [p for p in unreadable if part in f"{p.stem}_" and p.stem > row.record_id]
        if newer:
            row.stale = True
            row.notes.append(f"a newer record could not be read: {', '.join(p.name for p in newer)}")


@dataclass(frozen=True)
class Layout:
    """What the board takes from the benchmark suites of its records: the column order of the
    dataset versions and the suites' notes about them."""

    order: tuple[str, ...] = ()
    case_notes: tuple[tuple[str, str], ...] = ()  # (version, note) for case-sensitive rows


def suite_layout(rows: Iterable[Row], suites: Mapping[str, BenchmarkSuite]) -> Layout:
    """The :class:`Layout` of ``rows`` from the suites their records ran (in order of appearance)."""
    versions = [v for name in dict.fromkeys(r.suite for r in rows) if name is not None and name in suites
                for v in suites[name].versions]
    return Layout(order=tuple(dict.fromkeys(v.name for v in versions)),
                  case_notes=tuple(dict.fromkeys((v.name, v.case_note) for v in versions if v.case_note)))


def version_columns(rows: Iterable[Row], order: Sequence[str] = ()) -> list[str]:
    """Dataset versions shown: in ``order`` (the suite's), then any others alphabetically."""
    present = {name for r in rows for name in r.accuracy}
    ordered = [v for v in order if v in present]
    return ordered + sorted(present - set(ordered))


@dataclass(frozen=True)
class ReferenceRow:
    """A figure a weights publisher reports, shown apart from the measured rows: never measured here."""

    algorithm: str
    variant: str
    weights: str
    reported_accuracy: str
    reported_by: str
    source: str


REFERENCE_TITLE = "Reported by the weights' publishers, not measured here"
REFERENCE_HEADER = ["algorithm", "variant", "published weights", "reported accuracy", "reported by", "source"]


def reference_rows(algorithms: Mapping[str, Any]) -> list[ReferenceRow]:
    """One row per published release (``Algorithm.weight_releases``) that states an accuracy."""
    rows = []
    for name, algo in sorted(algorithms.items()):
        for alias, per_variant in sorted(algo.weight_releases.items()):
            for variant, release in sorted(per_variant.items()):
                if release.reported_accuracy:
                    rows.append(ReferenceRow(name, variant, f"{release.filename} (--weights {alias})",
                                             release.reported_accuracy, release.reported_by or "its publisher",
                                             release.url))
    return rows


def reference_markdown(rows: Sequence[ReferenceRow]) -> str:
    if not rows:
        return ""
    cells = [[r.algorithm, r.variant, r.weights, r.reported_accuracy, r.reported_by, r.source] for r in rows]
    return (f"\n**{REFERENCE_TITLE}** (kept apart from the measured rows above; strbench has not run these "
            f"weights unless a measured row names them):\n\n"
            + tabulate(cells, headers=REFERENCE_HEADER, tablefmt="pipe", disable_numparse=True) + "\n")


def reference_html(rows: Sequence[ReferenceRow]) -> str:
    if not rows:
        return ""
    cells = [[r.algorithm, r.variant, r.weights, r.reported_accuracy, r.reported_by, r.source] for r in rows]
    return (f"<h2>{html.escape(REFERENCE_TITLE)}</h2>"
            + tabulate(cells, headers=REFERENCE_HEADER, tablefmt="html", disable_numparse=True))


def _num(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _interval(iv: list[float] | None) -> str:
    return f"[{iv[0]:.2f}, {iv[1]:.2f}]" if iv else ""


def _acc_cell(r: Row, col: str, value: float | None, ci: bool) -> str:
    text = _num(value)
    if value is None:
        return text
    if r.runs > 1 and col in r.spread and r.spread[col] is not None:
        text += f" ± {r.spread[col]:.2f}"
    if ci and r.runs == 1 and col in r.intervals:
        text += f" {_interval(r.intervals[col])}"
    if col == GROUP_W and r.similar_to_above:
        text += " ≈"
    return text


def _columns(rows: list[Row], group: str, layout: Layout) -> tuple[list[str], list[str], list[str]]:
    versions = version_columns(rows, layout.order)
    perf_keys = sorted({k for r in rows for k in r.perf} - {"perf device"})
    if perf_keys:
        perf_keys.append("perf device")
    header = (["algorithm", "variant", "weights", "protocol", "runtime"] + versions
              + [f"{group} avg (weighted)", f"{group} avg (mean)"] + (["runs"] if _aggregated(rows) else [])
              + ["params (M)"] + perf_keys)
    return versions, perf_keys, header


def _aggregated(rows: list[Row]) -> bool:
    return any(r.runs > 1 for r in rows)


def table(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout(),
          ci: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and string cells shared by every output format (``ci``: intervals in the cells)."""
    versions, perf_keys, header = _columns(rows, group, layout)
    cells = []
    for r in rows:
        weights = r.weights + ("" if r.trained else " — UNTRAINED") + subset_mark(r)
        cells.append(
            [r.algorithm + (" (STALE?)" if r.stale else ""), r.variant, weights, r.protocol, f"{'native' if r.backend == 'torch' else r.backend}/{r.precision}"]
            + [_acc_cell(r, v, r.accuracy.get(v), ci) for v in versions]
            + [_acc_cell(r, GROUP_W, r.group_weighted, ci), _acc_cell(r, GROUP_M, r.group_mean, ci)]
            + ([str(r.runs)] if _aggregated(rows) else [])
            + [_num(r.params / 1e6, 3) if r.params else "-"]
            + [speed_cell(r, k) for k in perf_keys]
        )
    return header, cells


def titles(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout()) -> list[list[str]]:
    """Hover text (95% intervals) for each cell of :func:`table`; empty where there is none."""
    versions, _, header = _columns(rows, group, layout)
    cols = {f"{group} avg (weighted)": GROUP_W, f"{group} avg (mean)": GROUP_M, **{v: v for v in versions}}
    return [[f"95% CI {_interval(r.intervals[cols[h]])}" if h in cols and cols[h] in r.intervals else ""
             for h in header] for r in rows]


def subset_mark(row: Row) -> str:
    """`` [SUBSET 100]`` for a row from a --limit run, else nothing."""
    return f" [SUBSET {row.subset_limit}]" if row.subset_limit else ""


def speed_cell(row: Row, key: str, digits: int = 2) -> str:
    """A speed figure, with ``*`` when it was measured under contention."""
    value = _num(row.perf.get(key), digits)
    return f"{value}*" if row.contended and value != "-" and key != "perf device" else value


COMPACT_SPEED = "img/s"


def compact_table(rows: list[Row], group: str = DEFAULT_GROUP, ci: bool = False) -> tuple[list[str], list[list[str]]]:
    """The terminal's default view: who, which weights, the protocol, the group averages and the best
    throughput (``--wide`` shows every version and every speed figure)."""
    from strbench.perf.summary import THROUGHPUT

    header = ["algorithm", "variant", "weights", "protocol", f"{group}\nweighted", "\nmean", COMPACT_SPEED]
    cells = []
    for r in rows:
        name = r.weights.rsplit(" (", 1)[0] if r.weights.endswith(")") else r.weights
        weights = (name if r.trained else "UNTRAINED") + subset_mark(r)
        runtime = "" if (r.backend, r.precision) == ("torch", "fp32") else f" {r.backend}/{r.precision}"
        cells.append([r.algorithm + (" (STALE?)" if r.stale else ""), r.variant + runtime, weights, r.protocol, _acc_cell(r, GROUP_W, r.group_weighted, ci),
                      _acc_cell(r, GROUP_M, r.group_mean, ci), speed_cell(r, THROUGHPUT, digits=1)])
    return header, cells


def notes(rows: list[Row], group: str, layout: Layout = Layout()) -> list[str]:
    out = [
        "Word accuracy (%) per benchmark version after protocol normalisation; each row is the newest "
        "record for its algorithm/variant/weights/protocol/backend.",
        f"'{group} avg (weighted)' is sample-weighted, '{group} avg (mean)' the arithmetic mean over the "
        f"group's six versions; '-' when a version of the group is missing.",
        "runtime 'native' = the plugin's own inference path (whatever the plugin runs: PyTorch, ONNX Runtime, "
        "a native library); 'onnx' = strbench's export evaluated through ONNX Runtime.",
    ]
    cased = sorted({r.protocol.split("@")[0] for r in rows if r.cased})
    shown = set(version_columns(rows))
    case_notes = [f"{name}: {note}" for name, note in layout.case_notes if name in shown]
    if cased and case_notes:
        out.append(f"{', '.join(cased)} rows: " + "; ".join(case_notes) + ".")
    if any(r.perf for r in rows):
        out.append("Speed columns (forward + decode, fp32 unless the runtime column says otherwise) come from "
                   "the newest 'strbench bench' measurement of the same model on the device shown, on fixed "
                   "real images (protocol: docs/perf-protocol.md); details per record in results/perf/perf.md.")
    if any(r.intervals for r in rows):
        out.append("95% intervals (shown with --ci, on hover in HTML): exact Clopper-Pearson per version; the "
                   "group averages' by a seeded bootstrap over samples, per version (see the record's 'intervals').")
    if _aggregated(rows):
        out.append("Rows with runs > 1 aggregate several records of the same model and protocol: mean ± sample "
                   "standard deviation over the runs.")
    if any(r.similar_to_above for r in rows):
        out.append(f"'≈': the row's {group} weighted average is not significantly different from the row above's "
                   f"(paired bootstrap on the samples both scored, p >= 0.05; 'strbench compare' for details).")
    if any(r.subset_limit for r in rows):
        out.append("Rows marked SUBSET ran only the first N samples of each set (--limit): not comparable with full runs.")
    if any(r.contended for r in rows):
        out.append("Speed figures marked * were measured while other processes held CPU cores (contended).")
    if any("wrong sample count" in r.notes for r in rows):
        out.append("A column 'NAME (N of M!)' holds scores of a version found with N samples where its published "
                   "split has M (a wrong split version or damaged data): not comparable with the NAME column.")
    if any("(custom " in v for r in rows for v in r.accuracy):
        out.append("Columns 'NAME (custom <hash>)' are sets given by path (run --dataset), identified by the first "
                   "characters of their content hash; they are no benchmark version.")
    for r in rows:
        if r.stale:
            out.append(f"{r.algorithm} / {r.variant} is marked STALE?: {'; '.join(r.notes[-1:])}; the row shows "
                       f"an older record and may not be current (see the warnings; fix or remove the file).")
    if any(not r.trained for r in rows):
        out.append("Rows marked UNTRAINED ran randomly initialised weights: they test the pipeline, not the model.")
    return out


def to_markdown(rows: list[Row], group: str = DEFAULT_GROUP, extra_notes: Iterable[str] = (),
                layout: Layout = Layout(), references: Sequence[ReferenceRow] = (), ci: bool = False) -> str:
    header, cells = table(rows, group, layout, ci)
    body = tabulate(cells, headers=header, tablefmt="pipe", disable_numparse=True)
    return (body + "\n\n" + "\n".join(f"- {n}" for n in [*notes(rows, group, layout), *extra_notes]) + "\n"
            + reference_markdown(references))


def to_csv(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout()) -> str:
    header, cells = table(rows, group, layout)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(cells)
    return buf.getvalue()


def html_table(header: list[str], cells: list[list[str]], hover: list[list[str]]) -> str:
    """A plain HTML table whose cells carry ``title`` hover text where ``hover`` has one."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td title="{html.escape(t)}">{html.escape(c)}</td>' if t
                                    else f"<td>{html.escape(c)}</td>" for c, t in zip(row, tips)) + "</tr>"
                   for row, tips in zip(cells, hover))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(rows: list[Row], group: str = DEFAULT_GROUP, plot_png: bytes | None = None,
            extra_notes: Iterable[str] = (), layout: Layout = Layout(),
            references: Sequence[ReferenceRow] = ()) -> str:
    header, cells = table(rows, group, layout)
    body = html_table(header, cells, titles(rows, group, layout))
    items = "".join(f"<li>{html.escape(n)}</li>" for n in [*notes(rows, group, layout), *extra_notes])
    img = ""
    if plot_png:
        img = f'<h2>Speed vs accuracy</h2><img alt="speed-accuracy plot" src="data:image/png;base64,' \
              f'{base64.b64encode(plot_png).decode("ascii")}">'
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>strbench leaderboard</title>"
            f"<style>{style}</style></head><body><h1>strbench leaderboard</h1>{body}<ul>{items}</ul>"
            f"{reference_html(references)}{img}"
            f"</body></html>\n")
