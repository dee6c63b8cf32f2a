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
    accuracy: dict[str, float]
    evaluated: dict[str, int]
    group_weighted: float | None
    group_mean: float | None
    group_complete: bool
    perf: dict[str, Any] = field(default_factory=dict)  # column -> number ("perf device": a label)
    notes: list[str] = field(default_factory=list)
    suite: str | None = None
    cased: bool = False  # the protocol keeps case
    stale: bool = False  # a newer record of this row could not be read


def _weights_label(w: dict[str, Any]) -> str:
    name = str(w.get("name", "?"))
    sha = w.get("sha256")
    label = Path(name).name if "/" in name else name
    return f"{label} ({sha[:8]})" if sha else label


def _model_key(record: dict[str, Any]) -> tuple[str, ...]:
    """What speed depends on: algorithm, variant, weights, backend and precision."""
    rt = record.get("runtime", {})
    w = record.get("weights", {})
    return (record["algorithm"], record["variant"], str(w.get("sha256") or w.get("name")),
            rt.get("backend", "torch"), rt.get("precision", "fp32"))


def perf_device_label(perf: dict[str, Any]) -> str:
    """``cpu (AMD EPYC, 2 threads)`` or ``cuda (NVIDIA H100 ...)``: where the speed was measured."""
    system = perf.get("system", {})
    device = str(system.get("device", "?"))
    if device.startswith("cuda"):
        return f"{device} ({system.get('gpu') or '?'})"
    return f"{device} ({system.get('cpu_model', '?')}, {system.get('torch_threads', '?')} threads)"


def row_from_record(record: dict[str, Any], group: str) -> Row:
    rt = record.get("runtime", {})
    w = record.get("weights", {})
    model = _model_key(record)
    key = (*model[:3], record["protocol"]["key"], *model[3:])
    g = record.get("summary", {}).get("groups", {}).get(group, {})
    row = Row(
        key=key, record_id=record["id"], algorithm=record["algorithm"], variant=record["variant"],
        weights=_weights_label(w), trained=bool(w.get("trained", True)), protocol=record["protocol"]["key"],
        backend=rt.get("backend", "torch"), precision=rt.get("precision", "fp32"), params=record.get("params"),
        accuracy={d["name"]: d["metrics"].get("word_accuracy") for d in record["datasets"]},
        evaluated={d["name"]: d["evaluated"] for d in record["datasets"]},
        group_weighted=g.get("weighted", {}).get("word_accuracy") if g.get("complete") else None,
        group_mean=g.get("mean", {}).get("word_accuracy") if g.get("complete") else None,
        group_complete=bool(g.get("complete")),
        suite=record.get("data", {}).get("suite"), cased=record["protocol"].get("case") == "keep",
    )
    if not row.trained:
        row.notes.append("untrained weights")
    return row


def attach_perf(row: Row, record: dict[str, Any]) -> None:
    """Give ``row`` the speed columns of ``record``'s perf section and the device they were measured on."""
    from strbench.perf.summary import leaderboard_columns

    row.perf = dict(leaderboard_columns(record["perf"]))
    row.perf["perf device"] = perf_device_label(record["perf"])


def _device_matches(perf: dict[str, Any], device: str | None) -> bool:
    measured = str(perf.get("system", {}).get("device", ""))
    return device is None or measured == device or measured.split(":")[0] == device


def collect_rows(results_dir: Path, *, group: str = DEFAULT_GROUP, include_subsets: bool = False,
                 include_synthetic: bool = False, perf_device: str | None = None,
                 problems: list[tuple[Path, str]] | None = None) -> list[Row]:
    """Newest record per row key; subset and synthetic-data records are left out unless asked for.

    Speed columns: the newest perf section on ``perf_device`` (``cpu``, ``cuda``; ``None``: any)
    for the row's algorithm/variant/weights/backend/precision, from any record under
    ``results_dir`` including subset runs (perf inputs are fixed real images, independent of the
    accuracy subset). Synthetic-data perf runs count only with ``include_synthetic``. Unreadable
    records go to ``problems`` (see :func:`iter_records`); rows they may have replaced are marked stale."""
    problems = [] if problems is None else problems
    latest: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = {}
    perf_by_model: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = {}
    for _, record in iter_records(results_dir, problems):
        if record.get("kind") != "accuracy":
            continue
        data = record.get("data", {})
        perf = record.get("perf")
        if perf and (include_synthetic or not data.get("synthetic")) and _device_matches(perf, perf_device):
            model = _model_key(record)
            created = record.get("created", "")
            if model not in perf_by_model or created >= perf_by_model[model][0]:
                perf_by_model[model] = (created, record)
        if (data.get("subset_limit") and not include_subsets) or (data.get("synthetic") and not include_synthetic):
            continue
        row = row_from_record(record, group)
        created = record.get("created", "")
        if row.key not in latest or created >= latest[row.key][0]:
            latest[row.key] = (created, record)
    rows = []
    for _, rec in latest.values():
        row = row_from_record(rec, group)
        source = perf_by_model.get(_model_key(rec))
        if source is not None:
            attach_perf(row, source[1])
        rows.append(row)
    mark_stale(rows, [path for path, _ in problems])
    return sorted(rows, key=lambda r: (r.protocol, -(r.group_weighted or -1.0), r.algorithm, r.variant))


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


def table(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout()) -> tuple[list[str], list[list[str]]]:
    """Header and string cells shared by every output format."""
    versions = version_columns(rows, layout.order)
    perf_keys = sorted({k for r in rows for k in r.perf} - {"perf device"})
    if perf_keys:
        perf_keys.append("perf device")
    header = (["algorithm", "variant", "weights", "protocol", "runtime"] + versions
              + [f"{group} avg (weighted)", f"{group} avg (mean)", "params (M)"] + perf_keys)
    cells = []
    for r in rows:
        weights = r.weights + ("" if r.trained else " — UNTRAINED")
        cells.append(
            [r.algorithm + (" (STALE?)" if r.stale else ""), r.variant, weights, r.protocol, f"{'native' if r.backend == 'torch' else r.backend}/{r.precision}"]
            + [_num(r.accuracy.get(v)) for v in versions]
            + [_num(r.group_weighted), _num(r.group_mean),
               _num(r.params / 1e6, 3) if r.params else "-"]
            + [_num(r.perf.get(k)) for k in perf_keys]
        )
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
    for r in rows:
        if r.stale:
            out.append(f"{r.algorithm} / {r.variant} is marked STALE?: {'; '.join(r.notes[-1:])}; the row shows "
                       f"an older record and may not be current (see the warnings; fix or remove the file).")
    if any(not r.trained for r in rows):
        out.append("Rows marked UNTRAINED ran randomly initialised weights: they test the pipeline, not the model.")
    return out


def to_markdown(rows: list[Row], group: str = DEFAULT_GROUP, extra_notes: Iterable[str] = (),
                layout: Layout = Layout(), references: Sequence[ReferenceRow] = ()) -> str:
    header, cells = table(rows, group, layout)
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


def to_html(rows: list[Row], group: str = DEFAULT_GROUP, plot_png: bytes | None = None,
            extra_notes: Iterable[str] = (), layout: Layout = Layout(),
            references: Sequence[ReferenceRow] = ()) -> str:
    header, cells = table(rows, group, layout)
    body = tabulate(cells, headers=header, tablefmt="html", disable_numparse=True)
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
