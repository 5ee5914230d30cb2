"""Pictures of eval runs: a metric with its confidence interval, and cost against quality.

Every number an eval reports comes with an interval (course.evals.stats), so every picture of
one draws it: a point with error bars from the interval's low and high ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from course.evals.runs import EvalRun

Values = float | Sequence[float] | np.ndarray | pd.Series  # one point or one per point


def plot_ci(
    ax: Axes,
    x: Values,
    estimate: Values,
    low: Values,
    high: Values,
    *,
    horizontal: bool = False,
    **style,
) -> ErrorbarContainer:
    """Points at `estimate` with error bars from `low` to `high` (a CI's ends, not its widths).

    Each argument is one number (one point) or one number per point.

    matplotlib's `errorbar` wants the distances below and above each point; this takes the
    interval's bounds, as `bootstrap_ci` and `EvalRun.summary()` report them. With `horizontal`
    the estimates go on the x axis and `x` gives their y positions. `style` goes to `errorbar`
    (capsize defaults to 3).
    """
    estimate, low, high = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (estimate, low, high))
    x = np.atleast_1d(np.asarray(x))
    spread = [estimate - low, high - estimate]
    style = {"capsize": 3, **style}
    if horizontal:
        return ax.errorbar(estimate, x, xerr=spread, **style)
    return ax.errorbar(x, estimate, yerr=spread, **style)


def cost_quality_table(
    runs: Iterable[EvalRun], metric: str = "correct", *, per: str = "questions"
) -> pd.DataFrame:
    """One row per run, cheapest first: its label, `metric` with its 95% CI, cost and latency.

    Columns: configuration (the run's `config["label"]`), `metric`, ci_low, ci_high,
    "USD per 1k <per>" (what 1,000 items cost at this run's average), and the p50 and p95 of
    the per-item latency.
    """
    cost = f"USD per 1k {per}"
    rows = []
    for run in runs:
        summary = run.summary().loc[metric]
        rows.append(
            {
                "configuration": run.config["label"],
                metric: summary["mean"],
                "ci_low": summary["ci_low"],
                "ci_high": summary["ci_high"],
                cost: 1000 * run.cost_usd / len(run.results),
                "p50 latency (s)": run.results["latency_s"].median(),
                "p95 latency (s)": run.results["latency_s"].quantile(0.95),
            }
        )
    return pd.DataFrame(rows).sort_values(cost)


def plot_cost_quality(
    table: pd.DataFrame,
    metric: str = "correct",
    *,
    labels: Sequence[str] | None = None,
    title: str = "Cost vs quality of each configuration",
) -> Figure:
    """The runs of `cost_quality_table` as points with CIs on a log cost axis, each one named.

    `labels` name the points (the configuration column by default); each label also gives the
    run's p95 latency, so the three trade-offs are in one picture.
    """
    cost = next(column for column in table.columns if column.startswith("USD per 1k"))
    fig, ax = plt.subplots(figsize=(8, 3.8))
    plot_ci(ax, table[cost], table[metric], table["ci_low"], table["ci_high"], fmt="o")
    names = list(table["configuration"] if labels is None else labels)
    for i, (name, (_, row)) in enumerate(zip(names, table.iterrows(), strict=True)):
        ax.annotate(
            f"{name}, p95 {row['p95 latency (s)']:.2f} s",
            (row[cost], row[metric]),
            textcoords="offset points",
            xytext=(6, 10 if i % 2 else -14),
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.set(
        xlabel=f"cost, {cost.replace('1k', '1,000')} (log scale)",
        ylabel=f"share {metric}, 95% CI",
        title=title,
    )
    fig.tight_layout()
    return fig
