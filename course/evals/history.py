"""EvalHistory: every run appended to SQLite, so "the number that goes up over time" is a plot
with error bars rather than a memory, and any two past runs can be compared item by item.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from course.config import state_dir
from course.errors import CourseError
from course.storage import connect

if TYPE_CHECKING:
    from course.evals.runs import EvalRun

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    n_items     INTEGER NOT NULL,
    git_commit  TEXT,
    config      TEXT NOT NULL,  -- JSON
    metrics     TEXT NOT NULL   -- JSON: {scorer: {mean, ci_low, ci_high, pass_rate, n, unscored}}
);
CREATE INDEX IF NOT EXISTS runs_name ON runs (name, started_at);
CREATE TABLE IF NOT EXISTS items (
    run_id   TEXT NOT NULL REFERENCES runs (run_id),
    position INTEGER NOT NULL,
    item_id  TEXT NOT NULL,
    scores   TEXT NOT NULL,     -- JSON: {scorer: value, scorer_passed: bool}
    error    TEXT,
    PRIMARY KEY (run_id, item_id)
);
"""
RUN_COLUMNS = ["run_id", "name", "started_at", "finished_at", "n_items", "git_commit", "config"]
COLUMNS = [*RUN_COLUMNS, "metrics"]


class EvalHistory:
    """Run records in one SQLite file (default: COURSE_HOME/evals.sqlite).

    Each run keeps its name, timestamps, config, git commit, per-scorer means with their
    95% bootstrap CIs, and per-item scores (not outputs), which is what regression_gate and
    `python -m course.evals gate RUN_A RUN_B` need.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else state_dir() / "evals.sqlite"
        self._lock = threading.Lock()
        self._db = connect(self.path, SCHEMA)

    def append(self, run: EvalRun) -> None:
        """Record a run; appending the same run id twice is an error."""
        metrics = {
            scorer: {key: _plain(value) for key, value in row.items()}
            for scorer, row in run.summary().iterrows()
        }
        score_columns = [c for s in run.scorers for c in (s, f"{s}_passed")]
        record = (
            run.run_id,
            run.name,
            run.started_at,
            run.finished_at,
            len(run.results),
            run.git_commit,
            _json(run.config),
            _json(metrics),
        )
        items = [
            (
                run.run_id,
                position,
                str(row["id"]),
                _json({column: row[column] for column in score_columns}),
                _plain(row["error"]),
            )
            for position, row in enumerate(run.results.to_dict("records"))
        ]
        with self._lock, self._db:  # one transaction: the run and its items, or neither
            self._db.execute(
                f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({_marks(8)})", record
            )
            self._db.executemany(f"INSERT INTO items VALUES ({_marks(5)})", items)

    def runs(self, name: str | None = None) -> pd.DataFrame:
        """One row per run, oldest first: the run columns, config (a dict), and per scorer S
        the columns S (mean), S_ci_low, S_ci_high, S_pass_rate."""
        query = f"SELECT {', '.join(COLUMNS)} FROM runs"
        params: tuple[str, ...] = ()
        if name is not None:
            query, params = query + " WHERE name = ?", (name,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY started_at, rowid", params).fetchall()
        records = []
        for row in rows:
            record = dict(zip(COLUMNS, row, strict=True))
            record["config"] = json.loads(record["config"])
            for scorer, stats in json.loads(record.pop("metrics")).items():
                record[scorer] = _float(stats["mean"])
                for key in ("ci_low", "ci_high", "pass_rate"):
                    record[f"{scorer}_{key}"] = _float(stats[key])
            records.append(record)
        table = pd.DataFrame(records, columns=None if records else RUN_COLUMNS)
        table["started_at"] = pd.to_datetime(table["started_at"], utc=True)
        return table

    def results(self, run_id: str) -> pd.DataFrame:
        """Per-item scores of one run (id, error, S, S_passed), in item order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, error, scores FROM items WHERE run_id = ? ORDER BY position",
                (run_id,),
            ).fetchall()
        if not rows:
            raise CourseError(
                f"No run {run_id!r} in {self.path}.",
                hint="EvalHistory().runs() lists the recorded runs and their ids.",
            )
        return pd.DataFrame(
            [
                {"id": item_id, "error": error, **json.loads(scores)}
                for item_id, error, scores in rows
            ]
        )

    def plot(self, metric: str, name: str | None = None) -> Figure:
        """The metric's mean over time, one line per run name, with CI error bars."""
        table = self.runs(name)
        if metric not in table.columns:
            known = sorted(c for c in table.columns if f"{c}_ci_low" in table.columns)
            raise CourseError(
                f"No metric {metric!r} in the history{f' for {name!r}' if name else ''}.",
                hint=f"Recorded metrics: {', '.join(known) or 'none yet'}; run_eval(..., "
                "history=EvalHistory()) records a run.",
            )
        table = table.dropna(subset=[metric])
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for run_name, group in table.groupby("name"):
            below = group[metric] - group[f"{metric}_ci_low"]
            above = group[f"{metric}_ci_high"] - group[metric]
            ax.errorbar(
                group["started_at"],
                group[metric],
                yerr=[below, above],
                marker="o",
                capsize=3,
                label=str(run_name),
            )
        ax.set(title=f"{metric} over time", xlabel="run started (UTC)", ylabel=f"{metric} (95% CI)")
        ax.legend()
        fig.autofmt_xdate()
        fig.tight_layout()
        return fig


def _plain(value: Any) -> Any:
    """numpy numbers to Python ones, NaN to None: strict JSON has no NaN."""
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _json(value: Any) -> str:
    cleaned = {k: _plain(v) for k, v in value.items()} if isinstance(value, dict) else value
    return json.dumps(cleaned, sort_keys=True, default=str, allow_nan=False)
