"""A dozen module 1 learners through the cohort command, each scoring what they score alone.

The learners hand in module 1's graded notebook (05 · ship a feature; a source tree holding
only it, as test_assignment_module1.py does, so CI stays within budget): the reference, the
untouched release, wrong and broken solutions, and hostile ones (reading the grader's
environment and the network, hiding the asserts from the tests, deleting a test cell, flooding
the output), plus a corrupt upload, a late one and a learner who uploaded no notebook. They
arrive as a Canvas zip and are graded by a LocalCluster of 2 workers; each learner whose
notebook runs is then compared, cell for cell, with the same notebook graded alone (a sample
graded here, the reference and the release from the session's shared gradings).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest
from assignment_helpers import single_notebook_source, submission_with
from nbgrader.api import Gradebook
from shared_gradings import notebook_grade, reference_report, release_report

from autograder.cohort.run import run_cohort
from autograder.grading import NotebookGrade, grade_submission
from autograder.paths import release_dir, source_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

MODULE = "module1_llm_features"
NOTEBOOK = "05_assignment_ship_a_feature.ipynb"


def _auto_points() -> float:
    """Points of every autograded cell of the notebook (read from its nbgrader metadata)."""
    nb = nbformat.read(source_dir(MODULE) / NOTEBOOK, as_version=4)
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    return float(sum(m.get("points", 0) for m in meta if m.get("grade") and not m.get("solution")))


AUTO_POINTS = _auto_points()
SECRET = "sk-cohort-test-" + "7" * 24  # in the instructor's environment while grading

# Solution cells replaced, in each learner's own (wrong or hostile) words.
EDITS: dict[str, dict[str, str]] = {
    "always-fallback": {
        "ex3_solution": "def triage_ticket(ticket, client, *, fallback):\n"
        "    label = fallback.predict(ticket.text)\n"
        "    return TriageResult(category=label.category, priority=label.priority,\n"
        "                        source='fallback', attempts=0)\n"
    },
    "syntax-error": {"ex2_solution": "def build_triage_messages(ticket:\n    return []\n"},
    "no-schema": {"ex1_solution": "class TriageAnswer(BaseModel):\n    pass\n"},
    "snoops": {
        "ex3_solution": "import os, urllib.request\n"
        "print({k: v for k, v in os.environ.items() if 'KEY' in k or 'COURSE' in k})\n"
        "try:\n    urllib.request.urlopen('http://example.com', timeout=3)\n"
        "    print('NETWORK REACHED')\nexcept Exception as exc:\n    print('no network:', exc)\n"
        "def triage_ticket(ticket, client, *, fallback):\n    raise RuntimeError('not done')\n"
    },
    "hides-asserts": {
        "ex1_solution": "get_ipython().input_transformers_post.append(\n"
        "    lambda lines: [l for l in lines if 'assert' not in l])\n"
        "class TriageAnswer(BaseModel):\n    pass\n"
    },
    "floods-output": {
        "ex2_solution": "for _ in range(20000):\n    print('spam ' * 40)\n"
        "def build_triage_messages(ticket):\n    return []\n"
    },
}


def _reference(source_root: Path) -> Path:
    return source_root / MODULE / NOTEBOOK


def _without_test_cell(reference: Path, folder: Path) -> Path:
    folder.mkdir()
    nb = nbformat.read(reference, as_version=4)
    nb.cells = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ex2_tests"
    ]
    nbformat.write(nb, folder / NOTEBOOK)
    return folder


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("m1cohort")
    (tmp / "source").mkdir()
    source_root = single_notebook_source(tmp / "source", MODULE, NOTEBOOK)
    learners: dict[str, Path | bytes | None] = {}  # uid -> folder, raw bytes, or no notebook
    reference = tmp / "l" / "reference"
    reference.mkdir(parents=True)
    (reference / NOTEBOOK).write_bytes(_reference(source_root).read_bytes())
    learners["5001"] = reference
    release = tmp / "l" / "release"  # the untouched release
    release.mkdir()
    (release / NOTEBOOK).write_bytes((release_dir(MODULE) / NOTEBOOK).read_bytes())
    learners["5002"] = release
    for n, (name, edits) in enumerate(EDITS.items()):
        learners[str(5003 + n)] = submission_with(_reference(source_root), tmp / "l" / name, edits)
    learners["5009"] = _without_test_cell(_reference(source_root), tmp / "l" / "no-test-cell")
    learners["5010"] = b'{"cells": [ {"cell_type": "code", "source": '  # cut off mid-upload
    learners["5011"] = None  # uploaded a .py file only
    late = tmp / "l" / "release-late"  # a late upload (the name says so); cheap to grade
    late.mkdir()
    (late / NOTEBOOK).write_bytes((release_dir(MODULE) / NOTEBOOK).read_bytes())
    learners["5012"] = late

    export = tmp / "canvas.zip"
    with zipfile.ZipFile(export, "w") as zf:
        for n, (uid, item) in enumerate(learners.items()):
            prefix = f"learner{uid}_{'late_' if uid == '5012' else ''}{uid}_{80000 + n}_"
            if isinstance(item, Path):
                zf.writestr(prefix + NOTEBOOK, (item / NOTEBOOK).read_bytes())
            elif isinstance(item, bytes):
                zf.writestr(prefix + NOTEBOOK, item)
            else:
                zf.writestr(prefix + "triage.py", "def triage_ticket(): ...\n")

    out = tmp / "out"
    patch = pytest.MonkeyPatch()
    patch.setenv("OPENAI_API_KEY", SECRET)  # the instructor's shell
    patch.setenv("COURSE_PROVIDER", "openai")
    try:
        summary = run_cohort(
            MODULE, export, out_dir=out, workers=2, source_root=source_root, progress=False
        )
    finally:
        patch.undo()
    return summary, learners, out, source_root, tmp


def gradebook_cells(out: Path) -> dict[str, dict[str, float]]:
    with Gradebook(f"sqlite:///{out / 'course' / 'gradebook.db'}") as gb:
        return {
            sub.student.id: {
                g.name: float(g.score or 0.0) for nb in sub.notebooks for g in nb.grades
            }
            for sub in gb.find_assignment(MODULE).submissions
        }


def test_every_learner_is_graded_with_the_scores_the_variants_earn(cohort):
    summary, learners, out, _, _ = cohort
    assert summary.failed == {} and not summary.interrupted
    assert sorted(summary.graded) == sorted(learners)
    cells = gradebook_cells(out)
    auto = {uid: sum(v for k, v in c.items() if k != "rollout_answer") for uid, c in cells.items()}
    assert auto["5001"] == AUTO_POINTS  # the reference
    assert auto["5002"] == auto["5012"] == 0.0  # the untouched release, on time and late
    assert auto["5010"] == auto["5011"] == 0.0  # corrupt, no notebook
    assert auto["5009"] == AUTO_POINTS  # the deleted test cell was put back and passed
    for uid in ("5003", "5004", "5005", "5006", "5007", "5008"):
        assert auto[uid] < AUTO_POINTS, uid


# Graded alone too: a wrong solution and the two hostile kernels (each alone grading costs what
# it costs in the cohort: CI time). The reference and the release are the module's own files,
# graded alone once per session for every test that needs them (tests/shared_gradings.py); the
# late release and the deleted test cell are those files (or put back to them) and must score as
# they do alone.
ALONE = ("5003", "5006", "5007")


def _autograded(notebook: NotebookGrade) -> dict[str, float]:
    return {c.grade_id: c.points for c in notebook.cells if c.autograded}


def test_the_cohort_scores_match_grading_each_learner_alone(cohort, tmp_path_factory):
    _, learners, out, source_root, tmp = cohort
    cells = gradebook_cells(out)
    for uid in ALONE:
        report = grade_submission(
            MODULE, learners[uid], workdir=tmp / "alone" / uid, source_root=source_root, student=uid
        )
        alone = _autograded(report.notebooks[0])
        assert alone == {k: cells[uid][k] for k in alone}, uid
    reference = _autograded(notebook_grade(reference_report(tmp_path_factory, MODULE), NOTEBOOK))
    release = _autograded(notebook_grade(release_report(tmp_path_factory, MODULE), NOTEBOOK))
    for uid, alone in (("5001", reference), ("5009", reference), ("5002", release)):
        assert alone == {k: cells[uid][k] for k in alone}, uid
    assert release == {k: cells["5012"][k] for k in release}


def test_hostile_learners_are_flagged_and_leak_nothing(cohort):
    _, _, out, _, _ = cohort
    report = (out / "report.html").read_text()
    flagged = report.split("Flagged submissions")[1].split("<h2>")[0]
    assert "5007" in flagged  # hid the asserts from the tests
    written = [p for p in out.rglob("*") if p.is_file() and p.suffix in {".html", ".csv", ".ipynb"}]
    assert written
    for path in written:
        assert SECRET not in path.read_text(errors="replace"), path
    snooped = nbformat.read(next((out / "course" / "autograded" / "5006").rglob(NOTEBOOK)), 4)
    printed = "".join(
        str(output.get("text", "")) for cell in snooped.cells for output in cell.get("outputs", [])
    )
    assert "no network:" in printed and "NETWORK REACHED" not in printed  # no way out
    assert "OPENAI_API_KEY" not in printed  # the grader's environment never reached it
    assert "is corrupt" in report and "no notebook" in report  # 5010, 5011: said, not lost


def test_written_answers_wait_for_a_person(cohort):
    _, _, out, _, _ = cohort
    section = (out / "report.html").read_text().split("Written answers waiting for a person")[1]
    assert "rollout_answer" in section.split("<h2>")[0]
