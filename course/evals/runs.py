"""EvalRun: what one eval run produced, and how to save, summarise and reload it."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from course.errors import CourseError
from course.evals.stats import bootstrap_ci

SUMMARY_COLUMNS = ["mean", "ci_low", "ci_high", "pass_rate", "n", "unscored"]


@dataclass
class EvalRun:
    """One run: a row per item in `results`, plus what it takes to reproduce and compare it.

    `results` columns: id, output, expected; for each scorer S: S (the value), S_passed,
    S_error, S_detail; then error (the solver's, if it raised), attempts, latency_s and
    cost_usd (NaN when the solver did not return an LLMResponse).
    """

    run_id: str
    name: str
    started_at: str
    finished_at: str
    config: dict[str, Any]
    scorers: list[str]
    results: pd.DataFrame
    git_commit: str | None = None

    def summary(
        self, *, confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
    ) -> pd.DataFrame:
        """Per scorer: mean value with a percentile bootstrap CI (stats.bootstrap_ci), the pass
        rate, n scored items, and how many were unscored.

        Unscored items (value NaN: the scorer could not decide, e.g. the judge's reply had no
        verdict) are left out of the mean and the pass rate and counted in `unscored`. Read
        that column: it is where a broken judge shows up.
        """
        rows = {
            name: self._scorer_summary(name, confidence, n_resamples, seed) for name in self.scorers
        }
        return pd.DataFrame.from_dict(rows, orient="index", columns=SUMMARY_COLUMNS).rename_axis(
            "scorer"
        )

    def _scorer_summary(
        self, name: str, confidence: float, n_resamples: int, seed: int
    ) -> dict[str, float]:
        values = self.results[name].astype(float)
        scored = values.dropna()
        if scored.empty:
            return dict(zip(SUMMARY_COLUMNS, [np.nan] * 4 + [0, len(values)], strict=True))
        ci = bootstrap_ci(scored, confidence=confidence, n_resamples=n_resamples, seed=seed)
        passed = self.results.loc[scored.index, f"{name}_passed"].astype(float)
        return {
            "mean": ci.estimate,
            "ci_low": ci.low,
            "ci_high": ci.high,
            "pass_rate": float(passed.mean()),
            "n": len(scored),
            "unscored": len(values) - len(scored),
        }

    @property
    def cost_usd(self) -> float:
        """Total cost of the solver's model calls (cache hits cost nothing)."""
        return float(self.results["cost_usd"].sum())

    def failures(self, scorer: str) -> pd.DataFrame:
        """The rows this scorer did not pass: where failure analysis starts."""
        return self.results[~self.results[f"{scorer}_passed"].astype(bool)]

    def save(self, path: str | Path) -> Path:
        """The results as JSONL, one item per line: what `python -m course.evals gate` reads."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.results.to_json(
            path, orient="records", lines=True, force_ascii=False, default_handler=str
        )
        return path

    def __repr__(self) -> str:
        return (
            f"EvalRun({self.name!r}, run_id={self.run_id!r}, items={len(self.results)}, "
            f"scorers={self.scorers})"
        )


def load_results(path: str | Path) -> pd.DataFrame:
    """A results table saved by EvalRun.save (or any JSONL with an "id" per line)."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"No results file at {path}.", hint="Write one with EvalRun.save().")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise CourseError(
                f"{path}, line {number}: not valid JSON ({error.msg}).",
                hint="Results files hold one JSON object per line, as EvalRun.save() writes.",
            ) from None
    return pd.DataFrame(rows)


def current_commit() -> str | None:
    """The git commit checked out in the working directory, or None outside a checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
