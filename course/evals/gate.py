"""regression_gate: block a change only when the evidence says it made things worse.

A gate on the raw mean ("fail if the score dropped") fails half of all harmless changes,
because the mean moves by chance. This gate pairs the two runs item by item, tests the
difference, and fails only when the candidate is significantly worse by more than a
tolerated margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from course.errors import CourseError
from course.evals.runs import EvalRun
from course.evals.stats import Comparison, mcnemar_exact, paired_bootstrap, unpaired_bootstrap


@dataclass(frozen=True)
class GateDecision:
    """The verdict, one sentence saying why, and the numbers behind it."""

    passed: bool
    reason: str
    evidence: dict[str, Any]

    def table(self) -> str:
        """The decision and its evidence as aligned text, for a CI log."""
        width = max(len(key) for key in self.evidence)
        lines = [f"regression gate: {'PASS' if self.passed else 'FAIL'}", self.reason, ""]
        lines += [f"  {key:<{width}}  {_show(value)}" for key, value in self.evidence.items()]
        return "\n".join(lines)


def regression_gate(
    baseline: EvalRun | pd.DataFrame,
    candidate: EvalRun | pd.DataFrame,
    metric: str,
    *,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    paired: bool = True,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> GateDecision:
    """Fail only if the candidate is significantly worse than the baseline on `metric`.

    `metric` is a results column ("exact_passed", "token_f1"), or a suffix naming exactly one
    ("passed" when there is a single scorer). With paired=True, items are matched by id;
    items in only one run, and pairs with a NaN (unscored) value, are left out and listed.
    Test: mcnemar_exact when the metric is pass/fail, paired_bootstrap otherwise
    (unpaired_bootstrap on all scored items when paired=False). The difference is
    candidate - baseline with a (1 - alpha) percentile bootstrap CI. The gate fails when
      p < alpha  and  CI high < -min_effect,
    i.e. the drop is significant and even its most favourable plausible size is worse than
    the tolerated margin. Improvements and inconclusive results pass.
    """
    base, cand = _table(baseline, "baseline"), _table(candidate, "candidate")
    column = resolve_metric(base, metric)
    resolve_metric(cand, column)
    options = {"confidence": 1 - alpha, "n_resamples": n_resamples, "seed": seed}
    evidence: dict[str, Any] = {"metric": column}
    if paired:
        a, b, coverage = _pair(base, cand, column)
        comparison = paired_bootstrap(a, b, **options)
        if _is_binary(a) and _is_binary(b):
            test = mcnemar_exact(a, b)
            p_value, name = test.p_value, "mcnemar_exact"
            coverage |= {
                "both_pass": test.both,
                "baseline_only_pass": test.a_only,
                "candidate_only_pass": test.b_only,
                "neither_pass": test.neither,
            }
        else:
            p_value, name = comparison.p_value, "paired_bootstrap"
    else:
        a, b = _scored(base[column]), _scored(cand[column])
        comparison = unpaired_bootstrap(a, b, **options)
        p_value, name = comparison.p_value, "unpaired_bootstrap"
        coverage = {"n_baseline": len(a), "n_candidate": len(b)}

    worse = p_value < alpha and comparison.high < -min_effect
    evidence |= {
        "test": name,
        "baseline_mean": float(np.mean(a)),
        "candidate_mean": float(np.mean(b)),
        "difference": comparison.difference,
        "ci_low": comparison.low,
        "ci_high": comparison.high,
        "confidence": comparison.confidence,
        "p_value": p_value,
        "alpha": alpha,
        "min_effect": min_effect,
        **coverage,
    }
    return GateDecision(not worse, _reason(worse, column, comparison, p_value, evidence), evidence)


def resolve_metric(results: pd.DataFrame, metric: str) -> str:
    """The column `metric` names: itself, or the one column ending in "_<metric>"."""
    if metric in results.columns:
        return metric
    matches = [c for c in results.columns if str(c).endswith(f"_{metric}")]
    if len(matches) == 1:
        return matches[0]
    raise CourseError(
        f"Metric {metric!r} is {'ambiguous' if matches else 'not a results column'}.",
        hint=f"Name one of: {', '.join(map(str, matches or results.columns))}.",
    )


def _table(run: EvalRun | pd.DataFrame, role: str) -> pd.DataFrame:
    results = run.results if isinstance(run, EvalRun) else run
    if "id" not in results.columns or results.empty:
        raise CourseError(
            f"The {role} results are empty or have no 'id' column.",
            hint="Pass an EvalRun, its .results, or a file written by EvalRun.save().",
        )
    if results["id"].duplicated().any():
        raise CourseError(
            f"The {role} results repeat item ids, so items cannot be paired.",
            hint="Each id must appear once per run.",
        )
    return results.assign(id=results["id"].astype(str))


def _pair(
    base: pd.DataFrame, cand: pd.DataFrame, column: str
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Scores of the items both runs scored, in the same order, plus what was left out."""
    merged = base[["id", column]].merge(cand[["id", column]], on="id", suffixes=("_a", "_b"))
    a, b = merged[f"{column}_a"].astype(float), merged[f"{column}_b"].astype(float)
    scored = a.notna() & b.notna()
    coverage = {
        "n_compared": int(scored.sum()),
        "missing_in_candidate": sorted(set(base["id"]) - set(cand["id"])),
        "missing_in_baseline": sorted(set(cand["id"]) - set(base["id"])),
        "unscored_pairs": int((~scored).sum()),
    }
    if not scored.any():
        raise CourseError(
            "The two runs share no scored items, so there is nothing to compare.",
            hint="Run both on the same dataset (item ids must match).",
        )
    return a[scored].to_numpy(), b[scored].to_numpy(), coverage


def _scored(values: pd.Series) -> np.ndarray:
    numbers = values.astype(float).dropna().to_numpy()
    if len(numbers) == 0:
        raise CourseError("A run has no scored items for this metric.")
    return numbers


def _is_binary(values: np.ndarray) -> bool:
    return bool(np.isin(values, (0.0, 1.0)).all())


def _reason(
    worse: bool, metric: str, comparison: Comparison, p_value: float, evidence: dict[str, Any]
) -> str:
    change = (
        f"{metric} {evidence['baseline_mean']:.3f} -> {evidence['candidate_mean']:.3f} "
        f"(difference {comparison.difference:+.3f}, {comparison.confidence:.0%} CI "
        f"{comparison.low:+.3f} to {comparison.high:+.3f}, p = {p_value:.3g})"
    )
    if worse:
        verdict = f"Regression: {change}; significant and beyond -{evidence['min_effect']:g}."
    elif comparison.difference < 0 and p_value < evidence["alpha"]:
        verdict = (
            f"Pass: {change}; the drop is significant, but its CI does not lie wholly "
            f"below -{evidence['min_effect']:g}."
        )
    else:
        verdict = f"Pass: {change}; no significant drop."
    missing = len(evidence.get("missing_in_candidate", []))
    if missing:
        verdict += f" Note: {missing} baseline item(s) are missing from the candidate."
    return verdict


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        shown = ", ".join(map(str, value[:10]))
        return (shown + f" (+{len(value) - 10} more)" if len(value) > 10 else shown) or "none"
    return str(value)
