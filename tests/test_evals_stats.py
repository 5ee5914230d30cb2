"""course.evals.stats checked against scipy, brute-force enumeration and worked examples."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sklearn.metrics import confusion_matrix

from course.errors import CourseError
from course.evals.stats import (
    bootstrap_ci,
    corrected_rate_ci,
    corrected_success_rate,
    judge_alignment,
    mcnemar_exact,
    paired_bootstrap,
    pass_at_k,
    pass_hat_k,
    unpaired_bootstrap,
)

# Two percentile bootstraps with 10,000 resamples but different random streams agree to
# within Monte Carlo error: about 0.003 on these samples' endpoints. 0.015 is five of those.
MC_TOLERANCE = 0.015


def scipy_percentile(data: tuple[np.ndarray, ...], statistic, **options) -> tuple[float, float]:
    result = scipy_stats.bootstrap(
        data,
        statistic,
        method="percentile",
        n_resamples=10_000,
        rng=np.random.default_rng(123),
        **options,
    )
    return result.confidence_interval.low, result.confidence_interval.high


# -- bootstrap_ci ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(1).binomial(1, 0.7, size=200).astype(float),
        np.random.default_rng(2).normal(0.5, 0.2, size=150),
    ],
    ids=["pass-fail", "continuous"],
)
def test_bootstrap_ci_matches_scipy_percentile(values):
    ours = bootstrap_ci(values, n_resamples=10_000, seed=0)
    low, high = scipy_percentile((values,), np.mean)
    assert ours.estimate == pytest.approx(values.mean())
    assert ours.low == pytest.approx(low, abs=MC_TOLERANCE)
    assert ours.high == pytest.approx(high, abs=MC_TOLERANCE)
    assert ours.low < ours.estimate < ours.high


def test_bootstrap_ci_with_another_statistic_matches_scipy():
    values = np.random.default_rng(3).exponential(1.0, size=120)
    ours = bootstrap_ci(values, np.median, confidence=0.9, seed=5)
    low, high = scipy_percentile((values,), np.median, confidence_level=0.9)
    assert ours.estimate == pytest.approx(np.median(values))
    assert ours.low == pytest.approx(low, abs=0.05)
    assert ours.high == pytest.approx(high, abs=0.05)


def test_bootstrap_ci_is_reproducible_and_seeded():
    values = np.random.default_rng(4).binomial(1, 0.5, size=60)
    assert bootstrap_ci(values, seed=7) == bootstrap_ci(values, seed=7)
    assert bootstrap_ci(values, seed=7) != bootstrap_ci(values, seed=8)


def test_bootstrap_ci_refuses_nan_and_empty_input():
    with pytest.raises(CourseError, match="NaN"):
        bootstrap_ci([1.0, math.nan, 0.0])
    with pytest.raises(CourseError, match="non-empty"):
        bootstrap_ci([])


# -- paired vs unpaired -----------------------------------------------------------------------


def items_of_varied_difficulty():
    """B beats A by 0.2 on every item, but items differ in difficulty far more than that."""
    rng = np.random.default_rng(11)
    difficulty = rng.normal(0.0, 1.0, size=50)
    a = difficulty
    b = difficulty + 0.2 + rng.normal(0.0, 0.05, size=50)
    return a, b


def test_pairing_matters_unpaired_ci_overlaps_zero_paired_does_not():
    a, b = items_of_varied_difficulty()
    unpaired = unpaired_bootstrap(a, b, seed=0)
    paired = paired_bootstrap(a, b, seed=0)
    assert unpaired.difference == pytest.approx(paired.difference)
    assert unpaired.low < 0 < unpaired.high  # "no evidence" if you ignore the pairing
    assert paired.low > 0.15  # clear evidence once item difficulty cancels
    assert paired.p_value < 0.001 < unpaired.p_value


def test_paired_bootstrap_matches_scipy_on_the_differences():
    a, b = items_of_varied_difficulty()
    ours = paired_bootstrap(a, b, seed=0)
    low, high = scipy_percentile((b - a,), np.mean)
    assert ours.low == pytest.approx(low, abs=0.005)
    assert ours.high == pytest.approx(high, abs=0.005)


def test_unpaired_bootstrap_matches_scipy_two_sample_resampling():
    a, b = items_of_varied_difficulty()
    ours = unpaired_bootstrap(a, b, seed=0)

    def difference(x, y, axis=-1):
        return np.mean(y, axis=axis) - np.mean(x, axis=axis)

    low, high = scipy_percentile((a, b), difference)
    assert ours.low == pytest.approx(low, abs=0.03)
    assert ours.high == pytest.approx(high, abs=0.03)


def test_paired_bootstrap_of_identical_runs_is_exactly_zero_with_p_one():
    a = np.random.default_rng(5).binomial(1, 0.6, size=80)
    result = paired_bootstrap(a, a)
    assert (result.difference, result.low, result.high, result.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_paired_bootstrap_needs_equal_lengths():
    with pytest.raises(CourseError, match="one value per item"):
        paired_bootstrap([1, 0, 1], [1, 0])


# -- McNemar --------------------------------------------------------------------------------


def outcomes(both: int, a_only: int, b_only: int, neither: int):
    a = [1] * both + [1] * a_only + [0] * b_only + [0] * neither
    b = [1] * both + [0] * a_only + [1] * b_only + [0] * neither
    return np.array(a), np.array(b)


def test_mcnemar_hand_worked_example():
    # 1 item only A passes, 6 only B passes: under H0, X ~ Binomial(7, 1/2) and
    # P[X <= 1] = (C(7,0) + C(7,1)) / 2^7 = 8/128, so p = 2 * 8/128 = 0.125.
    result = mcnemar_exact(*outcomes(both=10, a_only=1, b_only=6, neither=3))
    assert (result.both, result.a_only, result.b_only, result.neither) == (10, 1, 6, 3)
    assert result.p_value == pytest.approx(0.125)
    assert result.difference == pytest.approx(5 / 20)
    # 0 vs 6: p = 2 * (1/64).
    assert mcnemar_exact(*outcomes(5, 0, 6, 5)).p_value == pytest.approx(2 / 64)


@pytest.mark.parametrize(
    "a_only, b_only", [(0, 1), (1, 1), (3, 9), (9, 3), (12, 20), (40, 70), (25, 25)]
)
def test_mcnemar_matches_scipy_binomtest_on_discordant_pairs(a_only, b_only):
    result = mcnemar_exact(*outcomes(both=30, a_only=a_only, b_only=b_only, neither=7))
    reference = scipy_stats.binomtest(b_only, a_only + b_only, 0.5).pvalue
    assert result.p_value == pytest.approx(reference, rel=1e-9)


def test_mcnemar_ignores_concordant_items_and_handles_no_discordance():
    assert mcnemar_exact(*outcomes(50, 0, 0, 50)).p_value == 1.0
    small = mcnemar_exact(*outcomes(0, 2, 8, 0)).p_value
    assert mcnemar_exact(*outcomes(500, 2, 8, 500)).p_value == small


def test_mcnemar_rejects_non_binary_values():
    with pytest.raises(CourseError, match="pass/fail"):
        mcnemar_exact([0.5, 1.0], [1.0, 0.0])


# -- judge alignment and correction ---------------------------------------------------------


def test_judge_alignment_counts_match_sklearn_confusion_matrix():
    judge = [1, 1, 0, 0, 1, 0, 1, 1, 0, 1]
    human = [1, 0, 0, 1, 1, 0, 1, 0, 0, 1]
    result = judge_alignment(judge, human)
    tn, fp, fn, tp = confusion_matrix(human, judge, labels=[0, 1]).ravel()
    assert (result.tp, result.fn, result.tn, result.fp) == (tp, fn, tn, fp) == (4, 1, 3, 2)
    assert result.tpr == pytest.approx(4 / 5)  # human passes the judge also passed
    assert result.tnr == pytest.approx(3 / 5)  # human fails the judge also failed
    assert result.accuracy == pytest.approx(7 / 10)


def test_judge_alignment_needs_both_human_labels():
    with pytest.raises(CourseError, match="0 fail"):
        judge_alignment([1, 0, 1], [1, 1, 1])


@pytest.mark.parametrize(
    "p_obs, tpr, tnr, expected",
    [
        (0.74, 0.9, 0.8, 0.54 / 0.7),  # (0.74 + 0.8 - 1) / (0.9 + 0.8 - 1)
        (0.55, 1.0, 1.0, 0.55),  # a perfect judge needs no correction
        (0.10, 0.9, 0.8, 0.0),  # below the judge's false-pass floor: clipped to 0
        (1.00, 0.8, 0.9, 1.0),  # above what the judge can reach: clipped to 1
    ],
)
def test_corrected_success_rate_worked_examples(p_obs, tpr, tnr, expected):
    assert corrected_success_rate(p_obs, tpr, tnr) == pytest.approx(expected)


def test_corrected_success_rate_inverts_the_judge_model():
    for theta in (0.0, 0.3, 0.6, 0.95):
        tpr, tnr = 0.85, 0.7
        p_obs = tpr * theta + (1 - tnr) * (1 - theta)
        assert corrected_success_rate(p_obs, tpr, tnr) == pytest.approx(theta)


@pytest.mark.parametrize("tpr, tnr", [(0.5, 0.5), (0.3, 0.6), (0.0, 0.0)])
def test_corrected_success_rate_refuses_a_judge_no_better_than_chance(tpr, tnr):
    with pytest.raises(CourseError, match="no better than chance"):
        corrected_success_rate(0.5, tpr, tnr)


def judge_labels(rng, n, theta, tpr, tnr):
    human = rng.random(n) < theta
    judge = np.where(human, rng.random(n) < tpr, rng.random(n) > tnr)
    return judge.astype(int), human.astype(int)


def reference_corrected_ci(judge_dev, human_dev, judge_test, n_resamples, seed):
    """Slow, literal version: resample item indices, recompute everything."""
    rng = np.random.default_rng(seed)
    thetas = []
    for _ in range(n_resamples):
        dev = rng.integers(0, len(judge_dev), len(judge_dev))
        test = rng.integers(0, len(judge_test), len(judge_test))
        j, h = judge_dev[dev], human_dev[dev]
        tpr, tnr = j[h == 1].mean(), 1 - j[h == 0].mean()
        thetas.append(np.clip((judge_test[test].mean() + tnr - 1) / (tpr + tnr - 1), 0, 1))
    return np.quantile(thetas, [0.025, 0.975])


def test_corrected_rate_ci_matches_a_literal_index_resampling_implementation():
    rng = np.random.default_rng(21)
    judge_dev, human_dev = judge_labels(rng, 200, theta=0.6, tpr=0.9, tnr=0.8)
    judge_test, _ = judge_labels(rng, 400, theta=0.6, tpr=0.9, tnr=0.8)
    ours = corrected_rate_ci(judge_dev, human_dev, judge_test, seed=0)
    low, high = reference_corrected_ci(judge_dev, human_dev, judge_test, 4000, seed=1)
    alignment = judge_alignment(judge_dev, human_dev)
    assert ours.estimate == pytest.approx(
        corrected_success_rate(judge_test.mean(), alignment.tpr, alignment.tnr)
    )
    assert ours.low == pytest.approx(low, abs=0.02)
    assert ours.high == pytest.approx(high, abs=0.02)


def test_corrected_rate_ci_is_wider_than_ignoring_the_judge_uncertainty():
    rng = np.random.default_rng(22)
    judge_dev, human_dev = judge_labels(rng, 60, theta=0.6, tpr=0.9, tnr=0.8)
    judge_test, _ = judge_labels(rng, 500, theta=0.6, tpr=0.9, tnr=0.8)
    joint = corrected_rate_ci(judge_dev, human_dev, judge_test, seed=0)
    alignment = judge_alignment(judge_dev, human_dev)
    p_only = bootstrap_ci(judge_test, seed=0)  # what you get treating TPR, TNR as exact
    naive_low = corrected_success_rate(p_only.low, alignment.tpr, alignment.tnr)
    naive_high = corrected_success_rate(p_only.high, alignment.tpr, alignment.tnr)
    assert joint.high - joint.low > 1.3 * (naive_high - naive_low)


def test_corrected_rate_ci_refuses_a_judge_too_weak_to_correct():
    rng = np.random.default_rng(23)
    judge_dev, human_dev = judge_labels(rng, 40, theta=0.5, tpr=0.6, tnr=0.5)
    judge_test, _ = judge_labels(rng, 200, theta=0.5, tpr=0.6, tnr=0.5)
    with pytest.raises(CourseError, match="no better than chance"):
        corrected_rate_ci(judge_dev, human_dev, judge_test)


# -- pass@k and pass^k ----------------------------------------------------------------------


def brute_force(n, c, k, combine):
    """Share of all k-subsets of n samples (c of them passing) for which combine() holds."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(combine(samples[i] for i in subset) for subset in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_and_pass_hat_k_match_enumeration_of_all_k_subsets(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force(n, c, k, any), abs=1e-12)
            assert pass_hat_k(n, c, k) == pytest.approx(brute_force(n, c, k, all), abs=1e-12)


def test_pass_at_k_is_stable_where_binomials_overflow_floats():
    # C(2000, 1000) has ~600 digits; the product form never builds it.
    expected = 1 - math.comb(1500, 100) / math.comb(2000, 100)
    assert pass_at_k(2000, 500, 100) == pytest.approx(expected, rel=1e-9)
    assert pass_at_k(200, 1, 1) == pytest.approx(1 / 200)
    assert pass_hat_k(10, 7, 3) == pytest.approx((7 * 6 * 5) / (10 * 9 * 8))


@pytest.mark.parametrize("n, c, k", [(5, 6, 1), (5, 2, 0), (5, 2, 6), (5, -1, 2)])
def test_pass_at_k_rejects_impossible_counts(n, c, k):
    with pytest.raises(CourseError, match="0 <= c <= n"):
        pass_at_k(n, c, k)
