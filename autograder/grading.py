"""Grade a submission of one module with nbgrader, safely, and report the scores.

Each grading builds its own course root (source copy, fresh gradebook, the submission under
submitted/<student>/<module>/) in a private temporary folder. Every notebook is autograded on
its own, by a kernel in a sandbox (autograder.sandbox) whose working folder holds only a copy
of that notebook and the release's data files: the kernel never sees the course root, the
gradebook, the sources or the repository. Scores are decided by the grader, never by the
kernel (autograder.guard): a test cell earns its points only by running to the end without an
error in an untampered kernel; every score is clamped to [0, max]. A static scan
(autograder.scan) and the kernel-state check put evidence in ``NotebookGrade.flags``.

Whatever a submission does (missing, corrupt, symlinked or special files, hangs, crashes,
killed kernels, signals to the grader), each notebook gets a grade with the reason for what
did not run, and grading goes on. Graded cells a learner deleted are put back from the release
before nbgrader runs, so they are graded against the learner's code.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import math
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.converters import Autograde

from autograder import contracts, engine, kernel_audit, sandbox
from autograder.paths import release_dir, source_dir
from autograder.release import build_assignment
from autograder.scan import scan_notebook

DEFAULT_TIMEOUT_S = 120
DEFAULT_SUBMISSION_TIMEOUT_S = 1800
MAX_NOTEBOOK_BYTES = 20 * 1024**2
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_MESSAGE = "(message hidden: it was raised while hidden tests ran)"
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: object, limit: int = 300) -> str:
    """One printable line: ANSI escapes and control characters removed, length capped."""
    text = _ANSI.sub("", str(value)).strip()
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclass(frozen=True)
class CellGrade:
    """One graded cell: a test cell (autograded) or a written answer (graded by a person)."""

    grade_id: str
    points: float
    max_points: float
    needs_manual_grade: bool
    autograded: bool
    reason: str | None = None  # why an autograded cell earned nothing


@dataclass
class NotebookGrade:
    """Scores of one notebook; ``problem`` says why it could not be graded at all.

    ``flags`` is tampering evidence (kernel-state check, static scan, files that were not
    notebooks): a flagged notebook keeps the points of the cells that ran in an untouched
    kernel, and a person should look at it.
    """

    name: str
    cells: list[CellGrade]
    problem: str | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    autograded_path: Path | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(cell.points for cell in self.cells)

    @property
    def max_score(self) -> float:
        return sum(cell.max_points for cell in self.cells)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class GradeReport:
    """The outcome of grading one module for one student.

    ``sandbox`` says which protections were active for the kernels of this grading.
    """

    module: str
    student: str
    notebooks: list[NotebookGrade]
    course_root: Path
    sandbox: sandbox.SandboxInfo = field(default_factory=lambda: sandbox.plan(False))
    interruptions: list[str] = field(default_factory=list)

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
    def flags(self) -> list[str]:
        """Every piece of tampering evidence, prefixed with its notebook."""
        return [f"{nb.name}.ipynb: {flag}" for nb in self.notebooks for flag in nb.flags]

    @property
    def flagged(self) -> bool:
        """True when a person should review this submission before its grade is used."""
        return bool(self.flags)

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
    submission_timeout_s: float = DEFAULT_SUBMISSION_TIMEOUT_S,
    sandboxed: bool = True,
) -> GradeReport:
    """Autograde the notebooks in ``submission_dir`` against ``module``'s source.

    Works in a fresh private folder under ``workdir`` (kept for feedback; the caller removes
    it). ``timeout_s`` limits each cell, ``submission_timeout_s`` the whole submission.
    ``sandboxed=False`` runs kernels without namespaces (the other protections stay on); the
    benchmark uses it to measure what the sandbox costs.
    Raises only when the assignment itself cannot be built (engine.NbgraderError, or
    FileNotFoundError for a module without source notebooks).
    """
    submission_dir = Path(submission_dir)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="grade-", dir=workdir))  # 0700: the grader's alone
    build_assignment(module, root, source_root)
    source = source_dir(module, source_root)
    submitted = root / "submitted" / student / module
    submitted.mkdir(parents=True)
    info = sandbox.plan(sandboxed)
    refused = _refuse_folder(submission_dir, source, student)
    deadline = time.monotonic() + submission_timeout_s
    problems: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    flags: dict[str, list[str]] = {}
    interruptions: list[str] = []
    with _signals_recorded(interruptions):
        for name in _notebook_names(source):
            notes[name], flags[name] = [], []
            try:
                problem = refused or _grade_one(
                    module, student, name, root, submission_dir, notes[name], flags[name],
                    timeout_s=timeout_s, deadline=deadline, sandboxed=sandboxed,
                )  # fmt: skip
            except KeyboardInterrupt:
                problem = "grading was interrupted (SIGINT), so it scores 0"
                interruptions.append(f"SIGINT while grading {name}.ipynb")
            except Exception as exc:  # a notebook nbgrader cannot handle scores 0, never crashes
                reason = exc.reason if isinstance(exc, engine.NbgraderError) else repr(exc)
                problem = f"could not be graded, so it scores 0 ({clean_text(reason)})"
            if problem is not None:
                problems[name] = problem
    report = _report(module, student, root, source, problems, notes, flags)
    report.sandbox, report.interruptions = info, interruptions
    return report


def grade_reference(
    module: str,
    *,
    workdir: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    source_root: Path | None = None,
    sandboxed: bool = True,
) -> GradeReport:
    """Grade the instructor notebooks themselves: a sound module earns full autograded marks."""
    return grade_submission(
        module,
        source_dir(module, source_root),
        workdir=workdir,
        timeout_s=timeout_s,
        source_root=source_root,
        student="reference",
        sandboxed=sandboxed,
    )


_RECORDED_SIGNALS = ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2")  # not SIGALRM: timeouts


@contextmanager
def _signals_recorded(log: list[str]) -> Iterator[None]:
    """While grading, a signal to the grader is written in the report instead of killing it.

    Only the main thread can set handlers; elsewhere (a worker thread) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved: dict[int, object] = {}

    def record(signum: int, _frame: object) -> None:
        log.append(f"the grader received {signal.Signals(signum).name} and kept grading")

    for name in _RECORDED_SIGNALS:
        if hasattr(signal, name):
            signum = getattr(signal, name)
            saved[signum] = signal.signal(signum, record)
    if hasattr(signal, "SIGPIPE"):
        saved[signal.SIGPIPE] = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _grade_one(
    module: str,
    student: str,
    name: str,
    root: Path,
    submission_dir: Path,
    notes: list[str],
    flags: list[str],
    *,
    timeout_s: float,
    deadline: float,
    sandboxed: bool,
) -> str | None:
    """Copy, check, scan and autograde one notebook; the problem that scores it 0, if any."""
    copy_path = root / "submitted" / student / module / f"{name}.ipynb"
    problem = _safe_copy(submission_dir / f"{name}.ipynb", copy_path, module)
    if problem is None:
        problem = _check_notebook(copy_path, submission_dir, module)
    if problem is not None:
        return problem
    release_nb = root / "release" / module / f"{name}.ipynb"
    restored = restore_missing_cells(copy_path, release_nb)
    notes += [f"{cell} was missing; it was put back and graded" for cell in restored]
    nb = nbformat.read(copy_path, as_version=4)
    findings = scan_notebook(nb, _read(release_nb))
    flags += [f"static scan: {finding}" for finding in findings]
    severe = sorted((f for f in findings if f.severe), key=lambda f: f.cell)
    if time.monotonic() >= deadline:
        return "was not run: the submission used up its total time limit, so it scores 0"
    hold = (severe[0].cell, f"static scan: {severe[0]}") if severe else (0, "")
    record_path = _autograde(module, student, name, root, timeout_s, deadline, sandboxed, hold)
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        return "could not be graded, so it scores 0 (the grader kept no record of the run)"
    violations = contracts.check_notebook(module, name, nb, _read(release_nb))
    if violations:  # a clause whose code breaks the assignment's contract scores 0
        record = contracts.apply(record, violations)
        record_path.write_text(json.dumps(record))
        notes += [v.message() for v in violations]
    flags += [f"kernel: {clean_text(flag)}" for flag in record.get("flags", [])]
    if record.get("stopped"):
        notes.append(f"stopped early: {clean_text(record['stopped'])}; what did not run scores 0")
    return None


def _refuse_folder(folder: Path, source: Path, student: str) -> str | None:
    """Why the submission folder itself cannot be graded, if it cannot (never followed)."""
    if os.path.islink(folder):
        return "was not graded: the submission folder is a symbolic link, which is never followed"
    try:
        inside = folder.resolve().is_relative_to(source.resolve().parent)
    except OSError:
        return "was not graded: the submission folder cannot be read"
    if inside and student != "reference":
        return "was not graded: the submission folder is inside the instructor's sources"
    return None


def _read(path: Path) -> NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4)
    except Exception:
        return None


def _autograde(
    module: str,
    student: str,
    name: str,
    root: Path,
    timeout_s: float,
    deadline: float,
    sandboxed: bool,
    hold: tuple[int, str] = (0, ""),
) -> Path:
    """Run nbgrader's Autograde on one notebook with the guarded preprocessors.

    ``hold`` is (cell number, reason): test cells after that cell are held for a person.
    """
    box = root / "sandbox" / name
    work = box / "work"
    work.mkdir(parents=True)
    shutil.copyfile(root / "submitted" / student / module / f"{name}.ipynb", work / f"{name}.ipynb")
    for data in sorted((root / "release" / module).iterdir()):
        if data.is_file() and not data.is_symlink() and data.suffix != ".ipynb":
            shutil.copyfile(data, work / data.name)  # the course's data files, not the learner's
    record = root / "records" / f"{name}.json"
    record.parent.mkdir(exist_ok=True)
    per_cell = max(1, math.ceil(timeout_s))
    config = engine.load_config(
        root,
        Execute={"timeout": per_cell},
        GuardedExecute={
            "cell_timeout": per_cell,
            "deadline": deadline,
            "install_roots": [str(r) + os.sep for r in sandbox.readable_roots()],
            "hold_after_cell": hold[0],
            "hold_reason": hold[1],
            "course_cells": _course_cells(root / "release" / module / f"{name}.ipynb"),
        },
        SandboxKernelManager={"sandbox_root": str(box), "use_bwrap": sandboxed},
        TrustedSaveAutoGrades={"record_path": str(record)},
    )
    config.Autograde.autograde_preprocessors = [
        "autograder.grading_seed.InjectGradingSeed",
        "autograder.guard.GuardedExecute",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "autograder.guard.TrustedSaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    coursedir = engine.course_directory(config, module, student)
    coursedir.notebook_id = name
    engine.run_converter(Autograde, coursedir, config, {"COURSE_PROVIDER": "sim"})
    return record


def _course_cells(release: Path) -> list[str]:
    """Code names of the release's plain code cells: what they do is the course's, not the
    learner's (a learner who edits one changes its name, and it counts as theirs again)."""
    nb = _read(release)
    if nb is None:
        return []
    return [
        kernel_audit.cell_code_name(cell.source)
        for cell in nb.cells
        if cell.cell_type == "code" and not (utils.is_solution(cell) or utils.is_grade(cell))
    ]


def _notebook_names(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.ipynb"))


def _safe_copy(original: Path, dest: Path, module: str) -> str | None:
    """Copy one regular file without following links or blocking on FIFOs; else the problem."""
    restore = release_dir(module) / original.name
    try:
        info = os.lstat(original)
    except FileNotFoundError:
        return (
            f"missing from {original.parent}, so it scores 0. "
            f"Restore it by copying the release version: cp {restore} {original}"
        )
    except OSError as exc:
        return f"could not be read ({exc.strerror}), so it scores 0"
    if stat.S_ISLNK(info.st_mode):
        return (
            "is a symbolic link; links are never followed, so it scores 0. "
            "Hand in the notebook file itself."
        )
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a FIFO, socket, device or folder), so it scores 0"
    if info.st_size > MAX_NOTEBOOK_BYTES:
        return f"is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB, so it scores 0; clear outputs"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(original, flags)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the lstat
                return "is not a regular file, so it scores 0"
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        return f"could not be read ({exc.strerror}), so it scores 0"
    if len(data) > MAX_NOTEBOOK_BYTES:
        return f"is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB, so it scores 0; clear outputs"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    dest.chmod(0o644)
    return None


def _check_notebook(copy: Path, submission_dir: Path, module: str) -> str | None:
    """None when the copied notebook can be graded; otherwise what the learner should do."""
    original = submission_dir / copy.name
    restore = release_dir(module) / copy.name
    try:
        nb = nbformat.read(copy, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as exc:
        copy.unlink()  # only our copy; the learner's file is never touched
        return (
            f"is corrupt: it could not be read as a notebook ({clean_text(exc, 200)}), "
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
    flags: dict[str, list[str]],
) -> GradeReport:
    """Scores from the grader's own records and the source's points, never from the kernel.

    The gradebook is written for nbgrader's tools but not read back: the report cannot be
    inflated by anything that reached it, and a broken gradebook cannot stop the report.
    """
    notebooks: list[NotebookGrade] = []
    for name in _notebook_names(source):
        src = nbformat.read(source / f"{name}.ipynb", as_version=4)
        record = _load_record(root / "records" / f"{name}.json") if name not in problems else None
        cells = [_cell_grade(meta, record, problems.get(name)) for meta in _graded_cells(src)]
        grade = NotebookGrade(
            name, cells, problems.get(name), notes=notes.get(name, []), flags=flags.get(name, [])
        )
        autograded = root / "autograded" / student / module / f"{name}.ipynb"
        if grade.problem is None and autograded.is_file():
            grade.autograded_path = autograded
            grade.errors = execution_errors(nbformat.read(autograded, as_version=4), src)
        notebooks.append(grade)
    return GradeReport(module, student, notebooks, root)


def _load_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _graded_cells(nb: NotebookNode) -> list[dict]:
    metas = [cell.metadata.get("nbgrader", {}) for cell in nb.cells]
    return [m for m in metas if m.get("grade") or m.get("task")]


def _cell_grade(meta: dict, record: dict | None, problem: str | None) -> CellGrade:
    grade_id = meta["grade_id"]
    autograded = bool(meta.get("grade")) and not meta.get("solution") and not meta.get("task")
    max_points = max(0.0, float(meta.get("points", 0) or 0))
    if autograded:
        verdict = (record or {}).get("cells", {}).get(grade_id) or {}
        passed = verdict.get("passed") is True
        points = min(max(max_points if passed else 0.0, 0.0), max_points)
        reason = None if passed else clean_text(verdict.get("reason") or problem or "not run")
        held = verdict.get("held") is True
        return CellGrade(grade_id, points, max_points, held, True, reason)
    answered = (record or {}).get("manual", {}).get(grade_id, {}).get("answered") is True
    return CellGrade(grade_id, 0.0, max_points, answered, False)


_SAFE_MESSAGES = (
    re.compile(r"name '\w+' is not defined"),
    re.compile(r"\S+ did not finish within \d+ s"),
    re.compile(r"not run: [\w ,;:()'.-]+"),
    re.compile(r"the kernel died while running this cell"),
)
GRADER_ENAMES = ("CellTimeoutError", "NotRun", "DeadKernelError")
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


def _literals(source: str) -> set[str]:
    """String constants of a cell: the messages its author wrote for learners."""
    found = set()
    for match in re.finditer(r"(['\"])((?:\\.|(?!\1).){3,300})\1", source):
        found.add(match.group(2).strip())
    return found


def _without_hidden(source: str) -> str:
    kept, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def _designed_messages(source: str) -> set[str]:
    """Messages of ``assert x, msg`` and ``raise E(msg)``; f-strings as ``{}`` templates."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    found: set[str] = set()

    def take(expr: ast.AST) -> None:
        for node in ast.walk(expr):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value.strip())
            elif isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
                found.add("".join(str(p) for p in parts).strip())

    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            take(node.msg)
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for arg in node.exc.args:
                take(arg)
    return found


class AuthoredMessages:
    """The messages an instructor wrote into a notebook: string literals, and f-string
    templates whose fixed text (at least 8 characters) must match around the interpolated
    values. What the author chose to interpolate is shown as the author chose.
    """

    def __init__(self, sources: list[str]) -> None:
        self.exact: set[str] = set()
        self.patterns: list[re.Pattern[str]] = []
        for source in sources:
            # Public text (outside hidden regions: the learner has it anyway), and the messages
            # of asserts and raises anywhere, hidden ones included: those are meant to be read.
            # A data literal inside a hidden region is neither, so it can never be echoed back.
            for text in _literals(_without_hidden(source)) | _designed_messages(source):
                self.exact.add(text)
                parts = re.split(r"\{[^{}]*\}", text)
                if "{" in text and sum(len(p) for p in parts) >= 8:
                    pattern = ".*?".join(re.escape(p) for p in parts)
                    self.patterns.append(re.compile(pattern, re.DOTALL))

    def __contains__(self, message: str) -> bool:
        message = message.strip()
        return message in self.exact or any(p.fullmatch(message) for p in self.patterns)


def authored(message: str, source: str) -> bool:
    """True when ``message`` is one the author of ``source`` wrote (see AuthoredMessages)."""
    return message in AuthoredMessages([source])


def execution_errors(nb: NotebookNode, source: NotebookNode | None = None) -> list[str]:
    """One line per failing cell, safe to show a learner.

    Once a cell holding hidden tests has run, learner code may have read them, so from there on
    an error message is shown only when the cell's author wrote it (a string in the cell), or it
    is one of a few fixed forms; otherwise only the exception's name.
    """
    # Messages come from test cells and from locked helper cells (a harness that turns an
    # exception into "Clause 3: ..."): every cell of the instructor's source counts.
    messages = AuthoredMessages([str(c.get("source", "")) for c in (source or {}).get("cells", [])])
    found: list[str] = []
    hidden_ran = False
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        label = meta.get("grade_id") or f"cell {index}"
        hidden_here = HIDDEN_BEGIN in cell.source
        hidden_ran = hidden_ran or hidden_here
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            ename = clean_text(output.get("ename", "Error"), 60)
            if not re.fullmatch(r"[A-Za-z_][\w.]{0,59}", ename):
                ename = "Error"
            if hidden_ran and ename not in BUILTIN_EXCEPTIONS and ename not in GRADER_ENAMES:
                ename = "Exception"  # a class name is free text the learner chose
            message = clean_text(output.get("evalue", ""), 200)
            full = _ANSI.sub("", str(output.get("evalue", ""))).strip()
            safe = (
                not message or full in messages or any(p.fullmatch(message) for p in _SAFE_MESSAGES)
            )
            if hidden_ran and not safe:
                message = HIDDEN_MESSAGE
            found.append(f"{label}: {ename}: {message}".rstrip(": "))
    return found


def _first_line(value: object, limit: int = 200) -> str:
    return clean_text(value, limit)
