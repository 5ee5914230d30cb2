"""A code-review bot and its evaluation: labelled diffs, a linter, an LLM reviewer, the scores.

from course.review import generate_diffs, lint_review, review_diffs, score

diffs = generate_diffs(seed=0, n=100)          # labelled: diff.labels is a set of KINDS
by_linter = lint_review(diffs, {"S113": "no_timeout", "E722": "bare_except"})
by_model = [r.kinds for r in review_diffs(Client(feature="review"), diffs, default_prompt())]
score([d.labels for d in diffs], by_linter)    # precision and recall per kind
"""

from course.review.diffs import Diff, make_diff, parse_diff
from course.review.generate import generate_diffs
from course.review.kinds import KINDS, SEMANTIC_KINDS
from course.review.lint import (
    BROAD_SELECT,
    LintFinding,
    kinds_from_findings,
    lint_diffs,
    lint_review,
    ruff_version,
)
from course.review.reviewer import Review, default_prompt, parse_findings, review_diff, review_diffs
from course.review.scoring import score, union, wilson

__all__ = [
    "BROAD_SELECT",
    "KINDS",
    "SEMANTIC_KINDS",
    "Diff",
    "LintFinding",
    "Review",
    "default_prompt",
    "generate_diffs",
    "kinds_from_findings",
    "lint_diffs",
    "lint_review",
    "make_diff",
    "parse_diff",
    "parse_findings",
    "review_diff",
    "review_diffs",
    "ruff_version",
    "score",
    "union",
    "wilson",
]
