"""Trials: every task run n times, because one run per task measures luck as much as the agent.

At temperature > 0 the same task can pass on Monday and fail on Tuesday. ``run_trials`` gives
each task ``n`` trials, each with its own seed drawn from one run seed, so the whole table comes
back the same, and returns one row per run. The figures computed from it (pass@k, pass^k, the
never / flaky / always split, per-task intervals, spend per solved task) are in
``course.evals.reliability``: they hold for any system run n times, not only agents.

    trials = run_trials(client, task_set, n_trials=8, seed=0, temperature=0.7)
    summarise_tasks(trials, k=4)      # course.evals.reliability: one row per task
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from course.agents.shop.checks import failure_kind
from course.agents.shop.run import run_task
from course.agents.shop.tasks import Task, TaskSet
from course.errors import CourseError
from course.llm import Client


def trial_seeds(seed: int, n_trials: int) -> list[int]:
    """``n_trials`` distinct seeds derived from one run seed (numpy's SeedSequence), so trial
    ``i`` of a run is the same trial on every machine and no two trials share a seed."""
    _check_positive(n_trials, "n_trials")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise CourseError(f"seed must be a whole number >= 0, got {seed!r}.")
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n_trials)]


def run_trials(
    client: Client,
    task_set: TaskSet,
    *,
    n_trials: int = 8,
    tasks: Sequence[Task] | None = None,
    seed: int = 0,
    temperature: float = 0.7,
    workers: int = 1,
    **options: Any,
) -> pd.DataFrame:
    """Every task (of ``task_set``, or just ``tasks``) ``n_trials`` times: one row per run.

    Columns: task_id, kind, hard, trial, seed, solved, failure, violations (rules broken),
    stop_reason, model_turns, tool_calls, tokens, cost_usd, latency_s, trajectory_id.
    ``options`` go to ``run_task`` (system, budget, edit_tools, feature).

    The same seed gives the same table on a fresh client. The simulator, like a real model at
    temperature > 0, answers a request it has already seen anew, so a second run on the same
    client differs. ``workers`` > 1 runs trials in threads: worth it against a remote provider,
    where each call waits on the network; the simulator computes in Python, so threads do not
    speed it up (benchmarks/bench_agents_speed.py measures both).
    """
    _check_positive(n_trials, "n_trials")
    _check_positive(workers, "workers")
    if temperature < 0:
        raise CourseError(
            f"temperature must be >= 0, got {temperature}.",
            hint="Reliability is measured at the temperature you ship, e.g. 0.7.",
        )
    chosen = list(task_set.tasks if tasks is None else tasks)
    if not chosen:
        raise CourseError("No tasks to run.", hint="Pass a TaskSet with tasks, or tasks=[...].")
    seeds = trial_seeds(seed, n_trials)
    jobs = [(task, trial, s) for task in chosen for trial, s in enumerate(seeds)]

    def one(job: tuple[Task, int, int]) -> dict[str, Any]:
        task, trial, trial_seed = job
        run, outcome = run_task(
            client, task_set, task, seed=trial_seed, temperature=temperature, **options
        )
        return {
            "task_id": task.id,
            "kind": task.kind,
            "hard": task.hard,
            "trial": trial,
            "seed": trial_seed,
            "solved": outcome.success,
            "failure": failure_kind(outcome, run),
            "violations": len(outcome.violations),
            "stop_reason": str(run.stop_reason),
            "model_turns": run.model_turns,
            "tool_calls": len(run.tool_calls()),
            "tokens": run.tokens,
            "cost_usd": run.cost_usd,
            "latency_s": run.latency_s,
            "trajectory_id": run.id,
        }

    if workers == 1:
        rows = [one(job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(one, jobs))  # map keeps the order of the jobs
    return pd.DataFrame(rows)


def _check_positive(value: int, name: str) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise CourseError(f"{name} must be a whole number >= 1, got {value!r}.")
