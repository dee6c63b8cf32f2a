"""Score raw predictions of one dataset under a protocol.

Input is what a record keeps per sample (raw label, raw prediction, confidence), so scoring at
run time and re-scoring a stored record later are the same code: :func:`score` per dataset,
:func:`scored_result` puts a score into a record's dataset entry, :func:`summarize` averages over
the whole run and each suite group.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from strbench.run.metrics import (
    Metric,
    MetricRules,
    Scored,
    char_precision,
    char_recall,
    matched_chars,
    mean_confidence,
    ned_similarity,
    one_minus_ned,
    word_accuracy,
)
from strbench.run.protocols import Protocol
from strbench.run.record import Averages, DatasetResult, SkipCounts, Summary

if TYPE_CHECKING:
    import numpy as np

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
class Columns:
    """Per-sample figures of one dataset's scored samples, in sample order, as compact arrays:
    word correctness (1 byte), 1-NED similarity and confidence (8 bytes each). Intervals and
    calibration need nothing else, so a run keeps these instead of the samples."""

    correct: array = field(default_factory=lambda: array("B"))
    ned: array = field(default_factory=lambda: array("d"))
    confidence: array = field(default_factory=lambda: array("d"))

    def __len__(self) -> int:
        return len(self.correct)

    def add(self, s: Scored) -> None:
        self.correct.append(s.label == s.prediction)
        self.ned.append(ned_similarity(s))
        self.confidence.append(s.confidence)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(correct as bool, 1-NED, confidence) as numpy arrays."""
        import numpy as np

        return (np.frombuffer(self.correct, dtype=np.uint8).astype(bool) if len(self) else np.zeros(0, dtype=bool),
                np.frombuffer(self.ned, dtype=np.float64) if len(self) else np.zeros(0),
                np.frombuffer(self.confidence, dtype=np.float64) if len(self) else np.zeros(0))

    @classmethod
    def of(cls, samples: Iterable[Scored]) -> Columns:
        out = cls()
        for s in samples:
            out.add(s)
        return out


@dataclass
class DatasetScore:
    """Metrics of one dataset under one protocol, with evaluated and skipped counts."""

    evaluated: int
    skipped: int
    skip_reasons: dict[str, int]
    skipped_samples: list[tuple[str, str]]
    long_labels: int
    metrics: dict[str, float] = field(default_factory=dict)
    #: the scored samples with their keys, for paired tests and error analysis (not stored; empty
    #: for a benchmark run, which keeps only :attr:`columns`)
    samples: list[tuple[str, Scored]] = field(default_factory=list, repr=False, compare=False)
    #: the per-sample figures intervals and calibration need (``None``: from :attr:`samples`)
    columns: Columns | None = field(default=None, repr=False, compare=False)

    def skip_counts(self) -> SkipCounts:
        return SkipCounts(self.skipped, dict(self.skip_reasons), list(self.skipped_samples))

    def sample_columns(self) -> Columns:
        return self.columns if self.columns is not None else Columns.of(sc for _, sc in self.samples)


class _Sums:
    """The running sums the built-in metrics are computed from (the same numbers, in the same
    order, as computing them over the list of scored samples)."""

    def __init__(self) -> None:
        self.predicted = self.labelled = self.matched = 0

    def add(self, s: Scored) -> None:
        label, pred = s.char_pair()
        self.predicted += len(pred)
        self.labelled += len(label)
        self.matched += matched_chars(s)


def _ratio(num: float, den: int) -> float:
    return 100.0 * num / den if den else float("nan")


#: the built-in metrics, from the columns and sums instead of the samples
_STREAMED: dict[Callable[[Sequence[Scored]], float], Callable[[Columns, _Sums], float]] = {
    word_accuracy: lambda c, _: _ratio(sum(c.correct), len(c)),
    one_minus_ned: lambda c, _: _ratio(sum(c.ned), len(c)),
    char_precision: lambda _, t: _ratio(t.matched, t.predicted),
    char_recall: lambda _, t: _ratio(t.matched, t.labelled),
    mean_confidence: lambda c, _: _ratio(sum(c.confidence), len(c)),
}


class ScoreStream:
    """:func:`score` one sample at a time. Per sample it keeps only :class:`Columns` (and the keys
    and scored samples when ``keep_samples``, or when a metric other than the built-in ones needs
    the list of scored samples)."""

    def __init__(self, protocol: Protocol, metrics: Mapping[str, Metric], *, keep_samples: bool = True) -> None:
        self.protocol, self.metrics = protocol, metrics
        self.rules = MetricRules(protocol.ned_empty, protocol.char_matching)
        self.keep = keep_samples or any(m.compute not in _STREAMED for m in metrics.values())
        self.scored: list[Scored] = []
        self.keys: list[str] = []
        self.columns = Columns()
        self.sums = _Sums()
        self.reasons: Counter[str] = Counter()
        self.listed: list[tuple[str, str]] = []
        self.long_labels = 0

    def add(self, s: SamplePrediction) -> None:
        protocol = self.protocol
        reason = s.skip
        if reason is None:
            label = protocol.normalize(s.label)
            reason = protocol.label_skip_reason(s.label, label)
        if reason is not None:
            self.reasons[reason] += 1
            if len(self.listed) < MAX_LISTED_SKIPS:
                self.listed.append((s.key, reason))
            return
        self.long_labels += protocol.is_long(s.label)
        scored = Scored(label, protocol.normalize_prediction(s.prediction), s.confidence,
                        protocol.char_view(s.label), protocol.char_view(s.prediction), self.rules)
        self.columns.add(scored)
        self.sums.add(scored)
        if self.keep:
            self.scored.append(scored)
            self.keys.append(s.key)

    def result(self) -> DatasetScore:
        values = {name: (m.compute(self.scored) if self.keep else _STREAMED[m.compute](self.columns, self.sums))
                  for name, m in self.metrics.items()}
        return DatasetScore(len(self.columns), sum(self.reasons.values()), dict(self.reasons), self.listed,
                            self.long_labels, values, list(zip(self.keys, self.scored)), self.columns)


def score(samples: Iterable[SamplePrediction], protocol: Protocol, metrics: Mapping[str, Metric]) -> DatasetScore:
    """Normalise labels and predictions with ``protocol`` and compute every metric."""
    stream = ScoreStream(protocol, metrics)
    for s in samples:
        stream.add(s)
    return stream.result()


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
