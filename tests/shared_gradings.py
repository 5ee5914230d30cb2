"""Gradings shared by every test file of one pytest session, across pytest-xdist workers.

Grading a module's reference or its untouched release takes minutes, and several files need the
same report (the module's own grading test, the assignment tests, the cohort test). The first
file to ask grades it under a file lock; the others wait for it and read the pickled report, so
each is graded once per session, whichever file the scheduler runs first. The folder belongs to
this session only (a worker's base temp folder's parent under xdist, the base folder otherwise),
so nothing is reused from an earlier run with other code.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from autograder.grading import GradeReport, NotebookGrade, grade_reference, grade_submission
from autograder.paths import release_dir


def _session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-gradings"
    folder.mkdir(exist_ok=True)
    return folder


def shared(
    tmp_path_factory: pytest.TempPathFactory, name: str, grade: Callable[[Path], GradeReport]
) -> GradeReport:
    """The report `grade(workdir)` returns, computed by the first caller of this session."""
    folder = _session_folder(tmp_path_factory)
    result = folder / f"{name}.pickle"
    with FileLock(str(folder / f"{name}.lock")):
        if not result.exists():
            report = grade(folder / f"{name}-work")
            result.write_bytes(pickle.dumps(report))
    return pickle.loads(result.read_bytes())


def reference_report(tmp_path_factory: pytest.TempPathFactory, module: str) -> GradeReport:
    """The whole module's instructor notebooks, graded as a learner's submission would be."""
    return shared(
        tmp_path_factory,
        f"{module}-reference",
        lambda work: grade_reference(module, workdir=work),
    )


def release_report(tmp_path_factory: pytest.TempPathFactory, module: str) -> GradeReport:
    """The module's untouched student release, graded."""
    return shared(
        tmp_path_factory,
        f"{module}-release",
        lambda work: grade_submission(module, release_dir(module), workdir=work),
    )


def notebook_grade(report: GradeReport, notebook: str) -> NotebookGrade:
    """One notebook's part of a module's report (by file name, with or without .ipynb)."""
    (grade,) = [nb for nb in report.notebooks if nb.name == notebook.removesuffix(".ipynb")]
    return grade


def check_reference(
    tmp_path_factory: pytest.TempPathFactory,
    module: str,
    notebook: str,
    points: dict[str, float],
    manual: dict[str, float],
) -> None:
    """The reference of `notebook` earns exactly `points` and its written answers wait."""
    grade = notebook_grade(reference_report(tmp_path_factory, module), notebook)
    assert grade.problem is None and not grade.flags, (grade.problem, grade.flags)
    earned = {c.grade_id: c.points for c in grade.cells if c.autograded}
    assert earned == points, f"expected {points}, got {earned}"
    pending = sum(c.max_points for c in grade.cells if c.needs_manual_grade)
    assert pending == sum(manual.values()), f"expected {manual} waiting, got {pending} points"


def check_untouched_release(
    tmp_path_factory: pytest.TempPathFactory, module: str, notebook: str, points: dict[str, float]
) -> None:
    """The untouched release of `notebook` is graded in every clause and earns nothing."""
    grade = notebook_grade(release_report(tmp_path_factory, module), notebook)
    assert grade.problem is None, grade.problem
    assert grade.score == 0, f"expected 0 points, got {grade.score}"
    waiting = [c.grade_id for c in grade.cells if c.needs_manual_grade]
    assert not waiting, f"nothing written, nothing to read; waiting: {waiting}"
    graded = {c.grade_id for c in grade.cells if c.autograded}
    assert graded == set(points), f"expected clauses {sorted(points)}, got {sorted(graded)}"
