"""Failure analysis of an agent: label runs by failure mode, score detectors against those
labels, and compare two configurations of the agent on the same tasks, k trials each.

The labels come from the shop's checks (the database a run left, the rules it broke), which a
detector in production cannot see: a detector reads only the trajectory. Scoring one against
the labels (precision: of the runs it flags, how many really failed that way; recall: of the
runs that did, how many it flags) says how far its alarms can be trusted.

A fix is judged the way it will be used: the same tasks, run k times at temperature > 0 with
the old and the new configuration, compared task by task (paired), because what a customer
meets is whether the agent gets *their* task right every time (pass^k), not the average run.

    flawed, fixed = AgentConfig("flawed", FLAWED), AgentConfig("fixed", POLICY)
    result = compare_configs(lambda: Client("sim", "sim-large"), task_set, flawed, fixed)
    result.pass_hat_k.low > 0      # the paired 95% CI of pass^2 (fixed - flawed) excludes 0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from course.agents.shop.checks import Outcome, failure_kind
from course.agents.shop.policy import POLICY
from course.agents.shop.run import run_task
from course.agents.shop.tasks import Task, TaskSet
from course.agents.tools import Tool
from course.agents.trajectory import Trajectory
from course.errors import CourseError
from course.evals.stats import Comparison, paired_bootstrap, pass_hat_k
from course.llm import Client

# mode -> the words the checks use for it (course.agents.shop.checks.policy_violations)
FAILURE_MODES: dict[str, tuple[str, ...]] = {
    "unverified_access": ("before the customer's identity was verified",),
    "refund_against_policy": ("days after delivery", "without escalating", "never delivered"),
    "changed_a_shipped_order": ("which was already",),
}


@dataclass(frozen=True)
class AgentConfig:
    """What a fix may change: the system prompt, and the tools (descriptions, a guard)."""

    name: str
    system: str = POLICY
    edit_tools: Callable[[list[Tool]], list[Tool]] | None = None


def failure_modes(outcome: Outcome) -> dict[str, bool]:
    """The run's label for each mode of ``FAILURE_MODES``, read from the checks' verdict."""
    return {
        mode: any(words in v for v in outcome.violations for words in phrases)
        for mode, phrases in FAILURE_MODES.items()
    }


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
    detector: Callable[[Trajectory], bool],
    trajectories: Sequence[Trajectory],
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


def run_config(
    client: Client,
    task_set: TaskSet,
    config: AgentConfig,
    *,
    k: int,
    temperature: float = 0.7,
    tasks: Sequence[Task] | None = None,
) -> tuple[pd.DataFrame, list[Trajectory]]:
    """Each task ``k`` times (trial seeds 0..k-1) with ``config``: one row per run, and the runs.

    Columns: config, task_id, kind, trial, success, failure (``failure_kind``: the first
    thing that went wrong), violated (any rule broken), and one column per failure mode.
    """
    if k < 1:
        raise CourseError(f"k must be at least 1, got {k}.")
    if not isinstance(config.system, str):
        raise CourseError(f"{config.name}: the system prompt must be a str, got "
                          f"{type(config.system).__name__}.")
    rows, runs = [], []
    for task in task_set.tasks if tasks is None else tasks:
        for trial in range(k):
            trajectory, outcome = run_task(
                client, task_set, task, system=config.system, edit_tools=config.edit_tools,
                seed=trial, temperature=temperature, feature=f"m3-failures-{config.name}",
            )
            rows.append({"config": config.name, "task_id": task.id, "kind": task.kind,
                         "trial": trial, "success": outcome.success,
                         "failure": failure_kind(outcome, trajectory),
                         "violated": bool(outcome.violations), **failure_modes(outcome)})
            runs.append(trajectory)
    return pd.DataFrame(rows), runs


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


def compare_configs(
    make_client: Callable[[], Client],
    task_set: TaskSet,
    a: AgentConfig,
    b: AgentConfig,
    *,
    n: int = 3,
    k: int = 2,
    temperature: float = 0.7,
    seed: int = 0,
) -> ConfigComparison:
    """Run both configurations on every task ``n`` times and compare them (``compare_runs``).

    Each configuration gets a fresh client from ``make_client``, so neither run depends on
    what the other asked first.
    """
    if a.name == b.name:
        raise CourseError(f"Two configurations need two names; both are {a.name!r}.")
    runs_a = run_config(make_client(), task_set, a, k=n, temperature=temperature)[0]
    runs_b = run_config(make_client(), task_set, b, k=n, temperature=temperature)[0]
    return compare_runs(runs_a, runs_b, k=k, seed=seed)


def compare_runs(runs_a: pd.DataFrame, runs_b: pd.DataFrame, *, k: int = 2,
                 seed: int = 0) -> ConfigComparison:
    """Two tables of ``run_config`` on the same tasks, compared task by task.

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
        raise CourseError(f"pass^k needs the same n >= k trials for every task; k={k}, trials "
                          f"per task {sorted(set(counts[0]) | set(counts[1]))}.")
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
