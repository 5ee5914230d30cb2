"""course.evals: datasets, scorers, a harness, statistics, a regression gate and a history.

The loop it supports: load a dataset you trust (datasets), score outputs the same way every
time (scorers, judge, codecheck), run the system over all items (harness), say how sure the
number is (stats), refuse changes that make it worse (gate), and watch it over time (history).
"""

from course.evals.codecheck import code_check
from course.evals.datasets import (
    EvalItem,
    assert_no_leakage,
    assign_splits,
    check_duplicates,
    check_leakage,
    content_id,
    load_jsonl,
)
from course.evals.gate import GateDecision, regression_gate
from course.evals.harness import run_eval
from course.evals.history import EvalHistory
from course.evals.judge import LLMJudge, parse_verdict
from course.evals.runs import EvalRun, load_results
from course.evals.scorers import Score, exact, json_schema_valid, normalised, token_f1
from course.evals.stats import (
    Alignment,
    Comparison,
    Interval,
    McNemar,
    bootstrap_ci,
    corrected_rate_ci,
    corrected_success_rate,
    judge_alignment,
    mcnemar_exact,
    paired_bootstrap,
    pass_at_k,
    pass_hat_k,
    unpaired_bootstrap,
)
from course.evals.text import normalise

__all__ = [
    "Alignment",
    "Comparison",
    "EvalHistory",
    "EvalItem",
    "EvalRun",
    "GateDecision",
    "Interval",
    "LLMJudge",
    "McNemar",
    "Score",
    "assert_no_leakage",
    "assign_splits",
    "bootstrap_ci",
    "check_duplicates",
    "check_leakage",
    "code_check",
    "content_id",
    "corrected_rate_ci",
    "corrected_success_rate",
    "exact",
    "json_schema_valid",
    "judge_alignment",
    "load_jsonl",
    "load_results",
    "mcnemar_exact",
    "normalise",
    "normalised",
    "paired_bootstrap",
    "parse_verdict",
    "pass_at_k",
    "pass_hat_k",
    "regression_gate",
    "run_eval",
    "token_f1",
    "unpaired_bootstrap",
]
