"""Paired comparison of two systems A and B scored on the same test files, metric by metric (higher is better
for every metric): the per-file difference Δ = A − B; its mean; a percentile bootstrap confidence interval of
the mean, resampling files with replacement (a fixed seed: the same interval every time); the two-sided
Wilcoxon signed-rank p-value (zero differences dropped; 1 when every Δ is 0); Holm's step-down correction over
the metrics; and a verdict: A better (or worse) than B when the adjusted p is below alpha and the interval
excludes 0, else no detectable difference."""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats

from common.evaluation.aggregate import LABELS

ALPHA = 0.05
CONFIDENCE = 0.95
RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
BLOCK = 500  # resamples drawn at a time (memory: BLOCK × files × metrics values)


@dataclasses.dataclass
class MetricComparison:
    metric: str
    mean_a: float
    mean_b: float
    delta: float  # mean over files of A − B
    low: float  # the confidence interval of delta
    high: float
    p: float  # Wilcoxon signed-rank, two-sided
    p_holm: float  # p adjusted over the compared metrics
    direction: int  # +1: A better, -1: A worse, 0: no detectable difference


def holm(pvalues) -> np.ndarray:
    """Holm's adjusted p-values, in the order given: the k-th smallest of m is multiplied by m − k + 1, made
    non-decreasing along that order and capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def wilcoxon_p(delta: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of the paired differences; 1 when all of them are 0."""
    if not np.any(delta):
        return 1.0
    return float(stats.wilcoxon(delta, alternative="two-sided").pvalue)


def bootstrap_interval(deltas: np.ndarray, resamples: int = RESAMPLES, confidence: float = CONFIDENCE,
                       seed: int = BOOTSTRAP_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the mean of each column of `deltas` (files × metrics) over `resamples` draws of
    the files with replacement (one draw serves every metric)."""
    rng = np.random.default_rng(seed)
    n = len(deltas)
    means = np.concatenate([deltas[rng.integers(0, n, size=(min(BLOCK, resamples - start), n))].mean(axis=1)
                            for start in range(0, resamples, BLOCK)])
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail], axis=0)
    return low, high


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray], alpha: float = ALPHA,
            resamples: int = RESAMPLES) -> list[MetricComparison]:
    """A vs B for each metric of `a` ({metric: per-file scores}; `b` the same files in the same order)."""
    metrics = list(a)
    deltas = np.stack([a[m] - b[m] for m in metrics], axis=1)
    low, high = bootstrap_interval(deltas, resamples)
    p = [wilcoxon_p(deltas[:, i]) for i in range(len(metrics))]
    out = []
    for i, (m, p_holm) in enumerate(zip(metrics, holm(p))):
        direction = 0 if p_holm >= alpha else 1 if low[i] > 0 else -1 if high[i] < 0 else 0
        out.append(MetricComparison(m, float(a[m].mean()), float(b[m].mean()), float(deltas[:, i].mean()),
                                    float(low[i]), float(high[i]), p[i], float(p_holm), direction))
    return out


def p_text(p: float) -> str:
    """'< 0.001', or p to three significant digits below 0.1 and two decimals above."""
    return "< 0.001" if p < 0.001 else f"{p:.3g}" if p < 0.1 else f"{p:.2f}"


def interval_text(c: MetricComparison) -> str:
    return f"[{c.low:+.4f}, {c.high:+.4f}]"


def verdict(c: MetricComparison, a_name: str, b_name: str) -> str:
    """'A better than B on PESQ: +0.0500 [+0.0300, +0.0700], Holm p = 0.0012', or 'no detectable difference on …'."""
    p = p_text(c.p_holm)
    numbers = f"{c.delta:+.4f} {interval_text(c)}, Holm p {p if p.startswith('<') else '= ' + p}"
    if c.direction == 0:
        return f"no detectable difference on {LABELS[c.metric]}: {numbers}"
    return f"{a_name} {'better' if c.direction > 0 else 'worse'} than {b_name} on {LABELS[c.metric]}: {numbers}"
