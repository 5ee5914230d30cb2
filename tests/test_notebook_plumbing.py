"""The small library helpers that keep notebook cells short: per-call tables and eval plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from course.evals import EvalRun
from course.evals.plots import cost_quality_table, plot_ci, plot_cost_quality
from course.tracing import call_latency, per_call


def attempts_table() -> pd.DataFrame:
    """Three calls, written out of call_id order: c2 retried twice, c3 repaired, c1 plain."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "call_id": ["c2", "c2", "c2", "c3", "c3", "c1"],
            "status": ["error", "error", "ok", "ok", "ok", "ok"],
            "latency_s": [0.5, 0.25, 1.0, 0.75, 0.5, 2.0],
            "backoff_s": [1.0, 2.0, 0.0, 0.0, 0.0, 0.0],
        }
    )


def test_per_call_keeps_the_order_calls_started_in():
    table = per_call(attempts_table())
    assert list(table.index) == ["c2", "c3", "c1"]
    assert table["attempts"].tolist() == [3, 2, 1]
    assert table["billed"].tolist() == [1, 2, 1]


def test_per_call_latency_is_what_the_user_waited():
    attempts = attempts_table()
    table = per_call(attempts)
    assert table["latency_s"].tolist() == pytest.approx([4.75, 1.25, 2.0])
    assert table["latency_s"].sort_index().tolist() == call_latency(attempts).tolist()


def test_per_call_of_no_attempts_is_an_empty_table():
    empty = attempts_table().iloc[0:0]
    assert per_call(empty).empty
    assert list(per_call(empty).columns) == ["attempts", "billed", "latency_s"]


def test_plot_ci_draws_bars_from_the_interval_bounds():
    fig, ax = plt.subplots()
    bars = plot_ci(ax, [1, 2], [0.5, 0.7], [0.4, 0.5], [0.8, 0.75])
    segments = bars.lines[2][0].get_segments()
    assert [tuple(s[:, 1]) for s in segments] == [
        pytest.approx((0.4, 0.8)),
        pytest.approx((0.5, 0.75)),
    ]
    plt.close(fig)


def test_plot_ci_takes_one_point_and_lays_it_horizontally():
    fig, ax = plt.subplots()
    bars = plot_ci(ax, 3, 0.2, -0.1, 0.3, horizontal=True)
    (segment,) = bars.lines[2][0].get_segments()
    assert tuple(segment[:, 0]) == pytest.approx((-0.1, 0.3))
    assert tuple(segment[:, 1]) == (3, 3)
    plt.close(fig)


def make_run(label: str, correct: list[float], cost_usd: float, latency_s: list[float]) -> EvalRun:
    n = len(correct)
    results = pd.DataFrame(
        {
            "id": [f"q{i}" for i in range(n)],
            "correct": correct,
            "correct_passed": [bool(v) for v in correct],
            "correct_error": [None] * n,
            "latency_s": latency_s,
            "cost_usd": [cost_usd / n] * n,
        }
    )
    return EvalRun(
        run_id=label,
        name="test",
        started_at="",
        finished_at="",
        config={"label": label},
        scorers=["correct"],
        results=results,
    )


def test_cost_quality_table_puts_the_cheapest_run_first():
    dear = make_run("dear", [1.0, 1.0, 0.0, 1.0], 0.004, [1.0, 2.0, 3.0, 4.0])
    cheap = make_run("cheap", [0.0, 1.0, 0.0, 0.0], 0.0004, [0.5, 0.5, 0.5, 0.5])
    table = cost_quality_table([dear, cheap], "correct")
    assert table["configuration"].tolist() == ["cheap", "dear"]
    assert table["correct"].tolist() == pytest.approx([0.25, 0.75])
    assert table["USD per 1k questions"].tolist() == pytest.approx([0.1, 1.0])
    assert table["p50 latency (s)"].tolist() == pytest.approx([0.5, 2.5])
    assert (table["ci_low"] <= table["correct"]).all()
    assert (table["correct"] <= table["ci_high"]).all()
    assert list(table.columns) == [
        "configuration",
        "correct",
        "ci_low",
        "ci_high",
        "USD per 1k questions",
        "p50 latency (s)",
        "p95 latency (s)",
    ]


def test_plot_cost_quality_names_each_point():
    runs = [
        make_run("a", [1.0, 0.0], 0.002, [1.0, 1.0]),
        make_run("b", [1.0, 1.0], 0.02, [2.0, 2.0]),
    ]
    table = cost_quality_table(runs, per="items")
    fig = plot_cost_quality(table, labels=["first", "second"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["first, p95 1.00 s", "second, p95 2.00 s"]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "cost, USD per 1,000 items (log scale)"
    assert np.isfinite(ax.get_ylim()).all()
    plt.close(fig)
