"""Paired comparison of two records on the samples both scored: exact McNemar per dataset
version, paired bootstrap for the differences and for the suite groups' averages; the labels
of the two sides and the one-line verdict; the leaderboard's significance marks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strbench.errors import UsageError
from strbench.run.metrics import Scored
from strbench.run.protocols import Protocol, protocol_from_json
from strbench.run.record import Record
from strbench.run.record_check import verify_predictions
from strbench.run.records import read_predictions
from strbench.run.scoring import SamplePrediction, score
from strbench.run.stats import (
    LEVEL,
    bootstrap_means,
    group_draws,
    mcnemar_exact,
    per_sample,
    percentile_interval,
    rng_for,
)

COMPARE_RESAMPLES = 2000
SIGNIFICANCE = 1.0 - LEVEL

#: Told what is about to be done (e.g. ``"bootstrap IC15_2077"``) before each step of a comparison;
#: each call ends the step before it. For progress displays.
Step = Callable[[str], None]
ScoredSamples = dict[str, dict[str, Scored]]


def _no_step(_: str) -> None:
    return None


def scored_samples(record_path: Path, record: Record, protocol: Protocol) -> ScoredSamples:
    """dataset -> sample key -> scored sample, from the record's stored predictions (checked against
    the sha256 the record holds, as ``rescore`` checks them)."""
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(verify_predictions(record_path, record.to_json())):
        by_dataset[dataset].append(pred)
    return {name: dict(score(preds, protocol, {}).samples) for name, preds in by_dataset.items()}


class ScoreCache:
    """Each record's stored predictions scored once per protocol (the leaderboard's significance
    marks compare every row with its two neighbours)."""

    def __init__(self) -> None:
        self._scored: dict[tuple[Path, str], ScoredSamples] = {}

    def get(self, record_path: Path, record: Record, protocol: Protocol) -> ScoredSamples:
        key = (record_path.resolve(), protocol.key)
        if key not in self._scored:
            self._scored[key] = scored_samples(record_path, record, protocol)
        return self._scored[key]


@dataclass(frozen=True)
class VersionComparison:
    name: str
    shared: int
    acc_a: float
    acc_b: float
    only_a: int
    only_b: int
    diff: float  # A - B, percentage points
    interval: tuple[float, float]
    p_value: float  # exact McNemar


@dataclass(frozen=True)
class GroupComparison:
    name: str
    kind: str  # "weighted" or "mean"
    diff: float
    interval: tuple[float, float]
    p_value: float  # paired bootstrap, two-sided; at least 1 / resamples
    resamples: int = COMPARE_RESAMPLES


@dataclass(frozen=True)
class Comparison:
    protocol: str
    versions: list[VersionComparison]
    groups: list[GroupComparison]
    notes: list[str]

    def group(self, name: str, kind: str = "weighted") -> GroupComparison | None:
        return next((g for g in self.groups if g.name == name and g.kind == kind), None)


def significant(p_value: float) -> bool:
    """Significant at the 95% level (p < 0.05)."""
    return p_value < SIGNIFICANCE


def resolve_protocols(record_a: Record, record_b: Record, override: Protocol | None,
                      allow_different: bool) -> tuple[Protocol, Protocol, str]:
    if override is not None:
        return override, override, override.key
    key_a, key_b = record_a.protocol.key, record_b.protocol.key
    if key_a != key_b and not allow_different:
        raise UsageError(f"the records were scored under different protocols ({key_a} vs {key_b}); compare them "
                         f"under one with --protocol ID (both are re-scored from their predictions), or pass "
                         f"--allow-different-protocols to compare each under its own")
    label = key_a if key_a == key_b else f"{key_a} vs {key_b}"
    return protocol_from_json(record_a.protocol.to_json()), protocol_from_json(record_b.protocol.to_json()), label


def compare_scored(a: ScoredSamples, b: ScoredSamples, groups: dict[str, list[str]],
                   allow_different_samples: bool = False, resamples: int = COMPARE_RESAMPLES,
                   step: Step = _no_step) -> tuple[list[VersionComparison], list[GroupComparison], list[str]]:
    """Per-version and per-group paired comparisons of the samples both sides scored. When none of
    ``groups`` was compared in full, the average over every compared version is reported as ``all``."""
    notes: list[str] = []
    names = [n for n in a if n in b]
    differing = sorted(set(a) ^ set(b)) + [n for n in names if set(a[n]) != set(b[n])]
    if differing:
        if not allow_different_samples:
            raise UsageError(f"the records do not hold the same samples (dataset versions differ: "
                             f"{', '.join(differing)}); pass --allow-different-samples to compare the shared ones")
        notes.append(f"compared on shared samples only; differing versions: {', '.join(differing)}")
    versions, draws, sizes = [], {}, {}
    for name in names:
        keys = [k for k in a[name] if k in b[name]]
        if not keys:
            continue
        step(f"bootstrap {name}")
        va = per_sample([a[name][k] for k in keys])[:, 0] / 100.0
        vb = per_sample([b[name][k] for k in keys])[:, 0] / 100.0
        only_a, only_b = int(((va == 1) & (vb == 0)).sum()), int(((va == 0) & (vb == 1)).sum())
        draws[name] = bootstrap_means(100.0 * (va - vb), rng_for(name), resamples)
        sizes[name] = len(keys)
        versions.append(VersionComparison(name, len(keys), 100.0 * va.mean(), 100.0 * vb.mean(), only_a, only_b,
                                          100.0 * (only_a - only_b) / len(keys), percentile_interval(draws[name]),
                                          mcnemar_exact(only_a, only_b)))
    tested = {g: m for g, m in groups.items() if m and all(n in draws for n in m)}
    if not tested and draws:
        tested = {"all": list(draws)}
    group_out = []
    for group, members in tested.items():
        g = group_draws(draws, sizes, members)
        for kind in ("weighted", "mean"):
            d = g[kind]
            point = (sum(v.diff * v.shared for v in versions if v.name in members) / sum(sizes[m] for m in members)
                     if kind == "weighted" else sum(v.diff for v in versions if v.name in members) / len(members))
            p = max(1.0 / resamples, min(1.0, 2.0 * min(float((d <= 0).mean()), float((d >= 0).mean()))))
            group_out.append(GroupComparison(group, kind, point, percentile_interval(d), p, resamples))
    return versions, group_out, notes


def compare_records(path_a: Path, record_a: Record, path_b: Path, record_b: Record,
                    override: Protocol | None = None, allow_different_protocols: bool = False,
                    allow_different_samples: bool = False, groups: dict[str, list[str]] | None = None,
                    step: Step = _no_step, cache: ScoreCache | None = None) -> Comparison:
    """Compare two records' word accuracy on their shared samples (``groups``: the averages to test,
    default the groups of record A's summary)."""
    pa, pb, label = resolve_protocols(record_a, record_b, override, allow_different_protocols)
    if groups is None:
        groups = {g: list(e.datasets) for g, e in record_a.summary.groups.items()}
    scorer = cache.get if cache is not None else scored_samples
    step("scoring A")
    scored_a = scorer(path_a, record_a, pa)
    step("scoring B")
    scored_b = scorer(path_b, record_b, pb)
    versions, group_out, notes = compare_scored(scored_a, scored_b, groups, allow_different_samples, step=step)
    return Comparison(label, versions, group_out, notes)


def runtime_label(backend: str, precision: str) -> str:
    """``native/fp32``, ``onnx/int8``: the runtime a record was measured with (``native``: the plugin's
    own inference path; ``onnx``: strbench's export through ONNX Runtime) and its precision."""
    return f"{'native' if backend == 'torch' else backend}/{precision}"


def side_label(record: Record) -> str:
    """``rare mv3 native/fp32``: algorithm, variant, runtime and precision."""
    return f"{record.algorithm} {record.variant} {runtime_label(record.runtime.backend, record.runtime.precision)}"


def side_labels(a: Record, b: Record) -> tuple[str, str]:
    """Labels of the two sides of a comparison, never alike for different records: the weights are
    added when only they tell the sides apart, then the records' creation times."""
    la, lb = side_label(a), side_label(b)
    if la == lb and a.weights.name != b.weights.name:
        la, lb = f"{la} ({a.weights.name})", f"{lb} ({b.weights.name})"
    if la == lb and a.id != b.id:
        la, lb = f"{la} (run {a.created or a.id})", f"{lb} (run {b.created or b.id})"
    return la, lb


def format_p(p_value: float, resamples: int | None = None) -> str:
    """``p = 0.014``, ``p = 0.41``; ``p <= 0.0005`` at a bootstrap's floor (1 / resamples)."""
    if resamples is not None and p_value <= 1.0 / resamples:
        return f"p <= {1.0 / resamples:.2g}"
    if p_value < 1e-4:
        return "p < 0.0001"
    return f"p = {p_value:.2g}"


def verdict_group(result: Comparison, preferred: str | None) -> GroupComparison | None:
    """The weighted average the verdict speaks of: group ``preferred`` when compared, else the first."""
    if preferred is not None and result.group(preferred) is not None:
        return result.group(preferred)
    return next((g for g in result.groups if g.kind == "weighted"), None)


def verdict(result: Comparison, preferred_group: str | None = None, a: str = "A", b: str = "B") -> str | None:
    """One line: how ``b`` stands against ``a`` on a group's sample-weighted average and whether that
    is significant, e.g. "B is 0.56 pp below A on the benchmark weighted average, significant (p = 0.014)"."""
    g = verdict_group(result, preferred_group)
    if g is None:
        return None
    where = f"on the {g.name} weighted average" if g.name != "all" else "on the weighted average of every version"
    diff = -g.diff  # B - A
    position = (f"{b} is level with {a}" if round(diff, 2) == 0
                else f"{b} is {abs(diff):.2f} pp {'above' if diff > 0 else 'below'} {a}")
    judged = "significant" if significant(g.p_value) else "not significant"
    return f"{position} {where}, {judged} ({format_p(g.p_value, g.resamples)})"


def mark_similar(rows: list[Any], group: str) -> None:
    """Set ``similar_to_above`` on leaderboard rows whose group weighted average does not differ
    significantly from the row above's (same protocol, same samples; others are left unmarked).
    Each record is scored once; a progress bar shows the pairs when stderr is a terminal."""
    from strbench import ui
    from strbench.errors import StrbenchError
    from strbench.run.records import load_record

    pairs = [(above, row) for above, row in zip(rows, rows[1:])
             if above.protocol == row.protocol and above.path is not None and row.path is not None
             and above.group_weighted is not None and row.group_weighted is not None
             and row.runs <= 1 and above.runs <= 1]
    cache = ScoreCache()
    with ui.progress(terminal_only=True, transient=True) as bar:
        task = bar.add_task("significance", total=len(pairs))
        for above, row in pairs:
            bar.update(task, description=f"significance: {row.algorithm} {row.variant}")
            try:
                ra, rb = load_record(above.path), load_record(row.path)
                names = ra.summary.group(group).datasets
                result = compare_records(above.path, ra, row.path, rb, groups={group: list(names)}, cache=cache)
            except StrbenchError:
                continue
            finally:
                bar.advance(task)
            weighted = result.group(group)
            row.similar_to_above = weighted is not None and not significant(weighted.p_value)
