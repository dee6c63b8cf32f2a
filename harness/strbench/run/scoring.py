"""Score raw predictions of one dataset under a protocol.

Input is what a record keeps per sample (raw label, raw prediction, confidence), so scoring at
run time and re-scoring a stored record later are the same code: :func:`score` per dataset,
:func:`scored_result` puts a score into a record's dataset entry, :func:`summarize` averages over
the whole run and each suite group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from strbench.run.metrics import Metric, MetricRules, Scored
from strbench.run.protocols import Protocol
from strbench.run.record import Averages, DatasetResult, SkipCounts, Summary

if TYPE_CHECKING:
    from strbench.data.suite import BenchmarkSuite

MAX_LISTED_SKIPS = 50


@dataclass(frozen=True)
class SamplePrediction:
    """One sample of a run: raw strings, or the reason it could not be evaluated (``skip``)."""

    key: str
    label: str
    prediction: str = ""
    confidence: float = 0.0
    skip: str | None = None

    def to_json(self, dataset: str) -> dict[str, Any]:
        row: dict[str, Any] = {"dataset": dataset, "key": self.key, "label": self.label}
        if self.skip is not None:
            row["skip"] = self.skip
        else:
            row["prediction"] = self.prediction
            row["confidence"] = round(float(self.confidence), 6)
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> SamplePrediction:
        return cls(row["key"], row.get("label", ""), row.get("prediction", ""),
                   float(row.get("confidence", 0.0)), row.get("skip"))


@dataclass
class DatasetScore:
    """Metrics of one dataset under one protocol, with evaluated and skipped counts."""

    evaluated: int
    skipped: int
    skip_reasons: dict[str, int]
    skipped_samples: list[tuple[str, str]]
    long_labels: int
    metrics: dict[str, float] = field(default_factory=dict)
    #: the scored samples with their keys, for intervals, paired tests and error analysis (not stored)
    samples: list[tuple[str, Scored]] = field(default_factory=list, repr=False, compare=False)

    def skip_counts(self) -> SkipCounts:
        return SkipCounts(self.skipped, dict(self.skip_reasons), list(self.skipped_samples))


def score(samples: Iterable[SamplePrediction], protocol: Protocol, metrics: Mapping[str, Metric]) -> DatasetScore:
    """Normalise labels and predictions with ``protocol`` and compute every metric."""
    scored: list[Scored] = []
    keys: list[str] = []
    rules = MetricRules(protocol.ned_empty, protocol.char_matching)
    reasons: Counter[str] = Counter()
    listed: list[tuple[str, str]] = []
    long_labels = 0
    for s in samples:
        reason = s.skip
        if reason is None:
            label = protocol.normalize(s.label)
            reason = protocol.label_skip_reason(s.label, label)
        if reason is not None:
            reasons[reason] += 1
            if len(listed) < MAX_LISTED_SKIPS:
                listed.append((s.key, reason))
            continue
        long_labels += protocol.is_long(s.label)
        scored.append(Scored(label, protocol.normalize_prediction(s.prediction), s.confidence,
                             protocol.char_view(s.label), protocol.char_view(s.prediction), rules))
        keys.append(s.key)
    values = {name: m.compute(scored) for name, m in metrics.items()}
    return DatasetScore(len(scored), sum(reasons.values()), dict(reasons), listed, long_labels, values,
                        list(zip(keys, scored)))


def averages(per_dataset: Mapping[str, DatasetScore]) -> dict[str, dict[str, float]]:
    """Sample-weighted and arithmetic means of every metric over ``per_dataset``."""
    names = sorted({m for s in per_dataset.values() for m in s.metrics})
    weighted, mean = {}, {}
    total = sum(s.evaluated for s in per_dataset.values())
    for name in names:
        vals = [(s.metrics[name], s.evaluated) for s in per_dataset.values() if s.metrics.get(name) == s.metrics.get(name)]
        if not vals or total == 0:
            continue
        weight = sum(n for _, n in vals)
        weighted[name] = sum(v * n for v, n in vals) / weight if weight else float("nan")
        mean[name] = sum(v for v, _ in vals) / len(vals)
    return {"weighted": weighted, "mean": mean}


def scored_result(result: DatasetResult, s: DatasetScore) -> DatasetResult:
    """``result`` with the evaluated and skipped counts and the metrics of ``s``."""
    return replace(result, evaluated=s.evaluated, skipped=s.skip_counts(), long_labels=s.long_labels,
                   metrics=dict(s.metrics))


def summarize(scores: Mapping[str, DatasetScore], suite: BenchmarkSuite | None) -> Summary:
    """Averages over all evaluated versions and over each suite group that is complete."""
    overall = averages(scores)
    groups = {}
    for group, names in (suite.groups.items() if suite else []):
        missing = [n for n in names if n not in scores]
        entry = Averages(list(names), complete=not missing, missing=missing)
        if not missing:
            means = averages({n: scores[n] for n in names})
            entry.weighted, entry.mean = means["weighted"], means["mean"]
        groups[group] = entry
    return Summary(Averages(list(scores), weighted=overall["weighted"], mean=overall["mean"]), groups)
