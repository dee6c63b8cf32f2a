"""Paired comparison of two records on the samples both scored: exact McNemar per dataset
version, paired bootstrap for the differences and for the suite groups' averages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strbench.errors import UsageError
from strbench.run.metrics import Scored
from strbench.run.protocols import Protocol, protocol_from_json
from strbench.run.record import Record
from strbench.run.records import predictions_path, read_predictions
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


def scored_samples(record_path: Path, record: Record, protocol: Protocol) -> dict[str, dict[str, Scored]]:
    """dataset -> sample key -> scored sample, from the record's stored predictions."""
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(predictions_path(record_path, record)):
        by_dataset[dataset].append(pred)
    return {name: dict(score(preds, protocol, {}).samples) for name, preds in by_dataset.items()}


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


@dataclass(frozen=True)
class Comparison:
    protocol: str
    versions: list[VersionComparison]
    groups: list[GroupComparison]
    notes: list[str]


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


def compare_scored(a: dict[str, dict[str, Scored]], b: dict[str, dict[str, Scored]],
                   groups: dict[str, list[str]], allow_different_samples: bool = False,
                   resamples: int = COMPARE_RESAMPLES) -> tuple[list[VersionComparison], list[GroupComparison], list[str]]:
    """Per-version and per-group paired comparisons of the samples both sides scored."""
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
        va = per_sample([a[name][k] for k in keys])[:, 0] / 100.0
        vb = per_sample([b[name][k] for k in keys])[:, 0] / 100.0
        only_a, only_b = int(((va == 1) & (vb == 0)).sum()), int(((va == 0) & (vb == 1)).sum())
        draws[name] = bootstrap_means(100.0 * (va - vb), rng_for(name), resamples)
        sizes[name] = len(keys)
        versions.append(VersionComparison(name, len(keys), 100.0 * va.mean(), 100.0 * vb.mean(), only_a, only_b,
                                          100.0 * (only_a - only_b) / len(keys), percentile_interval(draws[name]),
                                          mcnemar_exact(only_a, only_b)))
    group_out = []
    for group, members in groups.items():
        if not all(m in draws for m in members):
            continue
        g = group_draws(draws, sizes, members)
        for kind in ("weighted", "mean"):
            d = g[kind]
            point = (sum(v.diff * v.shared for v in versions if v.name in members) / sum(sizes[m] for m in members)
                     if kind == "weighted" else sum(v.diff for v in versions if v.name in members) / len(members))
            p = max(1.0 / resamples, min(1.0, 2.0 * min(float((d <= 0).mean()), float((d >= 0).mean()))))
            group_out.append(GroupComparison(group, kind, point, percentile_interval(d), p))
    return versions, group_out, notes


def compare_records(path_a: Path, record_a: Record, path_b: Path, record_b: Record,
                    override: Protocol | None = None, allow_different_protocols: bool = False,
                    allow_different_samples: bool = False, groups: dict[str, list[str]] | None = None) -> Comparison:
    """Compare two records' word accuracy on their shared samples."""
    pa, pb, label = resolve_protocols(record_a, record_b, override, allow_different_protocols)
    if groups is None:
        groups = {g: list(e.datasets) for g, e in record_a.summary.groups.items()}
    versions, group_out, notes = compare_scored(scored_samples(path_a, record_a, pa),
                                                scored_samples(path_b, record_b, pb), groups, allow_different_samples)
    return Comparison(label, versions, group_out, notes)


def describe(record: Record) -> str:
    return f"{record.algorithm}/{record.variant} ({Path(record.weights.name).name})"


SIGNIFICANCE = 1.0 - LEVEL


def mark_similar(rows: list[Any], group: str) -> None:
    """Set ``similar_to_above`` on leaderboard rows whose group weighted average does not differ
    significantly from the row above's (same protocol, same samples; others are left unmarked)."""
    from strbench.errors import StrbenchError
    from strbench.run.records import load_record

    for above, row in zip(rows, rows[1:]):
        if (above.protocol != row.protocol or above.path is None or row.path is None
                or above.group_weighted is None or row.group_weighted is None or row.runs > 1 or above.runs > 1):
            continue
        try:
            ra, rb = load_record(above.path), load_record(row.path)
            names = ra.summary.group(group).datasets
            result = compare_records(above.path, ra, row.path, rb, groups={group: list(names)})
        except StrbenchError:
            continue
        weighted = [g for g in result.groups if g.kind == "weighted"]
        row.similar_to_above = bool(weighted) and weighted[0].p_value >= SIGNIFICANCE
