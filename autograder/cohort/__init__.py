"""Cohort grading: an LMS export in; a gradebook, grades, feedback and a report out.

Entry points: ``run_cohort`` (Python) and ``cli.main`` / ``python -m autograder.cohort``.
See docs/COHORT.md for the instructor workflow.
"""

from autograder.cohort.run import CohortError, CohortSummary, run_cohort

__all__ = ["CohortError", "CohortSummary", "run_cohort"]
