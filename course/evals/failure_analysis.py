"""Scoring a failure analysis: detectors against labels, and two configurations compared on
the same tasks, run by run.

A detector flags runs that show a failure mode; precision (of the runs it flags, how many really
failed that way) and recall (of the runs that did, how many it flags) say how far its alarms
can be trusted. A fix is judged the way it will be used: the same tasks, n runs each at
temperature > 0 with the old and the new configuration, compared task by task (paired), on
pass^k, because a customer meets whether the agent gets *their* task right every time, not the
average run.

    score_detector(detect_refund, trajectories, labels)       # Detection: precision, recall
    compare_runs(before, after, k=2).pass_hat_k              # paired bootstrap 95% CI
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from course.errors import CourseError
from course.evals.stats import Comparison, paired_bootstrap, pass_hat_k


@dataclass(frozen=True)
class Detection:
    """A detector's flags against the labels: the confusion counts and the two rates."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        """Of the runs flagged, the share that failed this way (nan when nothing is flagged)."""
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else math.nan

    @property
    def recall(self) -> float:
        """Of the runs that failed this way, the share flagged (nan when none did)."""
        positives = self.tp + self.fn
        return self.tp / positives if positives else math.nan


def score_detector(
    detector: Callable[[Any], bool],
    trajectories: Sequence[Any],
    labels: Sequence[bool],
) -> Detection:
    """Run ``detector`` on every trajectory and count its agreements with ``labels``.

    A detector must return a bool for every run; anything else is a clear error, since a
    silent ``None`` would read as "not flagged" and flatter or ruin the scores unseen.
    """
    if len(trajectories) != len(labels):
        raise CourseError(
            f"One label per trajectory: got {len(trajectories)} trajectories and "
            f"{len(labels)} labels."
        )
    flags = []
    for trajectory in trajectories:
        flag = detector(trajectory)
        if not isinstance(flag, bool | np.bool_):
            raise CourseError(
                f"A detector returns True or False; {getattr(detector, '__name__', detector)} "
                f"returned {type(flag).__name__} ({flag!r:.40}).",
                hint="Return a bool: True when the run shows the failure mode.",
            )
        flags.append(bool(flag))
    pairs = list(zip(flags, (bool(x) for x in labels), strict=True))
    return Detection(
        tp=sum(f and y for f, y in pairs),
        fp=sum(f and not y for f, y in pairs),
        fn=sum(y and not f for f, y in pairs),
        tn=sum(not f and not y for f, y in pairs),
    )


@dataclass(frozen=True)
class ConfigComparison:
    """Two configurations on the same tasks: per-task pass^k side by side, and the evidence."""

    per_task: pd.DataFrame  # task_id, kind, then per config: solved (of n) and pass^k
    pass_hat_k: Comparison  # mean pass^k, b - a, paired over tasks (bootstrap 95% CI)
    solve_rate: Comparison  # the per-task solve rate, b - a, paired the same way
    violations: tuple[float, float]  # share of runs breaking a rule: a, b
    runs: pd.DataFrame  # every run of both
    n: int
    k: int


def compare_runs(
    runs_a: pd.DataFrame, runs_b: pd.DataFrame, *, k: int = 2, seed: int = 0
) -> ConfigComparison:
    """Two tables of runs on the same tasks (one row per run: config, task_id, kind, trial,
    success, violated; ``course.agents.failures.run_config`` returns them), task by task.

    pass^k of a task is estimated from its n trials without bias (``pass_hat_k``: with c
    passes, C(c, k) / C(n, k)); n > k smooths it, where n = k would score a task 0 or 1.
    The paired bootstrap then resamples tasks, each with both of its values.
    """
    names = [str(runs["config"].iloc[0]) if len(runs) else "" for runs in (runs_a, runs_b)]
    if names[0] == names[1]:
        raise CourseError(f"Two configurations need two names; both are {names[0]!r}.")
    counts = [runs.groupby("task_id", sort=False)["trial"].nunique() for runs in (runs_a, runs_b)]
    tasks = list(counts[0].index)
    if set(tasks) != set(counts[1].index):
        raise CourseError("The two runs cover different tasks; compare them on the same tasks.")
    n = int(counts[0].min())
    if not 1 <= k <= n or counts[0].max() != n or (counts[1] != n).any():
        raise CourseError(
            f"pass^k needs the same n >= k trials for every task; k={k}, trials "
            f"per task {sorted(set(counts[0]) | set(counts[1]))}."
        )
    per_task = runs_a.groupby("task_id", sort=False)["kind"].first().to_frame()
    for name, runs in zip(names, (runs_a, runs_b), strict=True):
        solved = runs.groupby("task_id")["success"].sum().astype(int).reindex(tasks)
        per_task[f"{name} solved"] = solved
        per_task[f"{name} pass^{k}"] = [pass_hat_k(n, int(c), k) for c in solved]
    per_task = per_task.reset_index()
    hat = [per_task[f"{name} pass^{k}"] for name in names]
    rate = [per_task[f"{name} solved"] / n for name in names]
    return ConfigComparison(
        per_task=per_task,
        pass_hat_k=paired_bootstrap(*hat, seed=seed),
        solve_rate=paired_bootstrap(*rate, seed=seed),
        violations=(float(runs_a["violated"].mean()), float(runs_b["violated"].mean())),
        runs=pd.concat([runs_a, runs_b], ignore_index=True),
        n=n,
        k=k,
    )
