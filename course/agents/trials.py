"""Reliability: run every task n times and ask how often, not whether, the agent solves it.

One run per task measures luck as much as the agent: at temperature > 0 the same task can pass
on Monday and fail on Tuesday. So each task gets ``n`` trials (each with its own seed, drawn from
one run seed, so the whole table comes back the same), and the summaries answer two questions a
single run cannot:

- **pass@k**, the chance that at least one of k tries succeeds: what a user who may retry sees;
- **pass^k**, the chance that all k tries succeed: what a business running the task every day
  sees. It falls with k for every task the agent does not always solve.

Tasks then split into **never** solved (a capability gap), **always** solved, and **flaky** (the
reliability problem: the agent can do it, but not every time).

    trials = run_trials(client, task_set, n_trials=8, seed=0, temperature=0.7)
    summarise_tasks(trials, k=4)      # one row per task: c/n, Wilson CI, pass@4, pass^4, class
    pass_k_curves(trials)             # pass@k and pass^k for k = 1..n, averaged over tasks
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from course.agents.shop.checks import failure_kind
from course.agents.shop.run import run_task
from course.agents.shop.tasks import Task, TaskSet
from course.errors import CourseError
from course.evals.stats import Interval, pass_at_k, pass_hat_k
from course.llm import Client

RELIABILITY_CLASSES = ("never", "flaky", "always")
TRIAL_COLUMNS = ("task_id", "kind", "trial", "solved", "cost_usd", "latency_s")


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


def reliability_class(c: int, n: int) -> str:
    """ "never" (0 of n solved), "always" (n of n) or "flaky" (anything between)."""
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
                "kind": runs["kind"].iloc[0],
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


def _check_positive(value: int, name: str) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise CourseError(f"{name} must be a whole number >= 1, got {value!r}.")
