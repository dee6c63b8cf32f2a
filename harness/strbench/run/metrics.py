"""Recognition metrics over normalised (label, prediction, confidence) triples.

- word accuracy: exact string match, in percent;
- 1-NED (ICDAR 2019): ``1 - mean(ED / max(len(gt), len(pred)))``, 0 distance when both are empty,
  in percent (rapidfuzz's normalised Levenshtein distance);
- character precision / recall: characters of the longest common subsequence over all predicted /
  all label characters (corpus level, in percent);
- mean confidence of the predictions, in percent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq, Levenshtein


@dataclass(frozen=True)
class Scored:
    """One evaluated sample after protocol normalisation."""

    label: str
    prediction: str
    confidence: float


@dataclass(frozen=True)
class Metric:
    """A named metric: ``compute`` maps the scored samples of one dataset to a number."""

    name: str
    description: str
    compute: Callable[[Sequence[Scored]], float]
    unit: str = "%"
    higher_is_better: bool = True


def word_accuracy(samples: Sequence[Scored]) -> float:
    if not samples:
        return float("nan")
    return 100.0 * sum(s.label == s.prediction for s in samples) / len(samples)


def one_minus_ned(samples: Sequence[Scored]) -> float:
    if not samples:
        return float("nan")
    total = sum(Levenshtein.normalized_distance(s.prediction, s.label) for s in samples)
    return 100.0 * (1.0 - total / len(samples))


def char_precision(samples: Sequence[Scored]) -> float:
    predicted = sum(len(s.prediction) for s in samples)
    if predicted == 0:
        return float("nan")
    return 100.0 * sum(LCSseq.similarity(s.prediction, s.label) for s in samples) / predicted


def char_recall(samples: Sequence[Scored]) -> float:
    labelled = sum(len(s.label) for s in samples)
    if labelled == 0:
        return float("nan")
    return 100.0 * sum(LCSseq.similarity(s.prediction, s.label) for s in samples) / labelled


def mean_confidence(samples: Sequence[Scored]) -> float:
    if not samples:
        return float("nan")
    return 100.0 * sum(s.confidence for s in samples) / len(samples)
