"""Run a support agent on shop tasks and judge each run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import pandas as pd

from course.agents.loop import Agent, AgentBudget
from course.agents.shop.checks import Outcome, check
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
) -> tuple[Trajectory, Outcome]:
    """One task on a private copy of the shop: the trajectory and its verdict.

    ``edit_tools`` changes the tools the agent gets (other descriptions, a guard around one):
    the levers a failure analysis pulls.
    """
    shop = task_set.shop.copy()
    before = shop.copy()
    tools = shop_tools(shop)
    if edit_tools is not None:
        tools = edit_tools(tools)
    agent = Agent(client, tools, system=system, budget=budget, temperature=temperature,
                  feature="m3-shop")
    trajectory = agent.run(task.goal, user=task.user(), seed=seed)
    return trajectory, check(task, before, shop, trajectory)


def outcomes_frame(outcomes: list[Outcome], trajectories: list[Trajectory]) -> pd.DataFrame:
    """One row per run: the verdict beside the run's stop reason, turns, tools and cost."""
    rows = []
    for outcome, trajectory in zip(outcomes, trajectories, strict=True):
        row = asdict(outcome)
        row.update({k: v for k, v in trajectory.summary().items() if k != "goal"})
        row["violations"] = "; ".join(outcome.violations)
        rows.append(row)
    return pd.DataFrame(rows)
