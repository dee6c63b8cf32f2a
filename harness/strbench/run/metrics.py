"""Recognition metrics over normalised (label, prediction, confidence) triples.

- word accuracy: exact string match, in percent;
- 1-NED (ICDAR 2019): ``1 - mean(ED / max(len(gt), len(pred)))``, 0 distance when both are empty,
  in percent (rapidfuzz's normalised Levenshtein distance); under ``ned_empty="zero_if_either_empty"``
  (DTRB) a sample with an empty label or prediction adds similarity 0;
- character precision / recall: matched characters over all predicted / all label characters
  (corpus level, in percent); matched = the longest common subsequence, or under
  ``char_matching="difflib"`` (mmocr) the ``equal`` blocks of ``difflib.SequenceMatcher``;
- mean confidence of the predictions, in percent.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import LCSseq, Levenshtein


@dataclass(frozen=True)
class MetricRules:
    """How a protocol's character metrics count (see the module docstring)."""

    ned_empty: Literal["icdar2019", "zero_if_either_empty"] = "icdar2019"
    char_matching: Literal["lcs", "difflib"] = "lcs"


DEFAULT_RULES = MetricRules()


@dataclass(frozen=True)
class Scored:
    """One evaluated sample after protocol normalisation.

    ``char_label``/``char_prediction``: the strings 1-NED and character precision/recall compare
    when the protocol compares characters on another view than words (mmocr); ``None``: the
    normalised strings."""

    label: str
    prediction: str
    confidence: float
    char_label: str | None = None
    char_prediction: str | None = None
    rules: MetricRules = DEFAULT_RULES

    def char_pair(self) -> tuple[str, str]:
        """(label, prediction) for the character metrics."""
        return (self.label if self.char_label is None else self.char_label,
                self.prediction if self.char_prediction is None else self.char_prediction)


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


def ned_similarity(s: Scored) -> float:
    """``1 - NED`` of one sample in [0, 1], under the sample's protocol rules."""
    label, pred = s.char_pair()
    if s.rules.ned_empty == "zero_if_either_empty" and (not label or not pred):
        return 0.0
    return 1.0 - Levenshtein.normalized_distance(pred, label)


def one_minus_ned(samples: Sequence[Scored]) -> float:
    if not samples:
        return float("nan")
    return 100.0 * sum(ned_similarity(s) for s in samples) / len(samples)


def matched_chars(s: Scored) -> int:
    """Characters of the label the prediction matches (LCS, or difflib's equal blocks)."""
    label, pred = s.char_pair()
    if s.rules.char_matching == "difflib":
        ops = difflib.SequenceMatcher(None, pred, label).get_opcodes()
        return sum(e2 - s2 for op, _, _, s2, e2 in ops if op == "equal")
    return int(LCSseq.similarity(pred, label))


def char_precision(samples: Sequence[Scored]) -> float:
    predicted = sum(len(s.char_pair()[1]) for s in samples)
    if predicted == 0:
        return float("nan")
    return 100.0 * sum(matched_chars(s) for s in samples) / predicted


def char_recall(samples: Sequence[Scored]) -> float:
    labelled = sum(len(s.char_pair()[0]) for s in samples)
    if labelled == 0:
        return float("nan")
    return 100.0 * sum(matched_chars(s) for s in samples) / labelled


def mean_confidence(samples: Sequence[Scored]) -> float:
    if not samples:
        return float("nan")
    return 100.0 * sum(s.confidence for s in samples) / len(samples)
