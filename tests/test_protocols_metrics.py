"""Protocol normalisation, metrics on known values, scoring with counted skips and averages."""

from __future__ import annotations

import math

import pytest

from strbench.builtin.metrics import METRICS as BUILTIN_METRICS
from strbench.builtin.protocols import PROTOCOLS as BUILTIN_PROTOCOLS
from strbench.run.metrics import (
    Scored,
    char_precision,
    char_recall,
    mean_confidence,
    one_minus_ned,
    word_accuracy,
)
from strbench.run.scoring import SamplePrediction, averages, score

P = {p.id: p for p in BUILTIN_PROTOCOLS}
M = {m.name: m for m in BUILTIN_METRICS}


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("lower36", "cafe12"),
        ("cased62", "Cafe12"),
        ("full94", "Cafe12!"),
        ("paddle-filter", "caf12"),
        ("mmocr-ignore-case-symbol", "caf12"),
        ("exact", "Café 12!"),
    ],
)
def test_normalisation(protocol: str, expected: str) -> None:
    assert P[protocol].normalize("Café 12!") == expected


def test_mmocr_keeps_caret_like_mmocr() -> None:
    assert P["mmocr-ignore-case-symbol"].normalize("A^b-c") == "a^bc"


def test_every_protocol_states_its_rules() -> None:
    for p in BUILTIN_PROTOCOLS:
        assert p.description and p.key == f"{p.id}@{p.version}"


def test_metrics_known_values() -> None:
    s = [Scored("abc", "abc", 1.0), Scored("abc", "abd", 0.5)]
    assert word_accuracy(s) == 50.0
    assert one_minus_ned(s) == pytest.approx(100 * (1 - (0 + 1 / 3) / 2))
    assert char_precision(s) == pytest.approx(100 * 5 / 6)
    assert char_recall([Scored("abcd", "ab", 1.0)]) == pytest.approx(50.0)
    assert char_precision([Scored("abcd", "ab", 1.0)]) == pytest.approx(100.0)
    assert mean_confidence(s) == pytest.approx(75.0)
    assert one_minus_ned([Scored("", "", 1.0)]) == 100.0
    assert math.isnan(word_accuracy([]))


def test_long_labels_kept_and_counted_empty_labels_skipped() -> None:
    long = "a" * 30
    preds = [
        SamplePrediction("k1", long, long, 0.9),
        SamplePrediction("k2", "!!", "x", 0.1),  # empty after lower36 normalisation
        SamplePrediction("k3", "", skip="cannot decode image"),
        SamplePrediction("k4", "Hello", "hello", 0.8),
    ]
    s = score(preds, P["lower36"], M)
    assert s.evaluated == 2 and s.long_labels == 1 and s.skipped == 2
    assert s.skip_reasons == {"empty label after normalisation": 1, "cannot decode image": 1}
    assert s.metrics["word_accuracy"] == 100.0
    cased = score(preds, P["cased62"], M)
    assert cased.metrics["word_accuracy"] == 50.0


def test_weighted_and_mean_averages() -> None:
    a = score([SamplePrediction("1", "a", "a", 1.0)] * 3, P["lower36"], M)
    b = score([SamplePrediction("1", "a", "b", 1.0)], P["lower36"], M)
    avg = averages({"A": a, "B": b})
    assert avg["weighted"]["word_accuracy"] == pytest.approx(75.0)
    assert avg["mean"]["word_accuracy"] == pytest.approx(50.0)
