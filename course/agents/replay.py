"""Traffic replay and the production dashboard for the agent service.

A replay sends recorded (here: generated) customer conversations to a running service over
HTTP, a few at a time, as production traffic would arrive. The service writes its request log
to the trace store; the dashboard is computed from that log alone, as an on-call engineer's
would be, never from what the replay client saw.

    sessions = draw_sessions(generate_tasks(seed, 240), seed=seed)
    seen = replay(running.url, sessions, concurrency=4)
    board = dashboard_frame(store.requests(run_id=service.run_id))
    plot_dashboard(board)
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course.agents.shop.tasks import TaskSet

SERVED = ("answered", "stopped", "error")  # sessions a version handled (killed ones it did not)
MIN_JUDGED = 5


@dataclass(frozen=True)
class ReplaySession:
    """One customer conversation to replay: the task it comes from and what the customer says."""

    session_id: str
    task_id: str
    turns: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "task_id": self.task_id, "turns": list(self.turns)}


def draw_sessions(task_set: TaskSet, n: int | None = None, *, seed: int = 0) -> list[ReplaySession]:
    """``n`` of the task set's tasks (all by default) as sessions in a shuffled arrival order.

    The customer's turns are the task's goal and its scripted follow-ups; session ids come from
    the seed, so a replay is reproducible, and the flag's sticky bucketing sends each session to
    the same version every time it is replayed.
    """
    tasks = list(task_set.tasks)
    if n is not None and not 0 < n <= len(tasks):
        raise ValueError(f"n must be between 1 and {len(tasks)} (the task set's size); got {n}")
    rng = random.Random(seed)
    rng.shuffle(tasks)
    return [
        ReplaySession(f"s-{seed}-{rng.getrandbits(48):012x}", t.id, (t.goal, *t.follow_ups))
        for t in tasks[:n]
    ]


def replay(
    url: str,
    sessions: Sequence[ReplaySession],
    *,
    concurrency: int = 4,
    timeout_s: float = 60.0,
) -> pd.DataFrame:
    """POST each session to ``url``/v1/sessions, ``concurrency`` at a time, in arrival order.

    One row per session, as the client saw it: HTTP status, the service's status and version,
    and the client's wall time. A server that is down or too slow gives ``http_status`` 0 and
    the error, not an exception: a replay reports what users would have met.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be 1 or more; got {concurrency}")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=url, timeout=timeout_s, limits=limits) as client:

        def send(session: ReplaySession) -> dict[str, Any]:
            started = time.perf_counter()
            row: dict[str, Any] = {"session_id": session.session_id, "task_id": session.task_id}
            try:
                response = client.post("/v1/sessions", json=session.body())
            except httpx.HTTPError as exc:
                return row | {
                    "http_status": 0,
                    "status": "unreachable",
                    "version": None,
                    "client_s": time.perf_counter() - started,
                    "error": repr(exc),
                }
            body = _json(response)
            return row | {
                "http_status": response.status_code,
                "status": body.get("status", "error"),
                "version": body.get("version"),
                "client_s": time.perf_counter() - started,
                "error": None
                if response.is_success or response.status_code == 503
                else str(body.get("detail", response.text))[:300],
            }

        with ThreadPoolExecutor(concurrency, thread_name_prefix="replay") as pool:
            rows = list(pool.map(send, sessions))
    return pd.DataFrame(rows)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def dashboard_frame(
    requests: pd.DataFrame, *, window_s: float | None = None, windows: int = 12
) -> pd.DataFrame:
    """The request log in time windows: what a production dashboard plots.

    One row per window (``window_s`` seconds, or the log's span cut into ``windows``), indexed
    by the window's start in seconds since the first request: sessions, sessions by version
    (``n_<version>``, ``n_killed``), solve rate per version (``solve_<version>``, judged
    sessions only, left empty under ``MIN_JUDGED`` of them), cost per served session, p50/p95
    of the agent's latency, and the error share (served sessions that stopped without an
    answer or failed).
    """
    log = requests[requests["status"] != "rejected"].copy()
    if log.empty:
        raise ValueError("the request log has no sessions yet; replay some traffic first")
    start = log["started_at"].min()
    log["t"] = (log["ended_at"] - start).dt.total_seconds()
    width = window_s or max(log["t"].max() / windows, 1e-3)
    log["window"] = (np.floor(log["t"] / width) * width).round(3)
    served = log[log["status"].isin(SERVED)]
    versions = sorted(served["version"].dropna().unique())
    frame = pd.DataFrame(index=sorted(log["window"].unique()))
    frame.index.name = "t_s"
    frame["sessions"] = log.groupby("window").size()
    for version in versions:
        mine = served[served["version"] == version]
        frame[f"n_{version}"] = mine.groupby("window").size()
        judged = mine.dropna(subset=["success"])
        solve = judged.groupby("window")["success"].agg(["mean", "size"])
        # a rate over fewer than MIN_JUDGED sessions is mostly noise: left out of the plot
        frame[f"solve_{version}"] = solve["mean"].astype(float).where(solve["size"] >= MIN_JUDGED)
    frame["n_killed"] = log[log["status"] == "killed"].groupby("window").size()
    frame = frame.fillna({c: 0 for c in frame if c.startswith("n_")})
    by_window = served.groupby("window")
    frame["cost_per_session_usd"] = by_window["cost_usd"].mean()
    frame["p50_latency_s"] = by_window["latency_s"].quantile(0.5)
    frame["p95_latency_s"] = by_window["latency_s"].quantile(0.95)
    frame["error_share"] = by_window["status"].apply(lambda s: float((s != "answered").mean()))
    frame["sessions"] = frame["sessions"].fillna(0).astype(int)
    return frame


def plot_dashboard(frame: pd.DataFrame, events: Sequence[tuple[float, str]] = ()) -> plt.Figure:
    """Traffic, solve rate, cost, latency and errors over time; ``events`` (seconds, label)
    draw vertical lines, e.g. the flag changes."""
    versions = [c.removeprefix("solve_") for c in frame if c.startswith("solve_")]
    fig, axes = plt.subplots(3, 2, figsize=(11, 8), sharex=True)
    starts = frame.index.to_numpy()
    step = float(np.diff(starts).min()) if len(starts) > 1 else 1.0
    x, width = starts + step / 2, step * 0.9  # bars and points at the middle of their window
    bottom = np.zeros(len(frame))
    traffic = axes[0, 0]
    for column in [f"n_{v}" for v in versions] + ["n_killed"]:
        heights = frame[column].to_numpy(dtype=float)
        traffic.bar(
            x,
            heights,
            width=width,
            bottom=bottom,
            label=column.removeprefix("n_"),
            color="#999999" if column == "n_killed" else None,
        )
        bottom += heights
    traffic.set(title="sessions by version", ylabel="sessions")
    traffic.legend(fontsize=8)
    for version in versions:
        axes[0, 1].plot(x, frame[f"solve_{version}"], marker="o", label=version)
    axes[0, 1].set(title="solve rate (judged sessions)", ylim=(0, 1))
    axes[0, 1].legend(fontsize=8)
    axes[1, 0].plot(x, frame["cost_per_session_usd"] * 1000, marker="o", color="#55A868")
    axes[1, 0].set(title="cost per served session", ylabel="milli-dollars")
    axes[1, 1].plot(x, frame["p50_latency_s"], marker="o", label="p50")
    axes[1, 1].plot(x, frame["p95_latency_s"], marker="o", label="p95")
    axes[1, 1].set(title="agent latency per session", ylabel="seconds")
    axes[1, 1].legend(fontsize=8)
    axes[2, 0].plot(x, frame["error_share"], marker="o", color="#C44E52")
    axes[2, 0].set(title="sessions without an answer (served)", ylim=(0, 1))
    killed = frame["n_killed"] / frame["sessions"].where(frame["sessions"] > 0)
    axes[2, 1].bar(x, killed.fillna(0), width=width, color="#999999")
    axes[2, 1].set(title="share answered by the kill-switch fallback", ylim=(0, 1))
    for ax in axes.flat:
        for at, _ in events:
            ax.axvline(at, color="black", linestyle=":", linewidth=1)
    _label_events(axes[0, 0], events, span=float(starts[-1] + step - starts[0]))
    for ax in axes[-1]:
        ax.set_xlabel("seconds since the first request")
    fig.tight_layout()
    return fig


def _label_events(ax: plt.Axes, events: Sequence[tuple[float, str]], span: float) -> None:
    """Event labels at the top of ``ax``, stepped down when events crowd together."""
    level, last = 0, None
    for at, label in sorted(events):
        level = level + 1 if last is not None and at - last < span * 0.08 else 0
        last = at
        ax.annotate(
            label,
            (at, 0.97 - 0.11 * level),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            va="top",
            ha="left",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "lw": 0},
        )
