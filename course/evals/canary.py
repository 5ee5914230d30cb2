"""Is the canary worse? One metric, two versions, different sessions: a decision with evidence.

A canary serves a new version to a share of live traffic; the question is whether its sessions
went worse than the stable version's *over the same period*. The two groups hold different
sessions, so the comparison is unpaired (``unpaired_bootstrap``), and it has three answers, not
two, because a small canary often cannot tell yet:

- **roll back**: the confidence interval of (canary - stable) lies entirely on the bad side;
- **promote**: the interval lies above ``-margin`` on the good side (the canary is at most
  ``margin`` worse, the loss you accept; zero margin would need proof of improvement);
- **keep watching**: anything else, including too few sessions in either group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course.evals.stats import ArrayLike, Comparison, unpaired_bootstrap

DECISIONS = ("roll back", "promote", "keep watching")


@dataclass(frozen=True)
class CanaryVerdict:
    """The decision for one metric, with the numbers it rests on (differences are canary minus
    stable, in the metric's own direction)."""

    decision: str
    metric: str
    stable_mean: float
    canary_mean: float
    comparison: Comparison
    higher_is_better: bool
    margin: float
    reason: str

    @property
    def n_stable(self) -> int:
        return self.comparison.n_a

    @property
    def n_canary(self) -> int:
        return self.comparison.n_b


def canary_verdict(
    stable: ArrayLike,
    canary: ArrayLike,
    *,
    metric: str = "solve rate",
    higher_is_better: bool = True,
    margin: float = 0.05,
    min_sessions: int = 30,
    confidence: float = 0.95,
    seed: int = 0,
) -> CanaryVerdict:
    """Roll back, promote or keep watching, from per-session values of one metric.

    ``stable`` and ``canary`` hold one value per session (1/0 for solved, dollars for cost);
    ``margin`` is in the metric's units. NaN values (sessions that could not be judged) are
    dropped first.
    """
    if margin < 0:
        raise ValueError(f"margin is the loss you accept, 0 or more; got {margin!r}")
    a = _finite(stable, "stable")
    b = _finite(canary, "canary")
    comparison = unpaired_bootstrap(a, b, confidence=confidence, seed=seed)
    sign = 1.0 if higher_is_better else -1.0
    worst, best = sorted((sign * comparison.low, sign * comparison.high))
    level = (
        f"{confidence:.0%} CI of canary - stable: {comparison.low:+.3f} to {comparison.high:+.3f}"
    )
    if min(len(a), len(b)) < min_sessions:
        decision = "keep watching"
        reason = f"too few sessions ({len(a)} stable, {len(b)} canary; need {min_sessions} each)"
    elif best < 0:
        decision = "roll back"
        reason = f"the canary is worse: the whole interval is on the bad side ({level})"
    elif worst > -margin:
        decision = "promote"
        reason = f"at most {margin:g} worse, with {confidence:.0%} confidence ({level})"
    else:
        decision = "keep watching"
        reason = f"not distinguishable yet ({level}); send more traffic or wait"
    return CanaryVerdict(
        decision,
        metric,
        float(a.mean()),
        float(b.mean()),
        comparison,
        higher_is_better,
        margin,
        reason,
    )


def _finite(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        raise ValueError(f"no {name} sessions with a value to compare")
    return array
