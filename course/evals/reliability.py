"""Reliability from repeated trials: how often, not whether, a system gets a task right.

Input: a table with one row per run (``task_id``, ``solved``, ``cost_usd``, ``latency_s``; a
``kind`` column is carried along when present), such as ``course.agents.trials.run_trials``
returns. From it:

- **pass@k**, the chance that at least one of k tries succeeds: what a user who may retry sees;
- **pass^k**, the chance that all k tries succeed: what a business running the task every day
  sees. It falls with k for every task that is not always solved;
- each task **never**, **flaky** or **always** solved, with a Wilson interval for its rate:
  a capability gap, a reliability problem and a regression test are three different work items;
- **spend per solved task**: money and time over all runs, divided by the runs that succeeded.

    summarise_tasks(trials, k=4)      # one row per task: c/n, Wilson CI, pass@4, pass^4, class
    pass_k_curves(trials)             # pass@k and pass^k for k = 1..n, averaged over tasks
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from course.errors import CourseError
from course.evals.stats import Interval, pass_at_k, pass_hat_k

RELIABILITY_CLASSES = ("never", "flaky", "always")
TRIAL_COLUMNS = ("task_id", "solved", "cost_usd", "latency_s")


def reliability_class(c: int, n: int) -> str:
    """The class of a task solved c times in n trials: "never", "flaky" or "always"."""
    if not 0 <= c <= n or n < 1:
        raise CourseError(
            f"Need 0 <= c <= n and n >= 1, got c={c}, n={n}.",
            hint="c = trials that solved the task, n = trials run.",
        )
    return "never" if c == 0 else "always" if c == n else "flaky"


def solve_rate_ci(c: int, n: int, confidence: float = 0.95) -> Interval:
    """c/n with a Wilson score interval (scipy's ``binomtest``).

    Per task n is small (5 to 20 trials), where a bootstrap interval collapses to a point at 0/n
    and n/n; Wilson's does not: 8 of 8 solved still allows a true rate near 0.68.
    """
    reliability_class(c, n)  # validates c and n
    interval = binomtest(c, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(c / n, float(interval.low), float(interval.high), confidence)


def summarise_tasks(trials: pd.DataFrame, *, k: int = 1, confidence: float = 0.95) -> pd.DataFrame:
    """One row per task: n trials, c solved, the solve rate with its Wilson CI, pass@k, pass^k,
    the reliability class, and cost and latency per solved run (all runs' spend / runs solved;
    infinite when none was solved: the spend bought nothing)."""
    _check_trials(trials)
    rows = []
    for task_id, runs in trials.groupby("task_id", sort=False):
        n, c = len(runs), int(runs["solved"].sum())
        if k > n:
            raise CourseError(
                f"k={k} but task {task_id} has only {n} trials.",
                hint="Choose k <= the number of trials per task.",
            )
        rate = solve_rate_ci(c, n, confidence)
        rows.append(
            {
                "task_id": task_id,
                **({"kind": runs["kind"].iloc[0]} if "kind" in runs else {}),
                "n": n,
                "c": c,
                "solve_rate": rate.estimate,
                "ci_low": rate.low,
                "ci_high": rate.high,
                f"pass@{k}": pass_at_k(n, c, k),
                f"pass^{k}": pass_hat_k(n, c, k),
                "reliability": reliability_class(c, n),
                **_per_solved(runs),
            }
        )
    return pd.DataFrame(rows)


def pass_k_curves(trials: pd.DataFrame, ks: Sequence[int] | None = None) -> pd.DataFrame:
    """pass@k and pass^k averaged over tasks, one row per k (default 1 .. the fewest trials any
    task has). At k = 1 both equal the mean solve rate; they part as k grows."""
    _check_trials(trials)
    counts = trials.groupby("task_id", sort=False)["solved"].agg(["size", "sum"])
    most = int(counts["size"].min())
    ks = list(range(1, most + 1)) if ks is None else list(ks)
    if not ks or min(ks) < 1 or max(ks) > most:
        raise CourseError(
            f"Every k must be between 1 and {most} (the fewest trials of a task), got {ks}.",
            hint="Run more trials, or ask for smaller k.",
        )
    rows = [
        {
            "k": k,
            "pass@k": float(np.mean([pass_at_k(n, c, k) for n, c in counts.to_numpy()])),
            "pass^k": float(np.mean([pass_hat_k(n, c, k) for n, c in counts.to_numpy()])),
        }
        for k in ks
    ]
    return pd.DataFrame(rows).set_index("k")


def spend_per_solved(trials: pd.DataFrame) -> dict[str, float]:
    """What one solved task costs, counting the runs that failed on the way: total cost and
    total latency over all runs, divided by the runs that solved their task."""
    _check_trials(trials)
    return {"runs": len(trials), "solved": int(trials["solved"].sum()), **_per_solved(trials)}


def _per_solved(runs: pd.DataFrame) -> dict[str, float]:
    solved = int(runs["solved"].sum())
    if solved == 0:
        return {"cost_per_solved": float("inf"), "latency_per_solved": float("inf")}
    return {
        "cost_per_solved": float(runs["cost_usd"].sum()) / solved,
        "latency_per_solved": float(runs["latency_s"].sum()) / solved,
    }


def _check_trials(trials: pd.DataFrame) -> None:
    if not isinstance(trials, pd.DataFrame) or trials.empty:
        raise CourseError(
            "Expected a non-empty table of trials.",
            hint="Pass the DataFrame that run_trials returned.",
        )
    missing = [c for c in TRIAL_COLUMNS if c not in trials.columns]
    if missing:
        raise CourseError(
            f"The trials table lacks column(s) {missing}.",
            hint="Pass the DataFrame that run_trials returned (or one with "
            f"the columns {list(TRIAL_COLUMNS)}).",
        )
    if not trials["solved"].isin([True, False, 0, 1]).all():
        raise CourseError(
            "Column 'solved' must hold True/False (or 1/0) for every run.",
            hint="A run that was not judged cannot be counted; drop it first.",
        )
