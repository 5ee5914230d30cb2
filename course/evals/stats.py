"""Statistics for evals: how far could this number move, and is B really better than A?

An eval score is a mean over a few hundred items; on other items it would differ. Each
function here states its formula, so a reader can check it by hand. All resampling is seeded:
the same call gives the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from course.errors import CourseError

ArrayLike = Sequence[float] | Sequence[bool] | np.ndarray
Statistic = Callable[..., np.ndarray]

_MAX_CELLS = 1_000_000  # resample in batches of at most this many numbers (bounded memory)
_MAX_DROPPED = 0.05


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval [low, high]."""

    estimate: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True)
class Comparison:
    """B minus A: the difference in means, its confidence interval and a two-sided p-value."""

    difference: float
    low: float
    high: float
    p_value: float
    confidence: float
    n_a: int
    n_b: int


@dataclass(frozen=True)
class McNemar:
    """Paired pass/fail counts for systems A and B, and the exact McNemar p-value."""

    both: int
    a_only: int
    b_only: int
    neither: int
    p_value: float

    @property
    def n(self) -> int:
        return self.both + self.a_only + self.b_only + self.neither

    @property
    def difference(self) -> float:
        """pass rate(B) - pass rate(A) = (b_only - a_only) / n."""
        return (self.b_only - self.a_only) / self.n if self.n else 0.0


@dataclass(frozen=True)
class Alignment:
    """How a judge's verdicts agree with human labels; positive = the human says pass."""

    tpr: float
    tnr: float
    tp: int
    fn: int
    tn: int
    fp: int

    @property
    def n(self) -> int:
        return self.tp + self.fn + self.tn + self.fp

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n


def bootstrap_ci(
    values: ArrayLike,
    stat: Statistic = np.mean,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap confidence interval for stat(values).

    Draw B = n_resamples samples x*_1..x*_B of the n values with replacement, compute
    θ*_b = stat(x*_b), and report the α/2 and 1 - α/2 quantiles of the θ*_b, with
    α = 1 - confidence. The estimate is stat(values) itself. It assumes independent items,
    and it cannot reach beyond what the sample shows: with n under ~30, or a pass rate of
    0% or 100%, the interval is too narrow. `stat` must take `axis=` like numpy reductions.
    """
    x = _as_array(values, "values")
    replicates = _resample(x, stat, n_resamples, np.random.default_rng(seed))
    low, high = _percentiles(replicates, confidence)
    return Interval(float(stat(x)), low, high, confidence)


def paired_bootstrap(
    a: ArrayLike,
    b: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Comparison:
    """mean(b) - mean(a) on the same items, with a percentile bootstrap CI and p-value.

    Pairing: item i's two scores are resampled together, which amounts to resampling the
    per-item differences d_i = b_i - a_i; how hard each item is cancels out, so the interval
    is much narrower than comparing two separate intervals. Δ*_b = mean of d over a
    resample of item indices, B times; CI = the α/2 and 1 - α/2 quantiles of Δ*.
      p = min(1, 2 · min(share(Δ* ≤ 0), share(Δ* ≥ 0)))
    is the doubled share of resamples on the far side of zero: a bootstrap approximation to
    a two-sided test of "no difference", not an exact test (for pass/fail data prefer
    mcnemar_exact).
    """
    x, y = _as_array(a, "a"), _as_array(b, "b")
    if len(x) != len(y):
        raise CourseError(
            f"Paired scores need one value per item in each run; got {len(x)} and {len(y)}.",
            hint="Align both runs on item id first (regression_gate does this).",
        )
    differences = y - x
    deltas = _resample(differences, np.mean, n_resamples, np.random.default_rng(seed))
    low, high = _percentiles(deltas, confidence)
    return Comparison(
        float(differences.mean()), low, high, _two_sided(deltas), confidence, len(x), len(y)
    )


def unpaired_bootstrap(
    a: ArrayLike,
    b: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Comparison:
    """mean(b) - mean(a) for independent samples (different items), bootstrapped.

    a and b are resampled separately: Δ*_b = mean(b*_b) - mean(a*_b); CI and p-value as in
    paired_bootstrap. Use it only when the items really differ: on the same items it
    ignores the pairing and gives a needlessly wide interval.
    """
    x, y = _as_array(a, "a"), _as_array(b, "b")
    rng = np.random.default_rng(seed)
    deltas = _resample(y, np.mean, n_resamples, rng) - _resample(x, np.mean, n_resamples, rng)
    low, high = _percentiles(deltas, confidence)
    return Comparison(
        float(y.mean() - x.mean()), low, high, _two_sided(deltas), confidence, len(x), len(y)
    )


def mcnemar_exact(a_pass: ArrayLike, b_pass: ArrayLike) -> McNemar:
    """Exact McNemar test: do A and B pass the same items at different rates?

    Only discordant items carry evidence: b = #(A pass, B fail), c = #(A fail, B pass).
    If A and B were equally good, each discordant item would go either way with chance 1/2,
    so c ~ Binomial(b + c, 1/2). The two-sided exact p-value is
      p = min(1, 2 · P[X ≤ min(b, c)]) = min(1, 2 · Σ_{i=0}^{min(b,c)} C(b+c, i) / 2^(b+c)),
    with X ~ Binomial(b + c, 1/2), and p = 1 when b + c = 0.
    """
    x, y = _as_binary(a_pass, "a_pass"), _as_binary(b_pass, "b_pass")
    if len(x) != len(y):
        raise CourseError(
            f"Paired outcomes need one value per item in each run; got {len(x)} and {len(y)}.",
            hint="Align both runs on item id first (regression_gate does this).",
        )
    a_only, b_only = int(np.sum(x & ~y)), int(np.sum(~x & y))
    discordant = a_only + b_only
    if discordant == 0:
        p_value = 1.0  # no item tells the two systems apart
    else:
        # Exact: under "no difference" each discordant item is a fair coin, so the chance of a
        # split at least this uneven is counted with binomial coefficients (no scipy needed).
        tail = sum(math.comb(discordant, k) for k in range(min(a_only, b_only) + 1))
        p_value = min(1.0, 2 * tail / 2**discordant)
    return McNemar(int(np.sum(x & y)), a_only, b_only, int(np.sum(~x & ~y)), p_value)


def judge_alignment(judge: ArrayLike, human: ArrayLike) -> Alignment:
    """How often a judge agrees with human labels, split by what the human said.

    Positive = the human says pass. TP = judge pass & human pass, FN = judge fail & human
    pass, TN = judge fail & human fail, FP = judge pass & human fail.
      TPR (sensitivity) = TP / (TP + FN): share of human passes the judge also passes.
      TNR (specificity) = TN / (TN + FP): share of human fails the judge also fails.
    Two rates rather than accuracy: on a set where humans pass 90%, a judge that passes
    everything has 90% accuracy and a TNR of 0.
    """
    j, h = _as_binary(judge, "judge"), _as_binary(human, "human")
    if len(j) != len(h):
        raise CourseError(
            f"Need one judge and one human label per item; got {len(j)} and {len(h)}.",
            hint="Label the same items by hand that the judge scored.",
        )
    tp, fn = int(np.sum(j & h)), int(np.sum(~j & h))
    tn, fp = int(np.sum(~j & ~h)), int(np.sum(j & ~h))
    if tp + fn == 0 or tn + fp == 0:
        raise CourseError(
            f"The human labels hold {tp + fn} pass(es) and {tn + fp} fail(s); both rates "
            "need some of each.",
            hint="Label more items, including some the system gets wrong.",
        )
    return Alignment(tp / (tp + fn), tn / (tn + fp), tp, fn, tn, fp)


def corrected_success_rate(p_obs: float, tpr: float, tnr: float) -> float:
    """The true pass rate θ behind a judge's observed pass rate, given its TPR and TNR.

    The judge passes a truly passing item with probability TPR and a truly failing one with
    probability 1 - TNR, so p_obs = TPR·θ + (1 - TNR)·(1 - θ). Solving for θ:
      θ = (p_obs + TNR - 1) / (TPR + TNR - 1), clipped to [0, 1] (noise can push it out).
    Needs TPR + TNR > 1. At TPR + TNR = 1 the verdict is independent of the truth (a coin
    flip) and below it the judge is worse than one; no correction can recover θ.
    """
    for name, value in (("p_obs", p_obs), ("tpr", tpr), ("tnr", tnr)):
        if not 0.0 <= value <= 1.0:
            raise CourseError(f"{name} must be a rate in [0, 1], got {value}.")
    if tpr + tnr <= 1.0:
        raise CourseError(
            f"TPR + TNR = {tpr + tnr:.3f} <= 1: this judge is no better than chance, so its "
            "pass rate says nothing about the true one.",
            hint="Improve the judge (a sharper rubric, examples, a stronger model) and "
            "measure its alignment again on human-labelled items.",
        )
    return float(np.clip((p_obs + tnr - 1.0) / (tpr + tnr - 1.0), 0.0, 1.0))


def corrected_rate_ci(
    judge_labels_on_dev: ArrayLike,
    human_labels_on_dev: ArrayLike,
    judge_labels_on_test: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """corrected_success_rate with a CI that includes the uncertainty in TPR and TNR.

    Each replicate resamples the human-labelled dev pairs (judge_i, human_i) together and,
    independently, the judge's labels on the test set; it recomputes TPR*, TNR* and p_obs*,
    then θ* = (p_obs* + TNR* - 1) / (TPR* + TNR* - 1), clipped to [0, 1]. The CI is the
    percentile interval of θ*. Replicates with no θ* (no human passes or fails drawn, or
    TPR* + TNR* <= 1) are dropped; if more than 5% are, this raises: the dev set is too
    small or the judge too weak for a trustworthy correction.
    """
    alignment = judge_alignment(judge_labels_on_dev, human_labels_on_dev)
    test = _as_binary(judge_labels_on_test, "judge_labels_on_test")
    p_obs = float(test.mean())
    estimate = corrected_success_rate(p_obs, alignment.tpr, alignment.tnr)

    rng = np.random.default_rng(seed)
    # Resampling n labelled pairs with replacement is the same as drawing the counts of
    # the four kinds (TP, FN, TN, FP) from a multinomial; for the test labels, the count of
    # passes from a binomial. Same distribution, without materialising B x n arrays.
    counts = np.array([alignment.tp, alignment.fn, alignment.tn, alignment.fp])
    tp, fn, tn, fp = rng.multinomial(alignment.n, counts / alignment.n, size=n_resamples).T
    p_star = rng.binomial(len(test), p_obs, size=n_resamples) / len(test)
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr, tnr = tp / (tp + fn), tn / (tn + fp)
        theta = (p_star + tnr - 1.0) / (tpr + tnr - 1.0)
    usable = (tp + fn > 0) & (tn + fp > 0) & (tpr + tnr > 1.0)
    dropped = 1.0 - usable.mean()
    if dropped > _MAX_DROPPED:
        raise CourseError(
            f"{dropped:.0%} of bootstrap replicates had a judge no better than chance "
            "(or no human passes or fails), so the interval would not be trustworthy.",
            hint="Label more dev items, or improve the judge before correcting its rate.",
        )
    low, high = _percentiles(np.clip(theta[usable], 0.0, 1.0), confidence)
    return Interval(estimate, low, high, confidence)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k samples passes, from n samples of which c passed.

    The unbiased estimator of Chen et al. (2021, "Evaluating Large Language Models Trained
    on Code"): the chance that a random k-subset of the n samples holds a pass,
      pass@k = 1 - C(n - c, k) / C(n, k) = 1 - Π_{i=n-c+1}^{n} (1 - k / i),
    the product form avoiding huge binomial coefficients. 1.0 when n - c < k.
    """
    _check_counts(n, c, k)
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k: chance that all of k trials pass, from n trials of which c passed.

    Reliability rather than capability (τ-bench, Yao et al. 2024): an agent that succeeds
    70% of the time passes three runs in a row only ~34% of the time. Unbiased estimator:
      pass^k = C(c, k) / C(n, k) = Π_{i=0}^{k-1} (c - i) / (n - i), and 0 when c < k.
    """
    _check_counts(n, c, k)
    if c < k:
        return 0.0
    i = np.arange(k)
    return float(np.prod((c - i) / (n - i)))


# -- helpers ---------------------------------------------------------------------------


def _as_array(values: ArrayLike, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0:
        raise CourseError(f"{name} must be a non-empty list of numbers, got shape {x.shape}.")
    if np.isnan(x).any():
        raise CourseError(
            f"{name} holds {int(np.isnan(x).sum())} NaN value(s): items that were not scored.",
            hint="Drop them first (values[~np.isnan(values)]) and report how many you dropped.",
        )
    return x


def _as_binary(values: ArrayLike, name: str) -> np.ndarray:
    x = _as_array(values, name)
    if not np.isin(x, (0.0, 1.0)).all():
        raise CourseError(f"{name} must hold pass/fail values (True/False or 1/0).")
    return x.astype(bool)


def _batches(total: int, width: int) -> Iterator[int]:
    size = max(1, _MAX_CELLS // width)
    for start in range(0, total, size):
        yield min(size, total - start)


def _resample(
    x: np.ndarray, stat: Statistic, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """stat of n_resamples resamples of x with replacement, computed in bounded batches."""
    n = len(x)
    return np.concatenate(
        [stat(x[rng.integers(0, n, size=(rows, n))], axis=1) for rows in _batches(n_resamples, n)]
    )


def _percentiles(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    if not 0.0 < confidence < 1.0:
        raise CourseError(f"confidence must be between 0 and 1, got {confidence}.")
    alpha = 1.0 - confidence
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _two_sided(deltas: np.ndarray) -> float:
    return float(min(1.0, 2 * min(np.mean(deltas <= 0), np.mean(deltas >= 0))))


def _check_counts(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise CourseError(
            f"Need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}.",
            hint="n = samples drawn per task, c = how many passed, k = the budget of tries.",
        )
