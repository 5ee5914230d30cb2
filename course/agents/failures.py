"""Failure analysis of an agent, the agent's side: the configuration a fix may change, the
failure modes labelled from the shop's checks, and repeated runs of a configuration.

The labels come from the checks (the database a run left, the rules it broke), which a detector
in production cannot see: a detector reads only the trajectory. Scoring detectors against these
labels and comparing two configurations task by task is ``course.evals.failure_analysis``.

    flawed, fixed = AgentConfig("flawed", FLAWED), AgentConfig("fixed", POLICY)
    before, runs = run_config(client, task_set, flawed, k=3)   # one row per run, with labels
    after, _ = run_config(fresh_client, task_set, fixed, k=3)
    compare_runs(before, after, k=2).pass_hat_k                # course.evals.failure_analysis
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from course.agents.shop.checks import Outcome, failure_kind
from course.agents.shop.policy import POLICY
from course.agents.shop.run import run_task
from course.agents.shop.tasks import Task, TaskSet
from course.agents.tools import Tool
from course.agents.trajectory import Trajectory
from course.errors import CourseError
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
        raise CourseError(
            f"{config.name}: the system prompt must be a str, got {type(config.system).__name__}."
        )
    rows, runs = [], []
    for task in task_set.tasks if tasks is None else tasks:
        for trial in range(k):
            trajectory, outcome = run_task(
                client,
                task_set,
                task,
                system=config.system,
                edit_tools=config.edit_tools,
                seed=trial,
                temperature=temperature,
                feature=f"m3-failures-{config.name}",
            )
            rows.append(
                {
                    "config": config.name,
                    "task_id": task.id,
                    "kind": task.kind,
                    "trial": trial,
                    "success": outcome.success,
                    "failure": failure_kind(outcome, trajectory),
                    "violated": bool(outcome.violations),
                    **failure_modes(outcome),
                }
            )
            runs.append(trajectory)
    return pd.DataFrame(rows), runs
