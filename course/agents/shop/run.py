"""Run a support agent on shop tasks and judge each run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pandas as pd

from course.agents.loop import Agent, AgentBudget
from course.agents.shop.checks import Outcome, check, failure_kind
from course.agents.shop.policy import POLICY
from course.agents.shop.tasks import Task, TaskSet
from course.agents.shop.tools import shop_tools
from course.agents.tools import Tool
from course.agents.trajectory import Trajectory
from course.llm import Client


def run_task(
    client: Client,
    task_set: TaskSet,
    task: Task,
    *,
    system: str = POLICY,
    budget: AgentBudget | None = None,
    seed: int | None = None,
    temperature: float = 0.0,
    edit_tools: Callable[[list[Tool]], list[Tool]] | None = None,
    feature: str = "m3-shop",
) -> tuple[Trajectory, Outcome]:
    """One task on a private copy of the shop: the trajectory and its verdict.

    ``edit_tools`` changes the tools the agent gets (other descriptions, a guard around one):
    the levers a failure analysis pulls. ``feature`` tags the run's model calls in the trace
    store.
    """
    shop = task_set.shop.copy()
    before = shop.copy()
    tools = shop_tools(shop)
    if edit_tools is not None:
        tools = edit_tools(tools)
    agent = Agent(
        client, tools, system=system, budget=budget, temperature=temperature, feature=feature
    )
    trajectory = agent.run(task.goal, user=task.user(), seed=seed)
    return trajectory, check(task, before, shop, trajectory)


def run_tasks(
    client: Client, task_set: TaskSet, tasks: list[Task] | None = None, **options: Any
) -> tuple[list[Trajectory], list[Outcome]]:
    """Every task of ``task_set`` (or just ``tasks``), each on its own copy of the shop.

    ``options`` go to ``run_task`` (system, budget, seed, temperature, edit_tools, feature).
    """
    trajectories, outcomes = [], []
    for task in task_set.tasks if tasks is None else tasks:
        trajectory, outcome = run_task(client, task_set, task, **options)
        trajectories.append(trajectory)
        outcomes.append(outcome)
    return trajectories, outcomes


def outcomes_frame(outcomes: list[Outcome], trajectories: list[Trajectory]) -> pd.DataFrame:
    """One row per run: the verdict beside the run's stop reason, turns, tools and cost."""
    rows = []
    for outcome, trajectory in zip(outcomes, trajectories, strict=True):
        row = asdict(outcome)
        row.update({k: v for k, v in trajectory.summary().items() if k != "goal"})
        row["violations"] = "; ".join(outcome.violations)
        row["failure"] = failure_kind(outcome, trajectory)
        rows.append(row)
    return pd.DataFrame(rows)
