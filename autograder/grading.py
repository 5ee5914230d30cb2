"""Grade a submission of one module with nbgrader, robustly, and report the scores.

Each grading builds its own course root (source copy, fresh gradebook, the submission under
submitted/<student>/<module>/), so nothing shared is touched and a learner's files are only
ever read. Each notebook is autograded on its own so one broken notebook cannot sink the
others: missing or unreadable notebooks score 0 with a message saying how to recover.
Graded cells a learner deleted are put back from the release before nbgrader runs, so they
are graded against the learner's code; nbgrader's own add_missing_cells does the same but
crashes when the cell before the deleted one is a plain locked cell (e.g. a statement).
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from traitlets.config import Config

from autograder import engine
from autograder.paths import IGNORED, release_dir, source_dir
from autograder.release import build_assignment

DEFAULT_TIMEOUT_S = 120
STDERR_TRAP = "nbgrader scores a test cell that writes to stderr as 0"


@dataclass(frozen=True)
class CellGrade:
    """One graded cell: a test cell (autograded) or a written answer (graded by a person)."""

    grade_id: str
    points: float
    max_points: float
    needs_manual_grade: bool
    autograded: bool


@dataclass
class NotebookGrade:
    """Scores of one notebook; ``problem`` says why it could not be graded at all."""

    name: str
    cells: list[CellGrade]
    problem: str | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    autograded_path: Path | None = None

    @property
    def score(self) -> float:
        return sum(cell.points for cell in self.cells)

    @property
    def max_score(self) -> float:
        return sum(cell.max_points for cell in self.cells)


@dataclass
class GradeReport:
    """The outcome of grading one module for one student."""

    module: str
    student: str
    notebooks: list[NotebookGrade]
    course_root: Path

    @property
    def score(self) -> float:
        return sum(nb.score for nb in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(nb.max_score for nb in self.notebooks)

    def _cells(self, autograded: bool) -> list[CellGrade]:
        return [c for nb in self.notebooks for c in nb.cells if c.autograded is autograded]

    @property
    def auto_score(self) -> float:
        return sum(c.points for c in self._cells(True))

    @property
    def auto_max(self) -> float:
        return sum(c.max_points for c in self._cells(True))

    @property
    def pending_manual(self) -> float:
        """Points that wait for a person (written answers with a response)."""
        return sum(c.max_points for nb in self.notebooks for c in nb.cells if c.needs_manual_grade)

    @property
    def problems(self) -> list[str]:
        return [f"{nb.name}.ipynb: {nb.problem}" for nb in self.notebooks if nb.problem]

    @property
    def full_auto_marks(self) -> bool:
        """Every test cell passed and every notebook could be graded."""
        return not self.problems and self.auto_score == self.auto_max


def grade_submission(
    module: str,
    submission_dir: Path,
    *,
    workdir: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    source_root: Path | None = None,
    student: str = "learner",
) -> GradeReport:
    """Autograde the notebooks in ``submission_dir`` against ``module``'s source.

    Works in a fresh folder under ``workdir`` (kept for feedback; the caller removes it).
    Raises only when the assignment itself cannot be built (engine.NbgraderError, or
    FileNotFoundError for a module without source notebooks).
    """
    submission_dir = Path(submission_dir)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="grade-", dir=workdir))
    build_assignment(module, root, source_root)
    submitted = root / "submitted" / student / module
    _copy_submission(submission_dir, submitted)

    config = engine.load_config(root, Execute={"timeout": max(1, math.ceil(timeout_s))})
    problems: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    for name in _notebook_names(source_dir(module, source_root)):
        copy_path = submitted / f"{name}.ipynb"
        problem = _check_notebook(copy_path, submission_dir, module)
        if problem is None:
            try:
                restored = restore_missing_cells(
                    copy_path, root / "release" / module / copy_path.name
                )
                notes[name] = [
                    f"{cell} was missing; it was put back and graded" for cell in restored
                ]
                _autograde(config, module, student, name, root)
            except Exception as exc:  # a notebook nbgrader cannot handle scores 0, never crashes
                reason = exc.reason if isinstance(exc, engine.NbgraderError) else repr(exc)
                problem = f"could not be graded, so it scores 0 ({reason})"
        if problem is not None:
            problems[name] = problem
    return _report(module, student, root, source_dir(module, source_root), problems, notes)


def grade_reference(
    module: str,
    *,
    workdir: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    source_root: Path | None = None,
) -> GradeReport:
    """Grade the instructor notebooks themselves: a sound module earns full autograded marks."""
    return grade_submission(
        module,
        source_dir(module, source_root),
        workdir=workdir,
        timeout_s=timeout_s,
        source_root=source_root,
        student="reference",
    )


def _autograde(config: Config, module: str, student: str, name: str, root: Path) -> None:
    coursedir = engine.course_directory(config, module, student)
    coursedir.notebook_id = name
    env = {
        # Grading is free and repeatable: always the simulator, never the learner's keys,
        # models or trace store.
        "COURSE_PROVIDER": "sim",
        "COURSE_MODEL": None,
        "COURSE_BASE_URL": None,
        "COURSE_HOME": str(root / "home"),
    }
    engine.run_converter(Autograde, coursedir, config, env)


def _notebook_names(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.ipynb"))


def _copy_submission(submission_dir: Path, submitted: Path) -> None:
    if submission_dir.is_dir():
        shutil.copytree(
            submission_dir,
            submitted,
            ignore=shutil.ignore_patterns(*IGNORED),
            ignore_dangling_symlinks=True,
        )
    else:
        submitted.mkdir(parents=True)
    for path in submitted.rglob("*"):  # the copies must be writable, whatever the originals
        path.chmod(0o755 if path.is_dir() else 0o644)


def _check_notebook(copy: Path, submission_dir: Path, module: str) -> str | None:
    """None when the copied notebook can be graded; otherwise what the learner should do."""
    original = submission_dir / copy.name
    restore = release_dir(module) / copy.name
    if not copy.exists():
        return (
            f"missing from {submission_dir}, so it scores 0. "
            f"Restore it by copying the release version: cp {restore} {original}"
        )
    try:
        nb = nbformat.read(copy, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as exc:
        copy.unlink()  # only our copy; the learner's file is never touched
        return (
            f"is corrupt: it could not be read as a notebook ({_first_line(exc)}), "
            f"so it scores 0. Your file was not changed. Save your work elsewhere, then "
            f"restore a fresh copy from the release: cp {restore} {original}"
        )
    return None


def _cell_key(cell: NotebookNode) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"grade:{grade_id}" if grade_id else f"id:{cell.get('id')}"


def restore_missing_cells(submission: Path, release: Path) -> list[str]:
    """Put graded cells missing from ``submission`` back, from ``release``; returns their ids.

    Each goes right after the nearest earlier release cell the submission still has, or at
    the end when it has none (e.g. the learner pasted their work into a new notebook).
    Only ever called on the grader's copy of a submission.
    """
    nb = nbformat.read(submission, as_version=4)
    reference = nbformat.read(release, as_version=4)
    present = {_cell_key(cell) for cell in nb.cells}
    ids = {cell.get("id") for cell in nb.cells}
    restored: list[str] = []
    for index, cell in enumerate(reference.cells):
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") or meta.get("task")) or _cell_key(cell) in present:
            continue
        anchor = next(
            (_cell_key(c) for c in reversed(reference.cells[:index]) if _cell_key(c) in present),
            None,
        )
        position = len(nb.cells)  # no landmark left: run it after all of the learner's code
        if anchor is not None:
            position = 1 + next(i for i, c in enumerate(nb.cells) if _cell_key(c) == anchor)
        cell = copy.deepcopy(cell)
        if cell.get("id") in ids:
            cell["id"] = f"restored-{len(restored)}-{meta['grade_id']}"[:64]
        nb.cells.insert(position, cell)
        present.add(_cell_key(cell))
        ids.add(cell.get("id"))
        restored.append(meta["grade_id"])
    if restored:
        nbformat.write(nb, submission)
    return restored


def _report(
    module: str,
    student: str,
    root: Path,
    source: Path,
    problems: dict[str, str],
    notes: dict[str, list[str]],
) -> GradeReport:
    notebooks: list[NotebookGrade] = []
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with engine.gradebook_patch(), Gradebook(db_url) as gb:
        for name in _notebook_names(source):
            cells = [
                _cell_grade(gb, module, name, student, meta)
                for meta in _graded_cells(nbformat.read(source / f"{name}.ipynb", as_version=4))
            ]
            autograded = root / "autograded" / student / module / f"{name}.ipynb"
            grade = NotebookGrade(name, cells, problems.get(name), notes=notes.get(name, []))
            if grade.problem is None and autograded.exists():
                grade.autograded_path = autograded
                grade.errors = execution_errors(nbformat.read(autograded, as_version=4))
            notebooks.append(grade)
    return GradeReport(module, student, notebooks, root)


def _graded_cells(nb: NotebookNode) -> list[dict]:
    metas = [cell.metadata.get("nbgrader", {}) for cell in nb.cells]
    return [m for m in metas if m.get("grade") or m.get("task")]


def _cell_grade(gb: Gradebook, module: str, name: str, student: str, meta: dict) -> CellGrade:
    autograded = bool(meta.get("grade")) and not meta.get("solution") and not meta.get("task")
    max_points = float(meta.get("points", 0))
    try:
        grade = gb.find_grade(meta["grade_id"], name, module, student)
    except MissingEntry:  # never autograded (missing or corrupt notebook): nothing earned
        return CellGrade(meta["grade_id"], 0.0, max_points, False, autograded)
    points = grade.manual_score if grade.manual_score is not None else grade.auto_score
    return CellGrade(
        grade_id=meta["grade_id"],
        points=float(points or 0.0),
        max_points=float(grade.max_score),
        needs_manual_grade=bool(grade.needs_manual_grade),
        autograded=autograded,
    )


def execution_errors(nb: NotebookNode) -> list[str]:
    """One line per failing cell, and per test cell that wrote to stderr (which scores 0)."""
    found = []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        label = meta.get("grade_id") or f"cell {index}"
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"{label}: {output.ename}: {_first_line(output.evalue)}".rstrip(": "))
            elif output.output_type == "stream" and output.name == "stderr" and meta.get("grade"):
                found.append(f"{label} wrote to stderr ({STDERR_TRAP}): {_first_line(output.text)}")
    return found


def _first_line(value: object, limit: int = 200) -> str:
    text = str(value).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
