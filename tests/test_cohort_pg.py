"""The cohort gradebook on PostgreSQL (nbgrader's db_url), as a cluster deployment uses it.

Runs when COURSE_TEST_PG_URL names a server where the user may create databases, e.g.
``export COURSE_TEST_PG_URL="$(.ci/postgres.sh)"``; each run uses a fresh database it drops.
"""

from __future__ import annotations

import csv
import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "lms"))
import exports  # tests/fixtures/lms/exports.py: builds LMS exports of the fixture

from autograder.cohort.gradebook import normalise_db_url
from autograder.cohort.run import run_cohort

PG_URL = os.environ.get("COURSE_TEST_PG_URL")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PG_URL,
        reason="COURSE_TEST_PG_URL is not set: start a server with "
        '`export COURSE_TEST_PG_URL="$(.ci/postgres.sh)"` to test the PostgreSQL gradebook',
    ),
]


@pytest.fixture
def database():
    psycopg2 = pytest.importorskip("psycopg2", reason="pip install -e '.[cohort]'")
    name = f"cohort_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_cohort_gradebook_on_postgresql_resumes_and_exports(database, tmp_path):
    from nbgrader.api import Gradebook

    release = exports.release_notebook()
    people = exports.people(4)  # right, right-no-answer, only-visible, wrong-with-script
    export = exports.moodle_zip(tmp_path / "moodle.zip", people, release)
    out = tmp_path / "out"
    options = {"out_dir": out, "serial": True, "db_url": database,
               "source_root": exports.FIXTURE_SOURCE, "progress": False}  # fmt: skip
    first = run_cohort(exports.MODULE, export, **options)
    assert first.failed == {} and len(first.graded) == 4
    url = normalise_db_url(database)
    assert first.gradebook == url  # no password in this URL, so nothing redacted
    assert not (out / "course" / "gradebook.db").exists()  # nothing went to SQLite

    with Gradebook(url) as gb:
        subs = {s.student.id: s for s in gb.find_assignment(exports.MODULE).submissions}
        assert sorted(subs) == sorted(p.uid for p in people)
        scores = {sid: float(s.score) for sid, s in subs.items()}
        first_person = gb.find_student(people[0].uid)
        assert (first_person.first_name, first_person.last_name) == (
            people[0].first,
            people[0].last,
        )
    assert scores == {p.uid: p.variant.expected for p in people}

    second = run_cohort(exports.MODULE, export, **options)
    assert second.graded == [] and len(second.skipped) == 4
    with (out / "grades.csv").open() as handle:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    assert rows == scores
