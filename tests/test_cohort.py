"""Cohort grading: LMS export intake, a malformed zip end to end, resume, the command line.

The 100-learner run is in test_cohort_scale.py, the PostgreSQL gradebook in test_cohort_pg.py.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "lms"))
import exports  # tests/fixtures/lms/exports.py: builds LMS exports of the fixture

from autograder.cohort.cli import main
from autograder.cohort.intake import collect
from autograder.cohort.run import run_cohort
from autograder.cohort.state import State

MODULE = exports.MODULE
SOURCE = exports.FIXTURE_SOURCE
MALFORMED = Path(__file__).parent / "fixtures" / "lms" / "malformed_canvas.zip"


@pytest.fixture(scope="module")
def release():
    return exports.release_notebook()


def kinds(intake) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in intake.issues:
        found.setdefault(issue.kind, []).append(issue.path)
    return found


# ---------------------------------------------------------------- intake (no grading)


def test_canvas_moodle_and_nbgrader_layouts_name_the_same_learners(release, tmp_path):
    people = exports.people(6)
    canvas = collect(
        exports.canvas_zip(tmp_path / "c.zip", people, release), MODULE, tmp_path / "c",
        ["squares"],
    )  # fmt: skip
    moodle = collect(
        exports.moodle_zip(tmp_path / "m.zip", people, release), MODULE, tmp_path / "m",
        ["squares"],
    )  # fmt: skip
    nbg = collect(
        exports.nbgrader_folder(tmp_path / "n", people, release), MODULE, tmp_path / "nb",
        ["squares"],
    )  # fmt: skip
    uids = sorted(p.uid for p in people)
    assert sorted(canvas.learners) == uids
    assert sorted(moodle.learners) == uids
    assert sorted(nbg.learners) == sorted(f"{p.first.lower()}{p.uid}" for p in people)
    assert canvas.layouts == {"canvas": 6} and moodle.layouts == {"moodle": 6}
    first = moodle.learners[people[0].uid]
    assert (first.first_name, first.last_name) == (people[0].first, people[0].last)
    for intake in (canvas, moodle, nbg):
        for learner in intake.learners.values():
            assert learner.folder.name == MODULE
            assert all(p.name != "squares-1.ipynb" for p in learner.folder.iterdir())


def test_mapping_file_names_learners_of_an_unknown_layout(release, tmp_path):
    export = tmp_path / "export"
    (export / "alice-work").mkdir(parents=True)
    (export / "alice-work" / "squares.ipynb").write_bytes(
        exports.notebook_bytes(exports.VARIANTS[0], release)
    )
    (export / "bob.ipynb").write_bytes(exports.notebook_bytes(exports.VARIANTS[2], release))
    (export / "carol.ipynb").write_bytes(b"{}")
    mapping = tmp_path / "map.csv"
    mapping.write_text("path,learner_id,first_name\nalice-work,alice,Alice\nbob.ipynb,bob,\n")
    intake = collect(export, MODULE, tmp_path / "s", ["squares"], mapping=mapping)
    assert sorted(intake.learners) == ["alice", "bob"]
    assert intake.learners["alice"].first_name == "Alice"
    # bob's file keeps its name: grading then reports squares.ipynb as missing, not lost
    assert [p.name for p in intake.learners["bob"].folder.iterdir()] == ["bob.ipynb"]
    assert kinds(intake)["unknown layout"] == ["carol.ipynb"]
    assert "mapping CSV" in next(i.message for i in intake.issues if i.path == "carol.ipynb")


def test_export_folder_symlinks_and_fifos_are_refused_not_followed(release, tmp_path):
    export = tmp_path / "export" / "submitted"
    (export / "eve" / MODULE).mkdir(parents=True)
    (export / "eve" / MODULE / "squares.ipynb").symlink_to(SOURCE / MODULE / "squares.ipynb")
    (export / "sam" / MODULE).mkdir(parents=True)
    (export / "sam" / MODULE / "squares.ipynb").write_bytes(
        exports.notebook_bytes(exports.VARIANTS[0], release)
    )
    import os

    os.mkfifo(export / "sam" / MODULE / "pipe")
    intake = collect(tmp_path / "export", MODULE, tmp_path / "s", ["squares"])
    refused = kinds(intake)["refused"]
    assert f"submitted/eve/{MODULE}/squares.ipynb" in refused
    assert f"submitted/sam/{MODULE}/pipe" in refused
    assert not any(intake.learners["eve"].folder.iterdir())  # listed, graded as missing
    assert "eve" in kinds(intake)["no notebook"]
    assert [p.name for p in intake.learners["sam"].folder.iterdir()] == ["squares.ipynb"]


def test_unreadable_export_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "download.zip"
    bad.write_bytes(b"<html>session expired</html>")
    status = main([MODULE, str(bad), "--out", str(tmp_path / "out"), "--serial",
                   "--source-root", str(SOURCE), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert "neither a zip file nor a folder" in err and "Download the submissions again" in err
    assert main(["no_such_module", str(bad), "--source-root", str(SOURCE)]) == 2


# ---------------------------------------------------------------- graded end to end


@pytest.mark.slow
def test_malformed_lms_zip_grades_every_learner_and_reports_every_problem(tmp_path, capsys):
    before = hashlib.sha256(MALFORMED.read_bytes()).hexdigest()
    out = tmp_path / "out"
    status = main([MODULE, str(MALFORMED), "--out", str(out), "--serial",
                   "--source-root", str(SOURCE), "--no-progress"])  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert hashlib.sha256(MALFORMED.read_bytes()).hexdigest() == before  # original untouched
    assert not (tmp_path / "escape.ipynb").exists() and not (out / "escape.ipynb").exists()
    for expected in (
        "[refused] ../../escape.ipynb: path escapes the export (zip-slip)",
        "[refused] /etc/cohort-absolute.ipynb: path escapes",
        "[refused] petrovfay_2006_60006_squares.ipynb: a symbolic link",
        "[corrupt] quinngus_2007_60007_squares.ipynb: could not be extracted (Bad CRC-32",
        "[unknown layout] grades-from-last-year.xlsx",
        "[nested zip] okaforeve_2005_60005_my_work.zip: learner 2005 uploaded a zip; unpacked",
        "[nested zip] okaforeve_2005_60005_my_work.zip!old/inner.zip: a zip inside a zip",
        "[duplicate] 2002: two uploads for squares.ipynb: graded "
        "lopezben_2002_60009_squares-1.ipynb, set aside lopezben_2002_60002_squares.ipynb",
        "[empty upload] moricleo_2003_60003_squares.ipynb",
        "[no notebook] 2006",
        "[no notebook] 2007",
    ):
        assert expected in printed, f"missing report line: {expected}\n{printed}"
    with (out / "grades.csv").open() as handle:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    # right, resubmitted right, empty, corrupt, zipped right, symlink, bad CRC
    assert rows == {"2001": 3.0, "2002": 3.0, "2003": 0.0, "2004": 0.0, "2005": 3.0,
                    "2006": 0.0, "2007": 0.0}  # fmt: skip
    report = (out / "report.html").read_text()
    assert "zip-slip" in report and "Bad CRC-32" in report
    assert "is corrupt" in report  # grading's own reason for 2003/2004, per learner
    with (out / "lms_upload.csv").open() as handle:
        upload = list(csv.reader(handle))
    assert upload[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", MODULE]
    assert upload[1][0] == "Points Possible" and upload[1][-1] == "4"
    assert {r[1]: r[-1] for r in upload[2:]}["2005"] == "3"
    assert (out / "course" / "feedback" / "2005" / MODULE / "squares.html").is_file()


@pytest.mark.slow
def test_interrupted_run_resumes_and_changed_submission_regrades_only_that_learner(
    release, tmp_path
):
    people = [p for p in exports.people(4) if p.variant.notebook == "ok"]
    export = exports.nbgrader_folder(tmp_path / "export", people, release)
    out = tmp_path / "out"
    seen: list[str] = []

    def interrupt_after_two(learner: str, _result: dict) -> None:
        seen.append(learner)
        if len(seen) == 2:
            raise KeyboardInterrupt

    common = {"out_dir": out, "serial": True, "source_root": SOURCE, "progress": False}
    first = run_cohort(MODULE, export, on_result=interrupt_after_two, **common)
    assert first.interrupted and len(first.graded) == 2
    assert (out / "report.html").is_file()  # a report even after Ctrl-C

    second = run_cohort(MODULE, export, **common)
    assert not second.interrupted
    assert sorted(second.skipped) == sorted(first.graded)
    assert sorted(second.graded) == sorted(set(map(_nbid, people)) - set(first.graded))
    state = State(out / ".cohort" / "state.sqlite")
    assert {r.graded_count for r in state.rows().values()} == {1}  # nobody graded twice
    state.close()

    # one learner fixes their code: only they are graded again
    changed = people[2]
    nb = export / "submitted" / _nbid(changed) / MODULE / "squares.ipynb"
    nb.write_bytes(exports.notebook_bytes(exports.VARIANTS[0], release))
    third = run_cohort(MODULE, export, **common)
    assert third.graded == [_nbid(changed)]
    assert len(third.skipped) == len(people) - 1
    with (out / "grades.csv").open() as handle:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    assert rows[_nbid(changed)] == 3.0
    state = State(out / ".cohort" / "state.sqlite")
    counts = {k: r.graded_count for k, r in state.rows().items()}
    state.close()
    assert counts.pop(_nbid(changed)) == 2 and set(counts.values()) == {1}

    # the instructor grades a written answer in formgrader; the next run exports it
    answered = _nbid(people[0])  # the "right" variant answers the written question
    report = (out / "report.html").read_text()
    assert f"<td>{answered}</td><td>squares.ipynb</td><td>explain</td>" in report
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'course' / 'gradebook.db'}") as gb:
        grade = gb.find_grade("explain", "squares", MODULE, answered)
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    fourth = run_cohort(MODULE, export, **common)
    assert fourth.graded == []
    with (out / "grades.csv").open() as handle:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    assert rows[answered] == 4.0
    report = (out / "report.html").read_text()
    assert f"<td>{answered}</td><td>squares.ipynb</td><td>explain</td>" not in report


def _nbid(person: exports.Person) -> str:
    return f"{person.first.lower()}{person.uid}"


def test_nested_zip_depth_and_zip_bomb_limits(tmp_path, monkeypatch):
    from autograder.cohort import intake as intake_mod

    monkeypatch.setattr(intake_mod, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("khanada_1_2_squares.ipynb", b"0" * 5000)  # compresses to a few bytes
    result = collect(path, MODULE, tmp_path / "s", ["squares"])
    assert "per-file limit" in next(i.message for i in result.issues if i.kind == "refused")
    assert "1" in result.learners  # the learner is still listed (graded as missing)


# ---------------------------------------------------------------- flags (no kernels)


def test_flags_reach_the_report_escaped_and_queue_the_notebook_for_a_person(tmp_path):
    from dataclasses import dataclass, field

    from nbgrader.api import Gradebook

    from autograder.cohort import gradebook as gbmod
    from autograder.cohort import report as reportmod
    from autograder.cohort.intake import Learner
    from autograder.cohort.worker import flags_of, summarize

    @dataclass
    class Cell:
        grade_id: str
        points: float
        max_points: float
        needs_manual_grade: bool
        autograded: bool

    @dataclass
    class Notebook:
        name: str
        cells: list
        flags: list = field(default_factory=list)

    @dataclass
    class Report:
        notebooks: list

        @property
        def flags(self) -> list[str]:  # like GradeReport: the notebook flags, prefixed
            return [f"{nb.name}.ipynb: {f}" for nb in self.notebooks for f in nb.flags]

        @property
        def flagged(self) -> bool:
            return bool(self.flags)

    evidence = "input transformer installed: <script>x</script>"
    fake = Report(
        [
            Notebook(
                "squares",
                [
                    Cell("test_visible", 1.0, 1.0, False, True),
                    Cell("test_hidden", 7.0, 2.0, False, True),  # above max: clamped
                    Cell("explain", 0.0, 1.0, True, False),
                ],
                [evidence],
            )
        ]
    )
    result = summarize(fake)
    assert flags_of(result) == [{"where": "squares.ipynb", "evidence": evidence}]
    assert result["notebooks"][0]["cells"][1]["points"] == 2.0

    course = tmp_path / "course"
    db_url = gbmod.default_db_url(course)
    gbmod.prepare_course(course, MODULE, db_url, SOURCE)
    folder = tmp_path / "learner" / MODULE
    folder.mkdir(parents=True)
    with Gradebook(db_url) as gb:
        gbmod.record(gb, course, MODULE, Learner("eve", "nbgrader", folder), result)
    with Gradebook(db_url) as gb:
        grades = {g.name: g for g in gb.find_submission(MODULE, "eve").notebooks[0].grades}
        assert grades["test_visible"].needs_manual_grade  # flagged: a person looks first
        assert grades["test_hidden"].score == 2.0
        assert grades["explain"].needs_manual_grade and grades["explain"].auto_score is None
    row = reportmod.LearnerRow("eve", "nbgrader", False, result, 3.0, 4.0, True)
    page = reportmod.build([row], [], reportmod.RunInfo(MODULE, "x", "serial", 1, 1.0, db_url,
                                                        1, 0, 0))  # fmt: skip
    flagged = page.split("Flagged submissions")[1].split("<h2>")[0]
    assert "&lt;script&gt;x&lt;/script&gt;" in flagged and "<script>x" not in page
