"""`python -m course.evals gate BASELINE CANDIDATE --metric M`: the regression gate for CI.

BASELINE and CANDIDATE are results files written by EvalRun.save() or run ids recorded in
the eval history. Prints the evidence table; exits 0 when the gate passes, 1 when the
candidate regressed, 2 on bad input (a missing file, an unknown run id or metric).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from course.errors import CourseError
from course.evals.gate import regression_gate
from course.evals.history import EvalHistory
from course.evals.runs import load_results

PASSED, REGRESSED, BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        baseline = _results(args.baseline, args.history)
        candidate = _results(args.candidate, args.history)
        decision = regression_gate(
            baseline,
            candidate,
            args.metric,
            alpha=args.alpha,
            min_effect=args.min_effect,
            paired=not args.unpaired,
        )
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT
    print(decision.table())
    return PASSED if decision.passed else REGRESSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course.evals", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gate = commands.add_parser("gate", help="fail (exit 1) if the candidate run regressed")
    gate.add_argument("baseline", help="results .jsonl (EvalRun.save) or a run id in the history")
    gate.add_argument("candidate", help="results .jsonl (EvalRun.save) or a run id in the history")
    gate.add_argument("--metric", required=True, help='results column, e.g. "exact_passed"')
    gate.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    gate.add_argument(
        "--min-effect", type=float, default=0.0, help="tolerated drop before failing (0.0)"
    )
    gate.add_argument("--unpaired", action="store_true", help="compare as independent samples")
    gate.add_argument("--history", help="eval history file (default: COURSE_HOME/evals.sqlite)")
    return parser


def _results(reference: str, history: str | None) -> pd.DataFrame:
    """A results file if `reference` is one, else a run id looked up in the history."""
    path = Path(reference)
    if path.is_file():
        return load_results(path)
    if path.suffix in (".jsonl", ".json"):
        raise CourseError(f"No results file at {path}.", hint="Check the path.")
    return EvalHistory(history).results(reference)
