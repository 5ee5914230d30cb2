"""Every module grades as designed: the reference solutions earn full autograded marks and the
untouched student release scores zero without crashing the grader.

Both gradings are shared with the assignment and cohort tests (tests/shared_gradings.py): each
module's reference and release are graded once per session, whichever file asks first.
"""

from __future__ import annotations

import pytest
from shared_gradings import reference_report, release_report

from autograder.paths import modules_with_source, release_dir

MODULES = modules_with_source()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # a whole module per test, under load


@pytest.mark.parametrize("module", MODULES)
def test_reference_solutions_earn_full_marks(module, tmp_path_factory):
    report = reference_report(tmp_path_factory, module)
    assert report.full_auto_marks, report.problems or [
        (c.grade_id, c.points, c.max_points) for nb in report.notebooks for c in nb.cells
    ]
    assert report.auto_max > 0
    # The course's own cells may start processes (module 2 03 runs the gate CLI); the sandbox
    # audit counts only what the learner's cells do, so the reference carries no flag.
    flagged = {nb.name: nb.flags for nb in report.notebooks if nb.flags}
    assert not flagged, f"expected no flags on the reference; got {flagged}"


@pytest.mark.parametrize("module", MODULES)
def test_untouched_release_scores_zero_and_crashes_nothing(module, tmp_path_factory):
    report = release_report(tmp_path_factory, module)
    assert report.auto_score == 0
    assert not report.problems, report.problems  # every notebook was graded, none crashed
    assert len(report.notebooks) == len(list(release_dir(module).glob("*.ipynb")))
