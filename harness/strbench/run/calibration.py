"""How far a recognizer's confidences can be trusted: a record's ``calibration`` section.

Word level: a sample is *correct* when its prediction equals its label after the record's protocol
normalisation (word accuracy's rule), and its *confidence* is the plugin's confidence in [0, 1].
For each dataset version, each complete suite group and all versions together (samples pooled):

- **ECE** (expected calibration error): 15 equal-width bins ``[0, 1/15), ..., [14/15, 1]``;
  ``sum_b n_b / N * |accuracy_b - mean confidence_b|``, in percent;
- **Brier score**: ``mean((confidence - correct)^2)``, in [0, 1];
- **AURC** (area under the risk-coverage curve): samples ordered by decreasing confidence, the risk
  (error rate) of the ``k`` most confident ones averaged over ``k = 1..N``, in percent; **E-AURC**
  (excess AURC) subtracts the AURC of a perfect ranking (every correct word before every wrong one),
  which depends on accuracy alone, so it compares the ranking of models of different accuracy;
- **accuracy at 90% and 95% coverage**: word accuracy of the ``ceil(c * N)`` most confident samples.

Tied confidences have no order: the risk inside a run of equal confidences is the expectation over
every order (cumulative errors grow linearly through the run), so the figures do not depend on the
order samples were stored in. A set whose confidences are constant (a plugin without confidences
reports the same value for every word), non-finite or outside [0, 1] gets no figures: it is marked
``informative: false`` with the reason ("confidence not informative").

Groups and ``all`` also store the reliability diagram (per bin: samples, mean confidence, accuracy)
and the risk-coverage curve at 2% coverage steps, enough to draw both without the predictions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from strbench.run.metrics import Scored

BINS = 15
COVERAGES = (0.90, 0.95)
CURVE_STEP = 0.02
NOT_INFORMATIVE = "confidence not informative"
UNITS = {"ece": "%", "brier": "0-1", "aurc": "%", "e_aurc": "%", "accuracy": "%", "mean_confidence": "%",
         "accuracy_at_coverage": "%"}


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def coverage_key(coverage: float) -> str:
    """``0.9`` -> ``"90"``: the key of an accuracy-at-coverage figure."""
    return f"{100 * coverage:g}"


def uninformative_reason(confidence: np.ndarray) -> str | None:
    """Why ``confidence`` cannot be judged as a probability of being right; ``None`` when it can."""
    if not len(confidence):
        return "no scored samples"
    if not np.isfinite(confidence).all():
        return f"{NOT_INFORMATIVE}: non-finite confidences"
    low, high = float(confidence.min()), float(confidence.max())
    if low < 0.0 or high > 1.0:
        return f"{NOT_INFORMATIVE}: confidences outside [0, 1] ({low:g} to {high:g})"
    if low == high:
        return f"{NOT_INFORMATIVE}: the same confidence ({low:g}) for every word"
    return None


def cumulative_errors(confidence: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Expected errors among the ``k`` most confident samples, ``k = 1..N`` (ties: every order equally likely)."""
    order = np.argsort(-confidence, kind="stable")
    conf, err = confidence[order], 1.0 - correct[order]
    n = len(conf)
    starts = np.flatnonzero(np.r_[True, conf[1:] != conf[:-1]])  # first position of each run of ties
    sizes = np.diff(np.r_[starts, n])
    run_errors = np.add.reduceat(err, starts)
    before = np.r_[0.0, np.cumsum(run_errors)[:-1]]
    run = np.repeat(np.arange(len(starts)), sizes)
    position = np.arange(1, n + 1)
    return before[run] + (position - starts[run]) * run_errors[run] / sizes[run]


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> dict[str, list[Any]]:
    """Per equal-width bin: samples, mean confidence and accuracy (percent; ``None`` for an empty bin)."""
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(index, minlength=bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    right = np.bincount(index, weights=correct, minlength=bins)
    return {
        "count": [int(c) for c in count],
        "confidence": [_r(100 * s / c) if c else None for s, c in zip(conf_sum, count)],
        "accuracy": [_r(100 * r / c) if c else None for r, c in zip(right, count)],
    }


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> float:
    """ECE over ``bins`` equal-width bins, as a fraction."""
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(index, minlength=bins)
    gap = np.abs(np.bincount(index, weights=correct, minlength=bins) -
                 np.bincount(index, weights=confidence, minlength=bins))
    return float(gap.sum() / count.sum())


def calibration_of(samples: Sequence[Scored], *, curves: bool = False) -> dict[str, Any]:
    """The calibration entry of one set of scored samples (see the module docstring)."""
    return calibration_of_arrays(np.array([s.confidence for s in samples], dtype=np.float64),
                                 np.array([s.label == s.prediction for s in samples], dtype=np.float64), curves=curves)


def calibration_of_arrays(confidence: np.ndarray, correct: np.ndarray, *, curves: bool = False) -> dict[str, Any]:
    """:func:`calibration_of` from the samples' confidences and word correctness (0/1 floats)."""
    n = len(confidence)
    out: dict[str, Any] = {"samples": n}
    if n:
        out["accuracy"] = _r(100 * correct.mean())
    reason = uninformative_reason(confidence)
    if reason is not None:
        out.update(informative=False, reason=reason)
        return out
    cum = cumulative_errors(confidence, correct)
    position = np.arange(1, n + 1)
    out.update(
        informative=True,
        mean_confidence=_r(100 * confidence.mean()),
        ece=_r(100 * expected_calibration_error(confidence, correct)),
        brier=_r(float(np.mean((confidence - correct) ** 2)), 6),
        aurc=_r(100 * float(np.mean(cum / position))),
        e_aurc=_r(100 * float(np.mean(cum / position) - np.mean(np.maximum(0.0, position - correct.sum()) / position))),
        accuracy_at_coverage={coverage_key(c): _r(100 * (1 - cum[k - 1] / k))
                              for c in COVERAGES for k in [max(1, math.ceil(round(c * n, 9)))]},
    )
    if curves:
        steps = np.round(np.arange(CURVE_STEP, 1 + CURVE_STEP / 2, CURVE_STEP), 6)
        ks = np.maximum(1, np.ceil(np.round(steps * n, 9)).astype(int))
        out["reliability"] = reliability(confidence, correct)
        out["risk_coverage"] = {"coverage": [_r(s) for s in steps], "risk": [_r(100 * cum[k - 1] / k) for k in ks]}
    return out


def record_calibration(scores: Mapping[str, Any], suite: Any = None) -> dict[str, Any]:
    """The ``calibration`` section of a record from the ``DatasetScore`` of each version (with its
    per-sample columns) and the suite's groups (complete groups only, samples pooled)."""
    columns = {name: s.sample_columns().arrays() for name, s in scores.items()}
    samples = {name: (conf, correct.astype(np.float64)) for name, (correct, _, conf) in columns.items()}

    def pooled(names: Sequence[str]) -> dict[str, Any]:
        parts = [samples[n] for n in names]
        return calibration_of_arrays(np.concatenate([c for c, _ in parts]) if parts else np.zeros(0),
                                     np.concatenate([k for _, k in parts]) if parts else np.zeros(0), curves=True)

    groups = {}
    for group, names in (suite.groups.items() if suite is not None else []):
        if all(n in samples for n in names):
            groups[group] = pooled(list(names))
    return {
        "correct": "word-level: the prediction equals the label under the record's protocol",
        "bins": BINS,
        "coverages": list(COVERAGES),
        "ties": "expected over every order of equal confidences",
        "units": dict(UNITS),
        "datasets": {name: calibration_of_arrays(*s) for name, s in samples.items()},
        "all": pooled(list(samples)),
        "groups": groups,
    }


def informative(entry: Mapping[str, Any] | None) -> bool:
    """Whether a calibration entry carries figures."""
    return entry is not None and bool(entry.get("informative"))
