"""Uncertainty of the scores: exact binomial intervals, bootstrap intervals, exact McNemar.

- word accuracy of one dataset version: exact Clopper-Pearson interval (beta quantiles found by
  bisection on the regularised incomplete beta function; no SciPy);
- 1-NED of one version and every group average (sample-weighted: bootstrapped per version, then
  weighted; arithmetic: the mean of the per-version bootstraps): percentile bootstrap with a fixed
  seed per version (``BOOTSTRAP_SEED`` and the version's name), so a record's intervals are
  reproducible and do not depend on the order of its versions;
- paired comparisons: exact McNemar per version, paired bootstrap of the difference.
Intervals are in percent, like the metrics.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from strbench.run.metrics import Scored, ned_similarity

LEVEL = 0.95
BOOTSTRAP_SEED = 0
BOOTSTRAP_RESAMPLES = 1000
INTERVAL_METRICS = ("word_accuracy", "one_minus_ned")


def _betacf(x: float, a: float, b: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(x, a, b) / a
    return 1.0 - math.exp(log_front) * _betacf(1.0 - x, b, a) / b


def beta_quantile(q: float, a: float, b: float) -> float:
    """The ``q`` quantile of Beta(a, b), by bisection (to 1e-12)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if incomplete_beta(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact binomial interval for ``k`` successes out of ``n``, in percent."""
    if n <= 0:
        return (math.nan, math.nan)
    alpha = 1.0 - level
    lo = 0.0 if k == 0 else beta_quantile(alpha / 2, k, n - k + 1)
    hi = 1.0 if k == n else beta_quantile(1 - alpha / 2, k + 1, n - k)
    return (100.0 * lo, 100.0 * hi)


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of the discordant pairs at 1/2."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1))
    return min(1.0, (2 * tail) / 2**n)  # exact integers: no overflow for large n


def rng_for(name: str, seed: int = BOOTSTRAP_SEED) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def bootstrap_means(values: np.ndarray, rng: np.random.Generator, resamples: int = BOOTSTRAP_RESAMPLES) -> np.ndarray:
    """Means of ``resamples`` resamples (with replacement) of the rows of ``values`` (n or n x k).
    One resample is drawn at a time, so memory stays at one resample's size (the same draws and
    means as drawing them in blocks)."""
    n = len(values)
    out = np.empty((resamples, *values.shape[1:]))
    for i in range(resamples):
        out[i] = values[rng.integers(0, n, size=n)].mean(axis=0)
    return out


def percentile_interval(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return (float(lo), float(hi))


def per_sample(samples: Sequence[Scored]) -> np.ndarray:
    """n x 2 array: word correct (0/100) and 1-NED (0..100) of every sample."""
    return np.array([[100.0 * (s.label == s.prediction), 100.0 * ned_similarity(s)] for s in samples]).reshape(-1, 2)


def group_draws(draws: Mapping[str, np.ndarray], sizes: Mapping[str, int], names: Sequence[str]) -> dict[str, np.ndarray]:
    """Bootstrap draws of the sample-weighted and the arithmetic average over ``names``."""
    total = sum(sizes[n] for n in names)
    weighted = sum(draws[n] * sizes[n] for n in names) / total
    mean = sum(draws[n] for n in names) / len(names)
    return {"weighted": np.asarray(weighted), "mean": np.asarray(mean)}


def _pair(interval: tuple[float, float]) -> list[float]:
    return [round(interval[0], 4), round(interval[1], 4)]


def record_intervals(scores: Mapping[str, Any], suite: Any = None, level: float = LEVEL) -> dict[str, Any]:
    """The ``intervals`` section of a record from the ``DatasetScore`` of each version (with its
    per-sample columns) and the suite's groups (complete groups only)."""
    datasets: dict[str, Any] = {}
    draws: dict[str, np.ndarray] = {}
    sizes: dict[str, int] = {}
    for name, s in scores.items():
        correct, ned, _ = s.sample_columns().arrays()
        values = np.column_stack((100.0 * correct.astype(np.float64), 100.0 * ned)).reshape(-1, 2)
        if not len(values):
            continue
        sizes[name] = len(values)
        draws[name] = bootstrap_means(values, rng_for(name))
        correct = int(round(values[:, 0].sum() / 100.0))
        datasets[name] = {"word_accuracy": _pair(clopper_pearson(correct, len(values), level)),
                          "one_minus_ned": _pair(percentile_interval(draws[name][:, 1], level))}

    def averages(names: Sequence[str]) -> dict[str, Any]:
        g = group_draws(draws, sizes, names)
        return {kind: {m: _pair(percentile_interval(g[kind][:, i], level)) for i, m in enumerate(INTERVAL_METRICS)}
                for kind in ("weighted", "mean")}

    groups = {}
    for group, names in (suite.groups.items() if suite is not None else []):
        if all(n in draws for n in names):
            groups[group] = averages(list(names))
    return {
        "level": level,
        "method": {"word_accuracy": "exact Clopper-Pearson per version; bootstrap for averages",
                   "one_minus_ned": "percentile bootstrap",
                   "averages": "weighted: per-version bootstrap, weighted by evaluated samples; mean: "
                               "mean of the per-version bootstraps"},
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED},
        "datasets": datasets,
        "all": averages(list(draws)) if draws else {},
        "groups": groups,
    }
