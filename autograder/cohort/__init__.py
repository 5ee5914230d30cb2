"""Cohort grading: an LMS export in; a gradebook, grades, feedback and a report out.

Entry points: ``run_cohort`` (Python) and ``cli.main`` / ``python -m autograder cohort``.
See docs/COHORT.md for the instructor workflow.

The names below load on first use: ``python -m autograder`` imports the command line from
here, and the grading stack behind ``run_cohort`` (Dask, matplotlib, SQLAlchemy) costs seconds
that a learner's ``check`` should not pay.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CohortError", "CohortSummary", "run_cohort"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from autograder.cohort import run

        return getattr(run, name)
    raise AttributeError(f"module 'autograder.cohort' has no attribute {name!r}")
