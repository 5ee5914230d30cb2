"""course.agents.trials (n trials per task) and course.evals.reliability (the figures from them).

The figures are checked against independent computations (enumerating every k-subset of the
trials, Wilson's formula written out), not only against course.evals.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from course.agents.shop import generate_tasks
from course.agents.trials import run_trials, trial_seeds
from course.errors import CourseError
from course.evals import pass_at_k, pass_hat_k
from course.evals.reliability import (
    pass_k_curves,
    reliability_class,
    solve_rate_ci,
    spend_per_solved,
    summarise_tasks,
)
from course.llm import Client

RUN_COLUMNS = [
    "task_id",
    "kind",
    "hard",
    "trial",
    "seed",
    "solved",
    "failure",
    "violations",
    "stop_reason",
    "model_turns",
    "tool_calls",
    "tokens",
    "cost_usd",
    "latency_s",
]


def sim() -> Client:
    return Client("sim", "sim-small", traces=False, cache=False)


@pytest.fixture(scope="module")
def task_set():
    return generate_tasks(seed=41, n=6)


@pytest.fixture(scope="module")
def trials(task_set):
    return run_trials(sim(), task_set, n_trials=5, seed=3, temperature=0.7)


def frame(outcomes: dict[str, list[int]], cost: float = 0.01, latency: float = 2.0):
    """A hand-made trials table: task id -> solved flags per trial."""
    rows = [
        {
            "task_id": task,
            "kind": "k",
            "trial": i,
            "solved": bool(s),
            "cost_usd": cost,
            "latency_s": latency,
        }
        for task, flags in outcomes.items()
        for i, s in enumerate(flags)
    ]
    return pd.DataFrame(rows)


def by_subsets(flags: list[int], k: int) -> tuple[float, float]:
    """pass@k and pass^k by brute force: over every k-subset of the trials, the share with at
    least one pass and the share with all passing."""
    subsets = list(itertools.combinations(flags, k))
    return (
        sum(any(s) for s in subsets) / len(subsets),
        sum(all(s) for s in subsets) / len(subsets),
    )


def test_trial_seeds_are_distinct_and_fixed_by_the_run_seed():
    assert trial_seeds(7, 6) == trial_seeds(7, 6)
    assert len(set(trial_seeds(7, 50))) == 50
    assert trial_seeds(7, 3) != trial_seeds(8, 3)
    assert trial_seeds(7, 3) == trial_seeds(7, 6)[:3]  # more trials extend, not reshuffle


def test_one_row_per_task_and_trial(trials, task_set):
    assert list(trials.columns[: len(RUN_COLUMNS)]) == RUN_COLUMNS
    assert len(trials) == len(task_set.tasks) * 5
    assert (trials.groupby("task_id")["trial"].apply(sorted) == [[0, 1, 2, 3, 4]] * 6).all()
    assert trials["seed"].nunique() == 5
    assert trials["cost_usd"].gt(0).all() and trials["model_turns"].ge(1).all()
    # at temperature 0.7 on sim-small some runs fail and some succeed
    assert 0 < trials["solved"].mean() < 1


def test_the_same_seed_gives_the_same_table_on_a_fresh_client(task_set, trials):
    again = run_trials(sim(), task_set, n_trials=5, seed=3, temperature=0.7)
    exact = [c for c in RUN_COLUMNS if c != "latency_s"]
    pd.testing.assert_frame_equal(trials[exact], again[exact])
    # latency is the simulator's modelled latency plus the tools' real run time (milliseconds)
    assert np.allclose(trials["latency_s"], again["latency_s"], atol=0.05)
    other = run_trials(sim(), task_set, n_trials=5, seed=4, temperature=0.7)
    assert not other["seed"].isin(trials["seed"]).any()
    assert not other[exact].equals(trials[exact])


def test_threads_give_the_same_table_as_one_worker(task_set, trials):
    threaded = run_trials(sim(), task_set, n_trials=5, seed=3, temperature=0.7, workers=4)
    exact = [c for c in RUN_COLUMNS if c != "latency_s"]
    pd.testing.assert_frame_equal(trials[exact], threaded[exact])


def test_only_the_tasks_asked_for(task_set):
    some = run_trials(sim(), task_set, tasks=task_set.tasks[:2], n_trials=2, seed=1)
    assert list(dict.fromkeys(some["task_id"])) == [t.id for t in task_set.tasks[:2]]


def test_summary_agrees_with_subsets_and_course_evals(trials):
    summary = summarise_tasks(trials, k=3).set_index("task_id")
    for task_id, runs in trials.groupby("task_id"):
        flags = runs.sort_values("trial")["solved"].astype(int).tolist()
        row = summary.loc[task_id]
        at, hat = by_subsets(flags, 3)
        assert row["n"] == 5 and row["c"] == sum(flags)
        assert row["pass@3"] == pytest.approx(at) == pass_at_k(5, sum(flags), 3)
        assert row["pass^3"] == pytest.approx(hat) == pass_hat_k(5, sum(flags), 3)
        assert row["ci_low"] <= row["solve_rate"] <= row["ci_high"]
        expected = {0: "never", 5: "always"}.get(sum(flags), "flaky")
        assert row["reliability"] == expected


def test_classes_on_a_hand_made_table():
    summary = summarise_tasks(frame({"a": [0, 0, 0], "b": [1, 0, 1], "c": [1, 1, 1]}), k=2)
    assert summary["reliability"].tolist() == ["never", "flaky", "always"]
    assert summary["pass^2"].tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert summary["pass@2"].tolist() == pytest.approx([0.0, 1.0, 1.0])
    assert summary["cost_per_solved"].tolist() == pytest.approx([math.inf, 0.015, 0.01])


@pytest.mark.parametrize("c, n", [(0, 8), (3, 8), (8, 8), (1, 1), (17, 40)])
def test_wilson_interval_matches_the_formula(c, n):
    z = 1.959963984540054
    p = c / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    interval = solve_rate_ci(c, n)
    assert interval.estimate == pytest.approx(p)
    assert interval.low == pytest.approx(max(0.0, centre - half), abs=1e-9)
    assert interval.high == pytest.approx(min(1.0, centre + half), abs=1e-9)


def test_an_all_solved_task_still_has_a_wide_interval():
    assert solve_rate_ci(8, 8).low < 0.7
    assert solve_rate_ci(0, 8).high > 0.3


def test_curves_start_at_the_solve_rate_and_part(trials):
    curves = pass_k_curves(trials)
    assert list(curves.index) == [1, 2, 3, 4, 5]
    assert curves.loc[1, "pass@k"] == pytest.approx(trials["solved"].mean())
    assert curves.loc[1, "pass^k"] == pytest.approx(trials["solved"].mean())
    assert (np.diff(curves["pass@k"]) >= -1e-12).all()
    assert (np.diff(curves["pass^k"]) <= 1e-12).all()
    flags = {
        t: r.sort_values("trial")["solved"].astype(int).tolist()
        for t, r in trials.groupby("task_id")
    }
    for k in (2, 4):
        at = np.mean([by_subsets(f, k)[0] for f in flags.values()])
        hat = np.mean([by_subsets(f, k)[1] for f in flags.values()])
        assert curves.loc[k, "pass@k"] == pytest.approx(at)
        assert curves.loc[k, "pass^k"] == pytest.approx(hat)


def test_curves_stop_at_the_fewest_trials():
    uneven = frame({"a": [1, 0, 1, 1], "b": [1, 1]})
    assert list(pass_k_curves(uneven).index) == [1, 2]
    with pytest.raises(CourseError, match="between 1 and 2"):
        pass_k_curves(uneven, ks=[3])


def test_spend_per_solved_counts_the_failed_runs():
    table = frame({"a": [1, 0, 0, 1], "b": [0, 0]}, cost=0.02, latency=3.0)
    spend = spend_per_solved(table)
    assert spend == {
        "runs": 6,
        "solved": 2,
        "cost_per_solved": pytest.approx(0.06),
        "latency_per_solved": pytest.approx(9.0),
    }
    assert spend_per_solved(frame({"a": [0, 0]}))["cost_per_solved"] == math.inf


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: summarise_tasks(pd.DataFrame()), "non-empty"),
        (lambda: summarise_tasks([{"task_id": "a"}]), "non-empty"),
        (lambda: summarise_tasks(frame({"a": [1]}).drop(columns="cost_usd")), "cost_usd"),
        (lambda: summarise_tasks(frame({"a": [1, 0]}), k=3), "only 2 trials"),
        (lambda: summarise_tasks(frame({"a": [1, 0]}).assign(solved=[1.0, np.nan])), "solved"),
        (lambda: spend_per_solved(frame({"a": [1]}).assign(solved=["yes"])), "solved"),
        (lambda: pass_k_curves(frame({"a": [1, 0]}), ks=[0]), "between 1 and 2"),
        (lambda: reliability_class(3, 2), "0 <= c <= n"),
        (lambda: reliability_class(0, 0), "n >= 1"),
        (lambda: solve_rate_ci(-1, 4), "0 <= c <= n"),
        (lambda: trial_seeds(0, 0), "n_trials"),
        (lambda: trial_seeds(0, True), "n_trials"),
        (lambda: trial_seeds(0, 2.5), "n_trials"),
        (lambda: trial_seeds(-1, 2), "seed"),
        (lambda: trial_seeds("7", 2), "seed"),
    ],
)
def test_bad_input_says_what_to_do(call, message):
    with pytest.raises(CourseError, match=message):
        call()


def test_bad_run_arguments(task_set):
    client = sim()
    with pytest.raises(CourseError, match="temperature"):
        run_trials(client, task_set, n_trials=2, temperature=-0.1)
    with pytest.raises(CourseError, match="workers"):
        run_trials(client, task_set, n_trials=2, workers=0)
    with pytest.raises(CourseError, match="n_trials"):
        run_trials(client, task_set, n_trials=0)
    with pytest.raises(CourseError, match="No tasks"):
        run_trials(client, task_set, tasks=[])
