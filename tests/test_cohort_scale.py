"""A cohort of 100 learners on the fixture assignment, graded by a Dask LocalCluster of 2 workers.

Every learner's autograded points must be what their variant earns, and a sample graded
alone with grade_submission must score cell for cell the same as in the cohort gradebook.
One run (module scope) serves every assertion: it takes about two minutes on 2 cores.
"""

from __future__ import annotations

import csv
import html
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "lms"))
import exports  # tests/fixtures/lms/exports.py: builds LMS exports of the fixture

from autograder.cohort.run import run_cohort
from autograder.grading import grade_submission

# The 100 gradings take ~2 minutes on 2 idle cores; much longer when the machine is shared.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

MODULE = exports.MODULE
SOURCE = exports.FIXTURE_SOURCE
COUNT = 100  # every one of the 13 variants, 7 or 8 times


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cohort")
    release = exports.release_notebook()
    people = exports.people(COUNT)
    export = exports.canvas_zip(tmp / "canvas.zip", people, release)
    out = tmp / "out"
    summary = run_cohort(MODULE, export, out_dir=out, workers=2, source_root=SOURCE, progress=True)
    return summary, people, out, release, tmp


def cell_points(out: Path) -> dict[str, dict[str, float]]:
    gb_path = out / "course" / "gradebook.db"
    found: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{gb_path}") as gb:
        for sub in gb.find_assignment(MODULE).submissions:
            found[sub.student.id] = {
                g.name: float(g.score or 0.0) for nb in sub.notebooks for g in nb.grades
            }
    return found


def test_every_learner_is_graded_once_with_their_variants_score(cohort):
    summary, people, out, _, _ = cohort
    assert summary.failed == {}
    assert summary.learners == COUNT and len(summary.graded) == COUNT
    points = cell_points(out)
    assert len(points) == COUNT
    for person in people:
        auto = points[person.uid]["test_visible"] + points[person.uid]["test_hidden"]
        if person.variant.expected is not None:
            assert auto == person.variant.expected, (person.variant.name, points[person.uid])
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
        "email", "raw_score", "late_submission_penalty", "score", "max_score",
    ]  # fmt: skip
    assert len(rows) == COUNT and {r["max_score"] for r in rows} == {"4.0"}


def test_a_sample_graded_alone_scores_the_same_cell_for_cell(cohort):
    _, people, out, release, tmp = cohort
    points = cell_points(out)
    names = ("right", "only-visible", "deleted-test-cell", "warns", "hooks")
    sample = [next(p for p in people if p.variant.name == name) for name in names]
    for person in sample:
        folder = tmp / "alone" / person.uid
        folder.mkdir(parents=True)
        (folder / exports.NOTEBOOK).write_bytes(exports.notebook_bytes(person.variant, release))
        report = grade_submission(
            MODULE, folder, workdir=tmp / "work", source_root=SOURCE, student=person.uid
        )
        alone = {c.grade_id: c.points for nb in report.notebooks for c in nb.cells}
        cohort_cells = {k: v for k, v in points[person.uid].items() if k in alone}
        written = {c.grade_id for nb in report.notebooks for c in nb.cells if not c.autograded}
        assert {k: v for k, v in alone.items() if k not in written} == {
            k: v for k, v in cohort_cells.items() if k not in written
        }, person.variant.name


def test_feedback_pages_exist_leak_nothing_and_escape_learner_output(cohort):
    _, people, out, _, _ = cohort
    pages = sorted((out / "course" / "feedback").glob(f"*/{MODULE}/*.html"))
    gradable = [p for p in people if p.variant.notebook not in ("missing", "corrupt")]
    assert len(pages) == len(gradable)
    for page in pages:
        text = page.read_text()
        assert exports.SECRET not in text and "squares(6)[-1] == 25" not in text
        assert "<script>alert(" not in text
    scripted = next(p for p in people if p.variant.name == "wrong-with-script")
    text = (out / "course" / "feedback" / scripted.uid / MODULE / "squares.html").read_text()
    assert html.escape("<script>alert(") in text or "&lt;script&gt;alert(" in text


def test_cohort_report_has_plots_failures_flags_and_waiting_answers(cohort):
    _, people, out, _, _ = cohort
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3  # scores, clause pass rates, times
    assert exports.SECRET not in report and "<script>alert(" not in report
    assert "squares:test_visible" in report and "squares:test_hidden" in report
    assert "Most common failure messages" in report
    assert "NotImplementedError" in report  # the untouched learners' failure
    answered = [p.uid for p in people if p.variant.answer is not None]
    section = report.split("Written answers waiting for a person")[1].split("<h2>")[0]
    assert all(f"<td>{uid}</td>" in section for uid in answered)
    assert "Flagged submissions" in report
    assert "learners" in report and "late" in report


def test_lms_upload_lists_every_learner_with_the_gradebook_score(cohort):
    _, people, out, _, _ = cohort
    with (out / "lms_upload.csv").open() as handle:
        rows = list(csv.reader(handle))
    by_id = {r[1]: r for r in rows[2:]}
    assert len(by_id) == COUNT
    right = next(p for p in people if p.variant.name == "right-no-answer")
    assert by_id[right.uid][-1] == "3"
    assert by_id[right.uid][0] == right.sortable  # Canvas gives only the sortable name
