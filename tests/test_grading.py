"""Grading a module end to end with nbgrader, on the fixture assignment.

The fixture (tests/fixtures/source/fixture_module/squares.ipynb) has a solution cell, a
visible test worth 1 point, a test with hidden cases worth 2 and a written answer worth 1.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.__main__ import main
from autograder.feedback import HIDDEN_PLACEHOLDER, HideHiddenTests, write_feedback
from autograder.grading import GradeReport, grade_reference, grade_submission
from autograder.release import generate_release

pytestmark = pytest.mark.slow

FIXTURE_SOURCE = Path(__file__).parent / "fixtures" / "source"
MODULE = "fixture_module"
HIDDEN_LINE = 'assert squares(6)[-1] == 25, "squares(n) must work for any n, not just small ones"'
HIDDEN_MESSAGE = "squares(n) must work for any n, not just small ones"


def grade(folder: Path, workdir: Path, **kwargs) -> GradeReport:
    return grade_submission(MODULE, folder, workdir=workdir, source_root=FIXTURE_SOURCE, **kwargs)


def cells(report: GradeReport) -> dict[str, tuple[float, bool]]:
    """grade_id -> (points, needs_manual_grade)."""
    return {c.grade_id: (c.points, c.needs_manual_grade) for c in report.notebooks[0].cells}


def edit(folder: Path, grade_id: str, source: str | None) -> Path:
    """Replace (or, with None, delete) the cell ``grade_id`` of the learner's notebook."""
    path = folder / "squares.ipynb"
    nb = nbformat.read(path, as_version=4)
    kept = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            if source is None:
                continue
            cell.source = source
        kept.append(cell)
    nb.cells = kept
    nbformat.write(nb, path)
    return path


def digest(path: Path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release")
    generate_release(MODULE, folder, source_root=FIXTURE_SOURCE)
    return folder


@pytest.fixture
def learner(release, tmp_path) -> Path:
    """A fresh copy of the student version, as a learner would have it."""
    folder = tmp_path / "learner"
    folder.mkdir()
    for path in release.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


@pytest.fixture(scope="module")
def partial(release, tmp_path_factory) -> tuple[GradeReport, Path, tuple[str, float]]:
    """Visible check right, hidden cases wrong, a written answer given; graded once."""
    folder = tmp_path_factory.mktemp("partial")
    for path in release.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    edit(folder, "squares", "def squares(n):\n    return [0, 1, 4][:n]")
    notebook = edit(folder, "explain", "So a solution cannot be fitted to the visible checks.")
    before = digest(notebook)
    return grade(folder, tmp_path_factory.mktemp("work")), notebook, before


def test_reference_solution_earns_full_autograded_marks(tmp_path):
    report = grade_reference(MODULE, workdir=tmp_path, source_root=FIXTURE_SOURCE)
    assert report.full_auto_marks
    assert (report.auto_score, report.auto_max) == (3.0, 3.0)
    assert cells(report)["explain"] == (0.0, True)  # a written answer waits for a person
    assert report.pending_manual == 1.0


def test_untouched_release_scores_zero_without_crashing(learner, tmp_path):
    report = grade(learner, tmp_path)
    assert report.score == 0.0 and report.max_score == 4.0
    assert report.problems == []
    assert not any(manual for _, manual in cells(report).values())  # nothing stuck
    assert any("NotImplementedError" in error for error in report.notebooks[0].errors)


def test_visible_right_hidden_wrong_gets_partial_credit(partial):
    report, notebook, before = partial
    assert cells(report) == {
        "test_visible": (1.0, False),
        "test_hidden": (0.0, False),
        "explain": (0.0, True),
    }
    assert any(HIDDEN_MESSAGE in error for error in report.notebooks[0].errors)
    assert digest(notebook) == before  # grading only ever reads the learner's file


def test_feedback_shows_the_failure_but_not_the_hidden_tests(partial, course_home):
    report, _, _ = partial
    pages = write_feedback(report, course_home / "feedback" / MODULE)
    assert [page.name for page in pages] == ["squares.html"]
    text = html.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text()))
    assert HIDDEN_MESSAGE in text  # the failure message, from the exception
    assert "squares(3) should be [0, 1, 4]" in text  # visible tests stay visible
    assert HIDDEN_LINE not in text and "SECRET-LINE" not in text
    assert "BEGIN HIDDEN TESTS" not in text


def test_corrupt_notebook_is_reported_and_left_untouched(tmp_path):
    folder = tmp_path / "learner"
    folder.mkdir()
    notebook = folder / "squares.ipynb"
    notebook.write_text('{"cells": [ {"cell_type": "code", "sou')
    before = digest(notebook)

    report = grade(folder, tmp_path / "work")

    assert report.score == 0.0
    (problem,) = report.problems
    assert "corrupt" in problem and "was not changed" in problem and "cp " in problem
    assert digest(notebook) == before


def test_missing_notebook_scores_zero(tmp_path):
    (tmp_path / "empty").mkdir()
    report = grade(tmp_path / "empty", tmp_path / "work")
    assert report.score == 0.0 and "missing" in report.problems[0]


@pytest.mark.parametrize("deleted", ["test_hidden", "explain"])
def test_deleted_graded_cell_is_put_back_and_scores_zero(learner, tmp_path, deleted):
    # "explain" follows a plain locked cell: nbgrader's own add_missing_cells crashes there.
    edit(learner, deleted, None)
    report = grade(learner, tmp_path)
    assert report.problems == []
    assert cells(report)[deleted] == (0.0, False)
    assert any(deleted in note for note in report.notebooks[0].notes)


def test_deleted_test_cell_still_runs_against_correct_code(learner, tmp_path):
    edit(learner, "squares", "def squares(n):\n    return [i * i for i in range(n)]")
    edit(learner, "test_hidden", None)
    assert cells(grade(learner, tmp_path))["test_hidden"] == (2.0, False)


def test_a_hanging_solution_is_cut_off_by_the_cell_timeout(learner, tmp_path):
    edit(learner, "squares", "def squares(n):\n    while True:\n        pass")
    report = grade(learner, tmp_path, timeout_s=1)
    assert report.score == 0.0 and report.problems == []


def test_check_command_prints_scores_and_writes_feedback(partial, course_home, capsys):
    _, notebook, _ = partial
    argv = ["--source-root", str(FIXTURE_SOURCE), "check", MODULE, "--path", str(notebook.parent)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "test_hidden" in out and "Autograded: 1.0 / 3.0" in out
    page = course_home / "feedback" / MODULE / "squares.html"
    assert str(page) in out and page.is_file()


def test_check_command_fails_only_when_grading_cannot_run(tmp_path, course_home, capsys):
    base = ["--source-root", str(FIXTURE_SOURCE), "check"]
    assert main([*base, MODULE, "--path", str(tmp_path / "nowhere")]) == 2
    assert main([*base, "no_such_module"]) == 2
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "squares.ipynb").write_text("not json")
    assert main([*base, MODULE, "--path", str(tmp_path / "broken")]) == 0
    assert "corrupt" in capsys.readouterr().out


def test_hide_hidden_tests_keeps_the_visible_part_and_the_message_only():
    lines = [
        "def check():",
        "    assert f(0) == 0",
        "    ### BEGIN HIDDEN TESTS",
        "    assert f(9) == 81",
        "    ### END HIDDEN TESTS",
        "check()",
    ]
    error = new_output("error", ename="AssertionError", evalue="", traceback=[lines[3]])
    nb = new_notebook(cells=[new_code_cell("\n".join(lines), outputs=[error])])

    nb, _ = HideHiddenTests().preprocess(nb, {})

    cell = nb.cells[0]
    assert cell.source.splitlines() == [*lines[:2], f"    {HIDDEN_PLACEHOLDER}", "check()"]
    assert cell.outputs[0].traceback == ["AssertionError"]
