"""A cohort run stopped by a signal, then run again: nobody graded twice, nothing lost.

The command runs as an instructor starts it (``python -m autograder.cohort`` with a Dask
LocalCluster of 2 workers) in its own session. Once a few learners are recorded it gets
Ctrl-C (SIGINT to the whole process group, as a terminal sends it, so the Dask workers get it
too) or ``kill`` (SIGTERM to the coordinator alone). It must stop with status 1, say how to
resume, leave a report and no worker process behind; the rerun must grade exactly the
learners not recorded before, and the gradebook must end with every learner's right score.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "lms"))
import exports  # tests/fixtures/lms/exports.py: builds LMS exports of the fixture

from autograder.cohort.run import run_cohort
from autograder.cohort.state import State

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MODULE = exports.MODULE
SOURCE = exports.FIXTURE_SOURCE
COUNT = 10
STOP_AFTER = 3  # learners recorded before the signal


def recorded(state_file: Path) -> int:
    if not state_file.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{state_file}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM learners WHERE status='recorded'").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def session_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "kill"],
)
def test_a_stopped_run_resumes_without_grading_anyone_twice(signum, whole_group, tmp_path):
    people = exports.people(COUNT)
    export = exports.canvas_zip(tmp_path / "canvas.zip", people, exports.release_notebook())
    out = tmp_path / "out"
    state_file = out / ".cohort" / "state.sqlite"
    log = tmp_path / "first.log"
    command = [
        sys.executable, "-m", "autograder.cohort", MODULE, str(export), "--out", str(out),
        "--source-root", str(SOURCE), "--workers", "2", "--no-progress",
    ]  # fmt: skip
    with log.open("w") as handle:
        first = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # as from a terminal: a test runner started in the background ignores SIGINT,
            # and its children would inherit that
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 600
        while recorded(state_file) < STOP_AFTER:
            assert first.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no learner recorded in 10 minutes"
            time.sleep(0.2)
        if whole_group:
            os.killpg(first.pid, signum)
        else:
            first.send_signal(signum)
        status = first.wait(timeout=180)
    printed = log.read_text()
    assert status == 1, printed[-3000:]
    assert "Interrupted: run the same command again" in printed
    assert "Traceback" not in printed
    assert (out / "report.html").is_file() and (out / "grades.csv").is_file()
    time.sleep(2)  # the cluster's processes have had time to exit; none may remain
    assert not session_alive(first.pid), "a Dask worker outlived the interrupted run"

    state = State(state_file)
    before = {k: r for k, r in state.rows().items() if r.status == "recorded"}
    state.close()
    assert STOP_AFTER <= len(before) < COUNT, "the signal came after the run had finished"

    second = run_cohort(MODULE, export, out_dir=out, serial=True, source_root=SOURCE,
                        progress=False)  # fmt: skip
    assert not second.interrupted and second.failed == {}
    assert set(second.skipped) == set(before)  # recorded before: not graded again
    assert set(second.graded) | set(second.recorded_only) == {p.uid for p in people} - set(before)

    state = State(state_file)
    rows = state.rows()
    state.close()
    assert {r.status for r in rows.values()} == {"recorded"} and len(rows) == COUNT
    assert all(rows[uid].graded_count == 1 for uid in before)
    with (out / "grades.csv").open() as handle:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    assert sorted(scores) == sorted(p.uid for p in people)  # nobody lost
    for person in people:  # written answers wait for a person: autograded points only
        if person.variant.expected is not None:
            assert scores[person.uid] == person.variant.expected, person
