"""The cohort's nbgrader course root and gradebook, written only by the coordinator.

The output folder holds a real nbgrader course root (``course/``): ``source/``, ``release/``,
``submitted/<learner>/<module>/``, ``autograded/...``, ``feedback/...`` and, by default,
``gradebook.db``. So ``nbgrader formgrader``, ``nbgrader export`` and manual grading of the
written answers work on it as on any nbgrader course (its ``nbgrader_config.py`` loads the
course's own config). With ``db_url`` the gradebook is PostgreSQL (or anything nbgrader's
SQLAlchemy accepts) instead.
"""

from __future__ import annotations

import contextlib
import csv
import shutil
import warnings
from pathlib import Path
from typing import Any

from nbgrader.api import Course, Gradebook, MissingEntry
from nbgrader.converters import GenerateAssignment
from nbgrader.plugins import CsvExportPlugin
from sqlalchemy.exc import SAWarning

from autograder import engine
from autograder.cohort.intake import Learner
from autograder.cohort.worker import flags_of
from autograder.paths import CONFIG_FILE, IGNORED, source_dir

CONFIG_TEMPLATE = '''"""nbgrader config of this cohort (written by python -m autograder.cohort).

Loads the course's own config (feedback without hidden tests, timeouts), then points nbgrader
at this folder. Run nbgrader from here: nbgrader formgrader / nbgrader export.
"""
import os

c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
{db_line}
'''


def default_db_url(course_root: Path) -> str:
    """nbgrader's default: a SQLite gradebook in the course root."""
    return f"sqlite:///{(course_root / 'gradebook.db').resolve()}"


def normalise_db_url(db_url: str) -> str:
    """Name the PostgreSQL driver that is installed.

    SQLAlchemy picks a default driver for ``postgresql://`` (psycopg 3 in recent versions);
    the ``cohort`` extra installs psycopg2-binary, so without psycopg 3 the URL says so.
    """
    if not db_url.startswith("postgresql://"):
        return db_url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
        return "postgresql+psycopg2://" + db_url.removeprefix("postgresql://")
    return db_url


def redact_url(db_url: str) -> str:
    """The db_url without its password, for logs, reports and config files."""
    if "@" not in db_url or "://" not in db_url:
        return db_url
    scheme, rest = db_url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in creds else ''}@{host}"


def open_gradebook(db_url: str) -> Gradebook:
    """A Gradebook, created without spawning alembic; a clear error when the server is not up."""
    try:
        with engine.gradebook_patch():
            return Gradebook(db_url)
    except Exception as exc:
        raise RuntimeError(
            f"the gradebook {redact_url(db_url)} cannot be opened ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). For PostgreSQL, check the server "
            "runs and the URL (postgresql://USER:PASSWORD@HOST:PORT/DB); .ci/postgres.sh starts "
            "a local one"
        ) from exc


def prepare_course(course_root: Path, module: str, db_url: str, source_root: Path | None) -> None:
    """Copy the sources and run GenerateAssignment into the cohort gradebook.

    Run when the assignment is new to the gradebook or its sources changed; nbgrader keeps the
    existing submissions and updates cells and points.
    """
    course_root.mkdir(parents=True, exist_ok=True)
    dest = course_root / "source" / module
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source_dir(module, source_root), dest, ignore=shutil.ignore_patterns(*IGNORED))
    password = "@" in db_url and ":" in db_url.split("://", 1)[-1].rsplit("@", 1)[0]
    db_line = (
        f"# gradebook: {redact_url(db_url)} (has a password: pass --CourseDirectory.db_url=...)"
        if password
        else f"c.CourseDirectory.db_url = {db_url!r}"
    )
    (course_root / "nbgrader_config.py").write_text(
        CONFIG_TEMPLATE.format(config=str(CONFIG_FILE), db_line=db_line), encoding="utf-8"
    )
    config = engine.load_config(course_root, CourseDirectory={"db_url": db_url})
    _ensure_course_row(db_url, str(config.CourseDirectory.get("course_id", "")))
    engine.run_converter(GenerateAssignment, engine.course_directory(config, module), config)


def _ensure_course_row(db_url: str, course_id: str) -> None:
    """nbgrader skips creating the course row when course_id is '' (its default), then adds
    assignments that point at it: SQLite does not mind, PostgreSQL's foreign key refuses."""
    gb = open_gradebook(db_url)
    try:
        if gb.db.query(Course).filter(Course.id == course_id).one_or_none() is None:
            gb.db.add(Course(id=course_id))
            gb.db.commit()
    finally:
        gb.close()


def assignment_in_gradebook(gb: Gradebook, module: str) -> bool:
    """True when GenerateAssignment already filled the gradebook for ``module``."""
    try:
        return bool(gb.find_assignment(module).notebooks)
    except MissingEntry:
        return False


def record(
    gb: Gradebook,
    course_root: Path,
    module: str,
    learner: Learner,
    result: dict[str, Any],
) -> None:
    """Write one learner's result: gradebook rows, submitted/autograded notebooks, feedback.

    A learner graded before is replaced wholesale (their submission changed): manual grades
    entered for them are cleared, which the cohort report states.
    """
    with warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy autoflush warnings (harmless, noisy)
        warnings.simplefilter("ignore", SAWarning)
        _record_rows(gb, module, learner, result)
    _write_files(course_root, module, learner, result)


def _record_rows(gb: Gradebook, module: str, learner: Learner, result: dict[str, Any]) -> None:
    gb.update_or_create_student(
        learner.learner_id,
        first_name=learner.first_name,
        last_name=learner.last_name,
        email=learner.email,
        lms_user_id=learner.lms_user_id,
    )
    with contextlib.suppress(MissingEntry):
        gb.remove_submission(module, learner.learner_id)
    extra = {"timestamp": learner.timestamp} if learner.timestamp else {}
    gb.add_submission(module, learner.learner_id, **extra)
    flagged = {f["where"].split(":")[0] for f in flags_of(result)}
    for nb in result.get("notebooks", []):
        suspicious = bool({"submission", f"{nb['name']}.ipynb"} & flagged)
        for cell in nb.get("cells", []):
            try:
                grade = gb.find_grade(cell["grade_id"], nb["name"], module, learner.learner_id)
            except MissingEntry:
                continue  # a cell the gradebook does not know (sources changed mid-run)
            if cell.get("autograded"):
                grade.auto_score = cell["points"]
                grade.manual_score = None
                # a flagged notebook is queued for a person in formgrader, honest points kept
                grade.needs_manual_grade = suspicious
            else:
                pending = bool(cell.get("needs_manual_grade"))
                grade.auto_score = None if pending else cell["points"]
                grade.manual_score = None
                grade.needs_manual_grade = pending
    gb.db.commit()


def _write_files(course_root: Path, module: str, learner: Learner, result: dict[str, Any]) -> None:
    student = learner.learner_id
    for kind in ("submitted", "autograded", "feedback"):
        folder = course_root / kind / student / module
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    shutil.copytree(
        learner.folder, course_root / "submitted" / student / module, dirs_exist_ok=True
    )
    for name, text in result.get("autograded", {}).items():
        (course_root / "autograded" / student / module / f"{name}.ipynb").write_text(
            text, encoding="utf-8"
        )
    for name, text in result.get("feedback", {}).items():
        (course_root / "feedback" / student / module / f"{name}.html").write_text(
            text, encoding="utf-8"
        )
    (course_root / "submitted" / student / module / "timestamp.txt").write_text(
        (learner.timestamp or "") + "\n", encoding="utf-8"
    )


def export_grades(gb: Gradebook, module: str, dest: Path) -> Path:
    """grades.csv exactly as `nbgrader export` writes it (nbgrader's own CSV plugin)."""
    plugin = CsvExportPlugin(to=str(dest), assignment=[module])
    plugin.export(gb)
    return dest


def scores(gb: Gradebook, module: str) -> dict[str, dict[str, Any]]:
    """learner -> score, max_score, needs_manual_grade, as the gradebook holds them now."""
    found: dict[str, dict[str, Any]] = {}
    try:
        assignment = gb.find_assignment(module)
    except MissingEntry:
        return found
    for sub in assignment.submissions:
        found[sub.student.id] = {
            "score": float(sub.score or 0.0),
            "max_score": float(sub.max_score or 0.0),
            "needs_manual_grade": bool(sub.needs_manual_grade),
            "first_name": sub.student.first_name,
            "last_name": sub.student.last_name,
            "lms_user_id": sub.student.lms_user_id,
        }
    return found


def pending(gb: Gradebook, module: str) -> dict[str, list[tuple[str, str, float]]]:
    """learner -> (notebook, cell, max points) a person must still grade, per the gradebook
    (written answers, and the test cells of flagged notebooks); manual grades entered in
    formgrader take cells off this list."""
    found: dict[str, list[tuple[str, str, float]]] = {}
    try:
        assignment = gb.find_assignment(module)
    except MissingEntry:
        return found
    for sub in assignment.submissions:
        for nb in sub.notebooks:
            for grade in nb.grades:
                if grade.needs_manual_grade:
                    found.setdefault(sub.student.id, []).append(
                        (nb.name, grade.name, float(grade.max_score or 0.0))
                    )
    return found


def export_lms(
    gb: Gradebook, module: str, dest: Path, column: str, learners: dict[str, Learner]
) -> Path:
    """A Canvas gradebook-import CSV: Student, ID, SIS User ID, SIS Login ID, Section, column.

    ID is the LMS user id parsed from the export (Canvas user id, Moodle participant id) or the
    mapping's lms_user_id. Learners whose written answers still wait for a person get their
    current points; the cohort report lists them so the upload can wait.
    """
    table = scores(gb, module)
    maximum = max((row["max_score"] for row in table.values()), default=0.0)
    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
        writer.writerow(["Points Possible", "", "", "", "", _num(maximum)])
        for student in sorted(table):
            row = table[student]
            learner = learners.get(student)
            last = row["last_name"] or (learner.last_name if learner else None) or ""
            first = row["first_name"] or (learner.first_name if learner else None) or ""
            name = f"{last}, {first}" if last and first else (last or first or student)
            lms_id = row["lms_user_id"] or ""
            # Canvas matches rows on ID; without one, on the login (a JupyterHub username)
            writer.writerow([name, lms_id, "", "" if lms_id else student, "", _num(row["score"])])
    return dest


def _num(value: float) -> str:
    return f"{value:g}"
