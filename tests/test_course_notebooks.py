"""Every real course notebook: runs headless silently, on the simulator and over HTTP through
the openai provider, and grades as designed (reference full marks, untouched release zero)."""

from __future__ import annotations

import pytest

from autograder.grading import grade_reference, grade_submission
from autograder.paths import modules_with_source, release_dir, source_notebooks
from course.notebooks import run_notebook
from course.sim.server import serve_in_thread

NOTEBOOKS = source_notebooks()
MODULES = modules_with_source()
BUDGET_S = 60  # "well under a minute" on a 2-core machine; typical runs take a few seconds


def _id(path):
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_runs_on_the_simulator_without_stderr(path, tmp_path):
    result = run_notebook(path, {"provider": "sim", "seed": 0}, tmp_path)
    assert result.ok, result.error or result.stderr_cells
    assert result.seconds < BUDGET_S


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_runs_through_the_openai_provider_against_the_sim_server(path, tmp_path, monkeypatch):
    with serve_in_thread() as server:
        monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
        result = run_notebook(path, {"provider": "openai", "model": "sim-small"}, tmp_path)
        served = server.completions_received
    assert result.ok, result.error or result.stderr_cells
    assert served > 0, "the notebook never reached the HTTP server"


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_reference_solutions_earn_full_marks(module, tmp_path):
    report = grade_reference(module, workdir=tmp_path)
    assert report.full_auto_marks, report.problems or [
        (c.grade_id, c.points, c.max_points) for nb in report.notebooks for c in nb.cells
    ]
    assert report.auto_max > 0


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_untouched_release_scores_zero_and_crashes_nothing(module, tmp_path):
    report = grade_submission(module, release_dir(module), workdir=tmp_path)
    assert report.auto_score == 0
    assert not report.problems, report.problems  # every notebook was graded, none crashed
    assert len(report.notebooks) == len(list(release_dir(module).glob("*.ipynb")))
