"""Pictures of the trace store: where a distribution tells more than an average."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from course.tracing.analysis import call_latency


def plot_latency(attempts: pd.DataFrame, title: str = "Latency per call") -> Figure:
    """Histogram of end-to-end call latency with p50 and p95 marked."""
    latency = call_latency(attempts)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(latency, bins=min(40, max(5, len(latency) // 3)), color="#4C72B0", alpha=0.85)
    for q, style in ((0.50, "--"), (0.95, ":")):
        value = latency.quantile(q)
        ax.axvline(value, color="black", linestyle=style, label=f"p{int(q * 100)} = {value:.2f} s")
    ax.set(title=title, xlabel="seconds", ylabel="calls")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_cost(attempts: pd.DataFrame, title: str = "Cumulative cost") -> Figure:
    """Running total of spend in call order, one line per feature: spot the blow-up."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for feature, group in attempts.sort_values("id").groupby("feature"):
        ax.plot(range(1, len(group) + 1), group["cost_usd"].cumsum(), label=str(feature))
    ax.set(title=title, xlabel="attempt number", ylabel="USD")
    ax.legend()
    fig.tight_layout()
    return fig
