"""Exact binomial intervals, McNemar and bootstrap intervals against known values."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from strbench.builtin.metrics import METRICS
from strbench.builtin.protocols import PROTOCOLS
from strbench.run.scoring import SamplePrediction, score
from strbench.run.stats import clopper_pearson, incomplete_beta, mcnemar_exact, record_intervals

P = {p.id: p for p in PROTOCOLS}
M = {m.name: m for m in METRICS}


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [  # scipy.stats.beta.ppf(0.025, k, n-k+1) and ppf(0.975, k+1, n-k), in percent
        (3, 10, 6.673951117773447, 65.24528500599973),
        (10, 10, 69.15028921812392, 100.0),
        (0, 10, 0.0, 30.84971078187608),
        (2918, 3000, 96.61844958644285, 97.8203294791476),
        (571, 647, 85.51907609035575, 90.63254973607454),
        (1, 1, 2.5, 100.0),
    ],
)
def test_clopper_pearson_matches_known_values(k: int, n: int, lo: float, hi: float) -> None:
    got = clopper_pearson(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-9) and got[1] == pytest.approx(hi, abs=1e-9)


def test_incomplete_beta_known_values() -> None:
    assert incomplete_beta(0.5, 2, 2) == pytest.approx(0.5)
    assert incomplete_beta(0.3, 1, 1) == pytest.approx(0.3)
    assert incomplete_beta(0.2, 2, 3) == pytest.approx(0.1808)  # 6x^2 - 8x^3 + 3x^4


@pytest.mark.parametrize(("b", "c", "p"), [(5, 1, 0.21875), (12, 30, 0.007915897334896727), (0, 7, 0.015625),
                                           (40, 40, 1.0), (0, 0, 1.0)])
def test_mcnemar_exact_matches_binomial_test(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)


def _dataset(right: int, wrong: int):
    preds = ([SamplePrediction(f"r{i}", "word", "word", 1.0) for i in range(right)]
             + [SamplePrediction(f"w{i}", "word", "wore", 1.0) for i in range(wrong)])
    return score(preds, P["lower36"], M)


def test_record_intervals_cover_the_estimates_and_are_reproducible() -> None:
    scores = {"A": _dataset(80, 20), "B": _dataset(30, 10)}
    suite = SimpleNamespace(groups={"g": ("A", "B"), "missing": ("A", "C")})
    out = record_intervals(scores, suite)
    assert out == record_intervals(scores, suite)  # fixed seed
    a = out["datasets"]["A"]
    assert a["word_accuracy"] == [round(v, 4) for v in clopper_pearson(80, 100)]
    lo, hi = a["one_minus_ned"]  # 1-NED = 80 + 20 * 0.75 = 95
    assert lo < 95.0 < hi and hi - lo < 5
    g = out["groups"]["g"]
    weighted = 100 * 110 / 140
    assert g["weighted"]["word_accuracy"][0] < weighted < g["weighted"]["word_accuracy"][1]
    assert g["mean"]["word_accuracy"][0] < 77.5 < g["mean"]["word_accuracy"][1]
    assert "missing" not in out["groups"]
    assert math.isnan(clopper_pearson(0, 0)[0])
