"""Leaderboards from result records: markdown (tabulate), HTML, CSV and a terminal table (rich).

One row per algorithm / variant / weights / protocol / backend / precision: the most complete
record of that model (every version of the group evaluated), the newest among equally complete
ones, so a quick one-version run never replaces a full one. Rows are ranked by the group's
sample-weighted average; untrained rows are left off unless asked for. Columns: the group's
averages (with the regular/irregular split), a column per benchmark version, parameters, the
training data, the publisher's reported figure beside the measured one, and speed. Speed does not
depend on the accuracy subset or the protocol, so a row's speed columns come from the newest perf
measurement of the same algorithm, variant, weights, backend and precision on the chosen device,
whichever record holds it (usually a ``strbench bench`` run on a subset).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import re
import textwrap
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
    created: str = ""
    rank: int | None = None  # 1-based place within its protocol by the group's weighted average
    partial: bool = False  # a less complete record shown as its own row (--include-partial)
    training_data: str | None = None  # what the weights were trained on (plugin / weights metadata)
    published: float | None = None  # the weights publisher's reported word accuracy (%) for this variant
    published_by: str | None = None
    regular: float | None = None  # sample-weighted word accuracy over the group's regular-text versions
    irregular: float | None = None  # ... and over its irregular-text versions
    ece: float | None = None  # expected calibration error (%) of the group, when its confidences inform
    e_aurc: float | None = None  # excess area under the risk-coverage curve (%) of the group
    calibration: str | None = None  # None: not computed; "n/i": confidence not informative; "ok"

    @property
    def published_gap(self) -> float | None:
        """Measured (group weighted average) minus published, in percentage points."""
        if self.published is None or self.group_weighted is None:
            return None
        return self.group_weighted - self.published


GROUP_W, GROUP_M = "group weighted", "group mean"
REGULAR, IRREGULAR = "regular", "irregular"


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


def row_key(record: Record) -> tuple[str, ...]:
    """Which row a record competes for: algorithm, variant, weights, protocol, backend, precision
    (and its subset size: a subset run never competes with full runs)."""
    model = record.model_key
    key: tuple[str, ...] = (*model[:3], record.protocol.key, *model[3:])
    return (*key, f"subset {record.data.subset_limit}") if record.data.subset_limit else key


def row_from_record(record: Record, group: str) -> Row:
    g = record.summary.group(group)
    row = Row(
        key=row_key(record), record_id=record.id, algorithm=record.algorithm, variant=record.variant,
        weights=_weights_label(record.weights), trained=record.weights.trained, protocol=record.protocol.key,
        backend=record.runtime.backend, precision=record.runtime.precision, params=record.params,
        accuracy={dataset_label(d): d.metrics.get("word_accuracy") for d in record.datasets},
        evaluated={dataset_label(d): d.evaluated for d in record.datasets},
        group_weighted=g.metric("word_accuracy"), group_mean=g.metric("word_accuracy", weighted=False),
        group_complete=bool(g.complete), suite=record.data.suite, cased=record.protocol.case == "keep",
        intervals=record_intervals(record, group),
        subset_limit=record.data.subset_limit or None, created=record.created,
        training_data=_stated_training_data(record.weights),
    )
    attach_calibration(row, record, group)
    if not row.trained:
        row.notes.append("untrained weights")
    if row.subset_limit:
        row.notes.append(f"subset: first {row.subset_limit} samples per set")
    if any(d.status == "count mismatch" for d in record.datasets):
        row.notes.append("wrong sample count")
    return row


def attach_calibration(row: Row, record: Record, group: str) -> None:
    """The group's expected calibration error and excess AURC from the record's ``calibration``
    section; a group whose confidences carry no information is marked ``n/i``, never given a number."""
    entry = ((record.calibration or {}).get("groups") or {}).get(group)
    if not isinstance(entry, Mapping):
        return
    if not entry.get("informative"):
        row.calibration = "n/i"
        return
    row.calibration = "ok"
    row.ece, row.e_aurc = entry.get("ece"), entry.get("e_aurc")


def _stated_training_data(weights: WeightsIdentity, key: str = "training_data") -> str | None:
    """The record's own statement of the training data: its weights' ``training_data`` summary
    (or, with ``key="data"``, their longer description)."""
    value = weights.extra.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class Catalog:
    """What the installed plugins know beyond the records: the suites (column order, the
    regular/irregular split) and the algorithms (training data of packaged weights, publishers'
    reported figures). Empty: the board shows what the records alone say."""

    suites: Mapping[str, BenchmarkSuite] = field(default_factory=dict)
    algorithms: Mapping[str, Any] = field(default_factory=dict)


def kind_averages(record: Record, group: str, suites: Mapping[str, BenchmarkSuite]) -> dict[str, tuple[float, list[float]]]:
    """Sample-weighted word accuracy of the group's versions per text kind (``regular``,
    ``irregular``) with its exact 95% interval (pooled counts, Clopper-Pearson); a kind is left out
    unless every one of its versions in the group was evaluated."""
    from strbench.run.stats import clopper_pearson

    suite = suites.get(record.data.suite or "")
    g = record.summary.group(group)
    if suite is None or not suite.text_kinds or not g.datasets:
        return {}
    by_name = {d.name: d for d in record.datasets}
    out: dict[str, tuple[float, list[float]]] = {}
    for kind, families in suite.text_kinds.items():
        names = [n for n in g.datasets if _family(suite, n) in families]
        results = [by_name.get(n) for n in names]
        if not names or any(d is None or not d.evaluated or d.metrics.get("word_accuracy") is None for d in results):
            continue
        n = sum(d.evaluated for d in results if d is not None)
        right = sum(d.metrics["word_accuracy"] / 100.0 * d.evaluated for d in results if d is not None)
        low, high = clopper_pearson(round(right), n)  # in percent
        out[kind] = (100.0 * right / n, [low, high])
    return out


def _family(suite: BenchmarkSuite, version: str) -> str | None:
    try:
        return suite.version(version).family
    except KeyError:
        return None


def published_figure(algorithms: Mapping[str, Any], algorithm: str, variant: str) -> tuple[float, str] | None:
    """The word accuracy (%) a weights publisher reports for ``algorithm``/``variant`` and who
    reports it (``Algorithm.weight_releases``), or ``None``."""
    algo = algorithms.get(algorithm)
    for per_variant in sorted((getattr(algo, "weight_releases", None) or {}).items()):
        release = per_variant[1].get(variant)
        figure = getattr(release, "reported_accuracy", None)
        if figure:
            match = re.search(r"\d+(?:\.\d+)?", str(figure))
            if match:
                return float(match.group()), str(release.reported_by or "its publisher")
    return None


def packaged_training_data(algorithms: Mapping[str, Any], record: Record) -> str | None:
    """The ``training_data`` a plugin states for a variant's packaged weights, when ``record`` ran
    exactly those (its weights identity names them)."""
    algo = algorithms.get(record.algorithm)
    variant = (getattr(algo, "variants", None) or {}).get(record.variant)
    if algo is None or variant is None or not getattr(variant, "training_data", None) or not record.weights.trained:
        return None
    try:
        packaged = algo.weights_identity(record.variant, None)
    except Exception:  # a plugin failing to describe its weights costs the column, not the board
        return None
    return variant.training_data if packaged.get("name") == record.weights.name else None


def enrich(row: Row, record: Record, group: str, catalog: Catalog) -> None:
    """Add what the catalog knows to a row: the regular/irregular averages, the training data of
    packaged weights and the publisher's reported figure."""
    for kind, (value, interval) in kind_averages(record, group, catalog.suites).items():
        if kind in (REGULAR, IRREGULAR):
            setattr(row, kind, value)
            row.intervals[kind] = interval
    if row.training_data is None:
        row.training_data = (packaged_training_data(catalog.algorithms, record)
                             or _stated_training_data(record.weights, "data"))
    figure = published_figure(catalog.algorithms, row.algorithm, row.variant)
    if figure is not None:
        row.published, row.published_by = figure


def attach_perf(row: Row, perf: PerfSection, record_id: str, config: int | None = None) -> None:
    """Give ``row`` the speed columns of a perf section (from record ``record_id``; configuration
    ``config``, default the primary one) and the device they were measured on."""
    from strbench.perf.summary import leaderboard_columns

    row.perf = dict(leaderboard_columns(perf.to_json(), config))
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


def perf_configs(record: Record) -> list[tuple[tuple[str, ...], int]]:
    """(model key, configuration index) for each precision a record's perf section measured: a
    perf-suite run of fp32 that also measured bf16 gives the bf16 row its speed."""
    perf = record.perf
    if perf is None:
        return []
    configs = perf.to_json().get("configs") or []
    base = record.model_key[:4]
    out: list[tuple[tuple[str, ...], int]] = [
        ((*base, str(c.get("precision") or record.runtime.precision)), i)
        for i, c in enumerate(configs) if isinstance(c, Mapping)]
    return out or [(tuple(record.model_key), 0)]


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


@dataclass(frozen=True)
class Candidate:
    """A record that could have given a row, how complete it is and what became of it (``--explain``)."""

    record: str
    created: str
    versions: int  # dataset versions evaluated
    group_versions: str  # "k of n" versions of the group evaluated
    verdict: str


@dataclass
class Board:
    """The rows of a leaderboard and an account of what was read to build them."""

    rows: list[Row]
    found: int = 0  # strbench records read
    not_records: int = 0  # other .json files under the results folder
    excluded: list[Exclusion] = field(default_factory=list)
    speed_notes: list[str] = field(default_factory=list)  # perf measurements left out or shown marked
    problems: list[tuple[Path, str]] = field(default_factory=list)  # records that could not be read
    hidden_untrained: list[Row] = field(default_factory=list)  # left off unless include_untrained
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # row label -> its candidates


def completeness(record: Record, group: str) -> tuple[int, int]:
    """How complete a record is as a row: (every version of the group evaluated, versions evaluated)."""
    return int(bool(record.summary.group(group).complete)), sum(1 for d in record.datasets if d.evaluated)


def _candidate(record: Record, group: str, verdict: str) -> Candidate:
    return Candidate(record.id, record.created, completeness(record, group)[1], _group_versions(record, group), verdict)


def _group_versions(record: Record, group: str) -> str:
    g = record.summary.group(group)
    if not g.datasets:
        return "-"
    done = {d.name for d in record.datasets if d.evaluated}
    return f"{sum(1 for n in g.datasets if n in done)} of {len(g.datasets)}"


def row_label(row: Row) -> str:
    """``algorithm variant weights protocol runtime``: how --explain names a row."""
    return f"{row.algorithm} {row.variant} {row.weights} {row.protocol} {runtime_label(row)}{subset_mark(row)}"


def runtime_label(row: Row) -> str:
    return f"{'native' if row.backend == 'torch' else row.backend}/{row.precision}"


def choose(candidates: list[tuple[Record, Path]], group: str) -> list[tuple[Record, Path]]:
    """Candidates of one row, best first: the most complete, then the newest."""
    return sorted(candidates, key=lambda item: (completeness(item[0], group), item[0].created), reverse=True)


def primary_protocol(protocols: Iterable[str], rows: Sequence[Row] = ()) -> str | None:
    """The protocol a board opens on: ``lower36`` (the field's common protocol) when present, else
    the one with the most rows."""
    keys = list(dict.fromkeys(protocols))
    for key in keys:
        if key.split("@")[0] == "lower36":
            return key
    if not keys:
        return None
    return max(keys, key=lambda k: sum(1 for r in rows if r.protocol == k))


def rank_rows(rows: list[Row]) -> list[Row]:
    """Sort rows (the primary protocol first, trained rows before untrained ones, then by the
    group's weighted average, best first) and number them within each protocol; untrained,
    subset and partial rows and rows without the average get no rank."""
    first = primary_protocol((r.protocol for r in rows), rows)
    rows.sort(key=lambda r: (r.protocol != first, r.protocol, not r.trained, r.group_weighted is None,
                             -(r.group_weighted or 0.0), r.partial, r.algorithm, r.variant, runtime_label(r)))
    place: dict[str, int] = {}
    for r in rows:
        if r.group_weighted is not None and r.trained and not r.subset_limit and not r.partial:
            place[r.protocol] = place.get(r.protocol, 0) + 1
            r.rank = place[r.protocol]
        else:
            r.rank = None
    return rows


def collect(results_dir: Path, *, group: str = DEFAULT_GROUP, include_subsets: bool = False,
            include_synthetic: bool = False, perf_device: str | None = None, protocol: str | None = None,
            include_contended: bool = False, aggregate: bool = False, include_training: bool = False,
            include_untrained: bool = False, include_partial: bool = False,
            catalog: Catalog = Catalog()) -> Board:
    """The most complete record per row key (newest among equals); subset, synthetic-data,
    training-snapshot and untrained records are left out unless asked for, and every record left
    out is listed with its reason (``board.candidates`` says, per row, why each record won or lost).

    Speed columns: the newest perf section on ``perf_device`` (``cpu``, ``cuda``; ``None``: any)
    for the row's algorithm/variant/weights/backend/precision (any configuration of a perf run:
    a run that measured fp32 and bf16 gives both rows their speed), from any record under
    ``results_dir`` including subset runs (perf inputs are fixed real images, independent of the
    accuracy subset). Synthetic-data perf runs count only with ``include_synthetic``; a measurement
    flagged ``contended`` only with ``include_contended`` (the row is then marked), otherwise it is
    left out with a note naming its record. Unreadable records go to ``board.problems``; rows they
    may have replaced are marked stale. ``aggregate``: every run of a row key counts (mean, std
    and run count) instead of the chosen one. ``include_partial``: records less complete than
    their row's chosen one show as their own rows, marked PARTIAL."""
    board = Board(rows=[])
    by_key: dict[tuple[str, ...], list[tuple[Record, Path]]] = {}
    perf_by_model: dict[tuple[str, ...], tuple[str, PerfSection, str, int]] = {}
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
            else:
                for model_key, config in perf_configs(record):
                    if model_key not in perf_by_model or record.created >= perf_by_model[model_key][0]:
                        perf_by_model[model_key] = (record.created, perf, record.id, config)
        reason = _exclusion_reason(record, include_subsets, include_synthetic, protocol)
        if not reason and not include_training and _under_training(path, results_dir):
            reason = "evaluates a training snapshot (a curve point under training/); --include-training shows it"
        if reason:
            board.excluded.append(Exclusion(record.id, reason))
            continue
        by_key.setdefault(row_key(record), []).append((record, path))
    board.not_records = sum(1 for _ in results_dir.rglob("*.json")) - board.found if results_dir.is_dir() else 0
    for candidates in by_key.values():
        ranked = choose(candidates, group)
        best, best_path = ranked[0]
        best_done = completeness(best, group)
        shown = [(best, best_path, False)]
        verdicts = [_candidate(best, group, "chosen: " + ("the only record" if len(ranked) == 1 else
                                                           "the most complete, newest among equally complete"))]
        for record, path in ranked[1:]:
            done = completeness(record, group)
            if done < best_done:
                reason = (f"less complete than {best.id} ({_group_versions(record, group)} vs "
                          f"{_group_versions(best, group)} {group} versions, {done[1]} vs {best_done[1]} versions "
                          f"in all)")
                if include_partial and not aggregate:
                    shown.append((record, path, True))
                    verdicts.append(_candidate(record, group, "shown as its own PARTIAL row: " + reason))
                    continue
                reason += "; --include-partial shows it as its own row"
            else:
                reason = f"as complete as {best.id}, which is newer"
            if aggregate:
                reason += " (aggregated with it)"
            board.excluded.append(Exclusion(record.id, reason))
            verdicts.append(_candidate(record, group, "not shown: " + reason))
        for record, path, partial in shown:
            row = row_from_record(record, group)
            if record is best:
                board.candidates[row_label(row)] = verdicts
            row.path, row.partial = path, partial
            if partial:
                row.key = (*row.key, f"partial {record.id}")
                row.notes.append("partial: a more complete record of this model exists")
            enrich(row, record, group, catalog)
            if aggregate:
                from strbench.run.record_check import distinct_runs  # a copied record is one run

                aggregate_row(row, [row_from_record(r, group) for r, _ in distinct_runs(candidates)])
            source = perf_by_model.get(record.model_key)
            if source is not None:
                attach_perf(row, source[1], source[2], source[3])
                if row.contended:
                    board.speed_notes.append(f"speed of {row.record_id} comes from {row.perf_record}, measured under "
                                             f"contention (marked *): not comparable with quiet measurements")
            if not row.trained and not include_untrained:
                board.hidden_untrained.append(row)
                board.excluded.append(Exclusion(record.id, "untrained weights (a pipeline check, not a model); "
                                                           "--include-untrained shows it"))
                continue
            board.rows.append(row)
    mark_stale(board.rows, [path for path, _ in board.problems])
    rank_rows(board.rows)
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
    if data.perturbation is not None:  # never beside clean rows, whatever else is asked for
        return (f"perturbed input ({data.perturbation.key}): a robustness run; 'strbench robustness --summary' "
                f"shows these")
    if data.subset_limit and not include_subsets:
        return f"subset run (first {data.subset_limit} samples per set); --include-subsets shows it"
    if data.synthetic and not include_synthetic:
        return "ran on the embedded synthetic default set; --include-synthetic shows it"
    key = record.protocol.key
    if protocol and key.split("@")[0] != protocol.split("@")[0]:
        return f"protocol {key}, not the --protocol {protocol} asked for"
    return None


def collect_rows(results_dir: Path, *, group: str = DEFAULT_GROUP, include_subsets: bool = False,
                 include_synthetic: bool = False, perf_device: str | None = None,
                 include_contended: bool = False, aggregate: bool = False, include_untrained: bool = False,
                 include_partial: bool = False, catalog: Catalog = Catalog()) -> list[Row]:
    """The rows of :func:`collect`."""
    return collect(results_dir, group=group, include_subsets=include_subsets, include_synthetic=include_synthetic,
                   perf_device=perf_device, include_contended=include_contended, aggregate=aggregate,
                   include_untrained=include_untrained, include_partial=include_partial, catalog=catalog).rows


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
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group, its versions) of those suites

    def group_versions(self, group: str) -> tuple[str, ...]:
        """The versions of ``group`` in the suites' order; empty when no suite defines it."""
        return next((versions for name, versions in self.groups if name == group), ())


def suite_layout(rows: Iterable[Row], suites: Mapping[str, BenchmarkSuite]) -> Layout:
    """The :class:`Layout` of ``rows`` from the suites their records ran (in order of appearance)."""
    used = [suites[name] for name in dict.fromkeys(r.suite for r in rows) if name is not None and name in suites]
    versions = [v for suite in used for v in suite.versions]
    return Layout(order=tuple(dict.fromkeys(v.name for v in versions)),
                  case_notes=tuple(dict.fromkeys((v.name, v.case_note) for v in versions if v.case_note)),
                  groups=tuple(dict.fromkeys((g, tuple(vs)) for suite in used for g, vs in suite.groups.items())))


def label_limited(row: Row, version: str, layout: Layout) -> bool:
    """Whether ``row``'s score on ``version`` measures the labels rather than the model: a
    case-sensitive protocol on a version whose common copies carry upper-case-only labels (the
    suite's case note says so); such cells are greyed and never marked best."""
    return row.cased and any(name == version and "not the model" in note for name, note in layout.case_notes)


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


def _acc_cell(r: Row, col: str, value: float | None, ci: bool, sep: str = " ") -> str:
    """A value, with its spread over runs, its 95% interval (``ci``: ``[low, high]`` after ``sep``,
    or ``low–high`` on a line of its own when ``sep`` is a newline) and the ≈ mark."""
    text = _num(value)
    if value is None:
        return text
    if r.runs > 1 and col in r.spread and r.spread[col] is not None:
        text += f" ± {r.spread[col]:.2f}"
    if ci and r.runs == 1 and col in r.intervals:
        low, high = r.intervals[col]
        text += f"\n{low:.2f}–{high:.2f}" if sep == "\n" else f"{sep}{_interval(r.intervals[col])}"
    if col == GROUP_W and r.similar_to_above:
        text += " ≈"
    return text


def _gap(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


HEAD = ["rank", "algorithm", "variant", "weights", "protocol", "runtime"]
NAME_COLUMNS = len(HEAD)


ECE, E_AURC = "ECE %", "E-AURC %"


def _calibrated(rows: Sequence[Row]) -> bool:
    return any(r.calibration is not None for r in rows)


def _columns(rows: list[Row], group: str, layout: Layout,
             calibration: bool = False) -> tuple[list[str], list[str], list[str]]:
    versions = version_columns(rows, layout.order)
    perf_keys = sorted({k for r in rows for k in r.perf} - {"perf device"})
    if perf_keys:
        perf_keys.append("perf device")
    header = (HEAD + [f"{group} avg (weighted)", f"{group} avg (mean)", REGULAR, IRREGULAR,
                      "published", "gap (pp)"] + ([ECE, E_AURC] if calibration and _calibrated(rows) else [])
              + versions + (["runs"] if _aggregated(rows) else [])
              + ["params (M)", "training data"] + perf_keys)
    return versions, perf_keys, header


def calibration_cells(r: Row) -> list[str]:
    """ECE and E-AURC of a row: figures, ``n/i`` (confidence not informative) or ``-`` (not computed)."""
    if r.calibration == "n/i":
        return ["n/i", "n/i"]
    return [_num(r.ece), _num(r.e_aurc)]


def _aggregated(rows: list[Row]) -> bool:
    return any(r.runs > 1 for r in rows)


def _weights_cell(r: Row) -> str:
    return r.weights + ("" if r.trained else " — UNTRAINED") + subset_mark(r) + (" [PARTIAL]" if r.partial else "")


def table(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout(),
          ci: bool = False, calibration: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and string cells shared by every output format (``ci``: intervals in the cells;
    ``calibration``: the group's ECE and E-AURC columns when records carry them)."""
    versions, perf_keys, header = _columns(rows, group, layout, calibration)
    with_calibration = ECE in header
    cells = []
    for r in rows:
        cells.append(
            [_num(r.rank), r.algorithm + (" (STALE?)" if r.stale else ""), r.variant, _weights_cell(r), r.protocol,
             runtime_label(r)]
            + [_acc_cell(r, GROUP_W, r.group_weighted, ci), _acc_cell(r, GROUP_M, r.group_mean, ci),
               _acc_cell(r, REGULAR, r.regular, ci), _acc_cell(r, IRREGULAR, r.irregular, ci),
               _num(r.published), _gap(r.published_gap)]
            + (calibration_cells(r) if with_calibration else [])
            + [_acc_cell(r, v, r.accuracy.get(v), ci) for v in versions]
            + ([str(r.runs)] if _aggregated(rows) else [])
            + [_num(r.params / 1e6, 3) if r.params else "-", r.training_data or "-"]
            + [speed_cell(r, k) for k in perf_keys]
        )
    return header, cells


def interval_columns(group: str, versions: Iterable[str]) -> dict[str, str]:
    """Header of :func:`table` -> the key of ``Row.intervals`` its cells' intervals are stored under."""
    return {f"{group} avg (weighted)": GROUP_W, f"{group} avg (mean)": GROUP_M, REGULAR: REGULAR,
            IRREGULAR: IRREGULAR, **{v: v for v in versions}}


def titles(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout(),
           calibration: bool = False) -> list[list[str]]:
    """The 95% interval text for each cell of :func:`table`; empty where there is none."""
    versions, _, header = _columns(rows, group, layout, calibration)
    cols = interval_columns(group, versions)
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


def compact_table(rows: list[Row], group: str = DEFAULT_GROUP, ci: bool = False,
                  calibration: bool = False) -> tuple[list[str], list[list[str]]]:
    """The terminal's default view of one protocol's rows: rank, who, which weights, the group
    averages (with ``ci``, each interval on a line below its value) and the best throughput
    (``--wide`` shows every column)."""
    from strbench.perf.summary import THROUGHPUT

    header = ["#", "algorithm", "variant", "weights", f"{group}\nweighted", "\nmean", COMPACT_SPEED]
    with_calibration = calibration and _calibrated(rows)
    if with_calibration:
        header[-1:-1] = ["\nECE", "E-\nAURC"]
    cells = []
    for r in rows:
        name = r.weights.rsplit(" (", 1)[0] if r.weights.endswith(")") else r.weights
        weights = (name if r.trained else "UNTRAINED") + subset_mark(r) + (
            " [PARTIAL]" if r.partial else "")
        runtime = "" if (r.backend, r.precision) == ("torch", "fp32") else f" {runtime_label(r)}"
        cells.append([_num(r.rank), r.algorithm + (" (STALE?)" if r.stale else ""), r.variant + runtime, weights,
                      _acc_cell(r, GROUP_W, r.group_weighted, ci, "\n"), _acc_cell(r, GROUP_M, r.group_mean, ci, "\n"),
                      *(calibration_cells(r) if with_calibration else []), speed_cell(r, THROUGHPUT, digits=1)])
    return header, cells


def by_protocol(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """Rows grouped by protocol, in board order (the primary protocol first)."""
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.protocol, []).append(r)
    return list(groups.items())


def _short_version(name: str) -> str:
    return name.split("_")[0]


def readme_table(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout(),
                 full_table: str | None = None) -> str:
    """A compact markdown board (at most 120 characters wide): the ranked rows of the primary
    protocol with model, params, the group's versions, the weighted average and the throughput;
    ``full_table`` is linked below it."""
    from strbench.perf.summary import THROUGHPUT

    protocol = primary_protocol((r.protocol for r in rows), rows)
    shown = [r for r in rows if r.protocol == protocol and r.rank is not None]
    versions = [v for v in layout.group_versions(group) if any(v in r.accuracy for r in shown)]
    header = ["#", "model", "params", *(_short_version(v) for v in versions), "avg", "img/s"]
    cells = []
    for r in shown:
        runtime = "" if (r.backend, r.precision) == ("torch", "fp32") else f" {runtime_label(r)}"
        cells.append([str(r.rank), f"{r.algorithm} {r.variant}{runtime}",
                      f"{r.params / 1e6:.1f}M" if r.params else "-",
                      *(_num(r.accuracy.get(v)) for v in versions), f"**{_num(r.group_weighted)}**",
                      speed_cell(r, THROUGHPUT, digits=0)])
    body = _github_table(header, cells)
    excess = max(len(line) for line in body.splitlines()) - README_WIDTH
    if excess > 0:  # shorten the longest model names (the full table has them whole)
        room = max(12, max(len(c[1]) for c in cells) - excess)
        for c in cells:
            c[1] = c[1] if len(c[1]) <= room else c[1][:room - 1] + "…"
        body = _github_table(header, cells)
    devices = sorted({str(r.perf.get("perf device")) for r in shown if r.perf.get("perf device")})
    foot = (f"Word accuracy (%) under protocol {protocol}; avg: the {group} average weighted by samples; img/s: "
            f"best throughput" + (f" on {'; '.join(devices)}" if devices else "") + ".")
    if full_table:
        foot += f" Every column, the 95% intervals and the notes: [{full_table}]({full_table})."
    return body + "\n\n" + textwrap.fill(foot, README_WIDTH, break_long_words=False, break_on_hyphens=False) + "\n"


README_WIDTH = 120


def _github_table(header: list[str], cells: list[list[str]]) -> str:
    return tabulate(cells, headers=header, tablefmt="github", disable_numparse=True,
                    colalign=("right", "left", *("right",) * (len(header) - 2)))


def notes(rows: list[Row], group: str, layout: Layout = Layout(), compact: bool = False,
          calibration: bool = False) -> list[str]:
    """The notes under a board; ``compact``: only those about columns the compact view shows;
    ``calibration``: the board shows the calibration columns."""
    out = [
        "Word accuracy (%) per benchmark version after protocol normalisation; each row is the most complete "
        "record of its algorithm/variant/weights/protocol/runtime (every version of the group evaluated), the "
        "newest among equally complete ones ('leaderboard --explain' shows the choice). Rows are ranked by the "
        "group's weighted average within their protocol.",
        f"'{group} avg (weighted)' is sample-weighted, '{group} avg (mean)' the arithmetic mean over the "
        f"group's versions; '-' when a version of the group is missing.",
        "runtime 'native' = the plugin's own inference path (whatever the plugin runs: PyTorch, ONNX Runtime, "
        "a native library); 'onnx' = strbench's export evaluated through ONNX Runtime.",
    ]
    if not compact and any(r.regular is not None or r.irregular is not None for r in rows):
        out.append(f"'{REGULAR}' / '{IRREGULAR}': sample-weighted word accuracy over the {group} versions of "
                   f"regular text (IIIT5K, SVT, IC13: horizontal, mostly frontal) and of irregular text (IC15, "
                   f"SVTP, CUTE80: incidental, perspective, curved), as the suite defines them.")
    if not compact and any(r.published is not None for r in rows):
        out.append("'published': the word accuracy the publisher of this architecture's released weights reports "
                   "(their weights, training data and protocol; see the table of reported figures); 'gap' = the "
                   f"{group} weighted average measured here minus it, in percentage points. A row whose weights "
                   "strbench trained measures strbench's training, not the publisher's weights.")
    if calibration and _calibrated(rows):
        out.append(f"'{ECE}': expected calibration error of the {group} group's word confidences (15 equal-width "
                   f"bins; lower is better); '{E_AURC}': area under the risk-coverage curve above that of a perfect "
                   "ranking (how well confidence orders right before wrong; lower is better); 'n/i': the model's "
                   "confidences carry no information (constant or missing), so no figure is given. "
                   "docs/robustness.md defines both.")
    if not compact and any(r.training_data for r in rows):
        out.append("'training data': what the row's weights were trained on, as their plugin or weights file states it.")
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
        out.append("95% intervals (shown with --ci; always in the HTML report): exact Clopper-Pearson per version "
                   "and for the regular/irregular split (pooled samples); the group averages' by a seeded "
                   "bootstrap over samples, per version (see the record's 'intervals').")
    if _aggregated(rows):
        out.append("Rows with runs > 1 aggregate several records of the same model and protocol: mean ± sample "
                   "standard deviation over the runs.")
    if any(r.similar_to_above for r in rows):
        out.append(f"'≈': the row's {group} weighted average is not significantly different from the row above's "
                   f"(paired bootstrap on the samples both scored, p >= 0.05; 'strbench compare' for details).")
    if any(r.subset_limit for r in rows):
        out.append("Rows marked SUBSET ran only the first N samples of each set (--limit): not comparable with full runs.")
    if any(r.partial for r in rows):
        out.append("Rows marked PARTIAL are records less complete than their model's chosen row (fewer versions "
                   "evaluated): shown because --include-partial asked for them; they are not ranked.")
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
        out.append("Rows marked UNTRAINED ran randomly initialised weights: they test the pipeline, not the model; "
                   "they are never ranked.")
    return out


def hidden_untrained_note(board: Board) -> list[str]:
    """One line naming the untrained rows left off the board, and the option that shows them."""
    if not board.hidden_untrained:
        return []
    names = ", ".join(dict.fromkeys(f"{r.algorithm} {r.variant}" for r in board.hidden_untrained))
    return [f"{len(board.hidden_untrained)} untrained row(s) not shown (randomly initialised weights, a pipeline "
            f"check: {names}); --include-untrained shows them."]


def to_markdown(rows: list[Row], group: str = DEFAULT_GROUP, extra_notes: Iterable[str] = (),
                layout: Layout = Layout(), references: Sequence[ReferenceRow] = (), ci: bool = False,
                calibration: bool = False) -> str:
    header, cells = table(rows, group, layout, ci, calibration)
    body = tabulate(cells, headers=header, tablefmt="pipe", disable_numparse=True)
    all_notes = [*notes(rows, group, layout, calibration=calibration), *extra_notes]
    return (body + "\n\n" + "\n".join(f"- {n}" for n in all_notes) + "\n"
            + reference_markdown(references))


def to_csv(rows: list[Row], group: str = DEFAULT_GROUP, layout: Layout = Layout(), calibration: bool = False) -> str:
    header, cells = table(rows, group, layout, calibration=calibration)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(cells)
    return buf.getvalue()


def html_table(header: list[str], cells: list[list[str]], intervals: list[list[str]]) -> str:
    """A plain HTML table; a cell with an interval shows it under the value (visible without hover)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f'<td title="{html.escape(t)}">{html.escape(c)}<br><small class="ci">{html.escape(t[len("95% CI "):])}'
        f"</small></td>" if t else f"<td>{html.escape(c)}</td>" for c, t in zip(row, tips)) + "</tr>"
        for row, tips in zip(cells, intervals))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(rows: list[Row], group: str = DEFAULT_GROUP, plot_png: bytes | None = None,
            extra_notes: Iterable[str] = (), layout: Layout = Layout(),
            references: Sequence[ReferenceRow] = (), calibration: bool = False) -> str:
    header, cells = table(rows, group, layout, calibration=calibration)
    body = html_table(header, cells, titles(rows, group, layout, calibration))
    items = "".join(f"<li>{html.escape(n)}</li>"
                    for n in [*notes(rows, group, layout, calibration=calibration), *extra_notes])
    img = ""
    if plot_png:
        img = f'<h2>Speed vs accuracy</h2><img alt="speed-accuracy plot" src="data:image/png;base64,' \
              f'{base64.b64encode(plot_png).decode("ascii")}">'
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}"
             "small.ci{color:#666;white-space:nowrap}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>strbench leaderboard</title>"
            f"<style>{style}</style></head><body><h1>strbench leaderboard</h1>{body}<ul>{items}</ul>"
            f"{reference_html(references)}{img}"
            f"</body></html>\n")
