"""The coordinator: intake, hand out one task per learner, record results, export, report.

Workers only grade; this process alone writes the gradebook, the feedback folder and the
state file, one learner at a time as results arrive, so a crash or Ctrl-C at any moment
leaves a consistent gradebook and a state from which the next run resumes.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.cohort import gradebook as gbmod
from autograder.cohort import report as reportmod
from autograder.cohort.intake import Intake, Issue, collect, submission_hash
from autograder.cohort.state import State
from autograder.cohort.worker import grade_learner, grading_key, portable_source_root
from autograder.grading import DEFAULT_TIMEOUT_S
from autograder.paths import source_dir

Task = dict[str, Any]
Result = dict[str, Any]


class CohortError(RuntimeError):
    """The run cannot start (unknown module, unreadable export, no Dask, no scheduler)."""


@dataclass
class CohortSummary:
    """What a run did; ``run_cohort`` returns it and the CLI prints it."""

    out_dir: Path
    learners: int
    graded: list[str] = field(default_factory=list)  # graded in this run
    skipped: list[str] = field(default_factory=list)  # unchanged, graded before
    recorded_only: list[str] = field(default_factory=list)  # graded before, recorded now
    failed: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    interrupted: bool = False
    wall_s: float = 0.0
    grading_s: float = 0.0  # from the first task handed out to the last result recorded
    record_s: float = 0.0  # coordinator time spent writing results (gradebook, files)
    gradebook: str = ""
    grades_csv: Path | None = None
    lms_csv: Path | None = None
    report: Path | None = None


# ---------------------------------------------------------------- backends


def _serial(tasks: list[Task]) -> Iterator[tuple[Task, Result | BaseException]]:
    for task in tasks:
        try:
            yield task, grade_learner(task)
        except Exception as exc:
            yield task, exc


def _warm_up() -> None:
    """Import the grading stack in a worker (seconds, once per worker process)."""
    import autograder.feedback
    import autograder.grading  # noqa: F401


def _leave_ctrl_c_to_the_coordinator() -> None:
    """In a local worker process: ignore SIGINT.

    Ctrl-C in a terminal reaches the whole process group, local Dask workers included, which
    then died printing tracebacks while the coordinator was already stopping the run. The
    coordinator alone handles it: it stops at the next result and closes the cluster.
    Runs on the worker's main thread (Dask's ``client.run``), where handlers can be set.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def dask_backend(
    workers: int, cluster: str | None
) -> Iterator[Callable[[list[Task]], Iterator[tuple[Task, Result | BaseException]]]]:
    """Run tasks on a LocalCluster of ``workers`` processes, or on the scheduler ``cluster``.

    One thread per worker: grading changes the working directory, so a worker grades one
    learner at a time.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise CohortError(
            "Dask is not installed: pip install -e '.[cohort]' (or run with --serial)"
        ) from exc
    local = None
    try:
        if cluster:
            try:
                client = Client(cluster, timeout="20s")
            except Exception as exc:
                raise CohortError(
                    f"no Dask scheduler answers at {cluster} ({exc}). Start one with "
                    "`dask scheduler` and workers with `dask worker --nthreads 1 ADDRESS` "
                    "(docs/COHORT.md)"
                ) from exc
        else:
            local = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # no fixed port: never collides with a running one
                silence_logs=logging.ERROR,
            )
            client = Client(local)
    except CohortError:
        raise
    except Exception as exc:
        raise CohortError(f"the local Dask cluster could not start: {exc}") from exc
    try:
        if local is not None:
            client.run(_leave_ctrl_c_to_the_coordinator)
        client.run(_warm_up)  # imports before the first task, so the bar's ETA is honest
    except Exception as exc:
        client.close()
        if local is not None:
            local.close()
        raise CohortError(
            f"a Dask worker cannot load the grader ({type(exc).__name__}: {exc}). Every worker "
            "needs this repository and its venv with the cohort extra (docs/COHORT.md)"
        ) from exc

    def run(tasks: list[Task]) -> Iterator[tuple[Task, Result | BaseException]]:
        by_key = {}
        futures = []
        for task in tasks:
            future = client.submit(
                grade_learner,
                task,
                key=f"grade-{task['learner_id']}-{task['hash'][:16]}",
                pure=False,
                retries=0,
            )
            by_key[future.key] = task
            futures.append(future)
        try:
            for future in as_completed(futures):
                task = by_key[future.key]
                try:
                    yield task, future.result()
                except Exception as exc:  # worker died, source mismatch, ...
                    yield task, exc
                finally:
                    future.release()
        finally:
            client.cancel([f for f in futures if not f.done()])

    try:
        yield run
    finally:
        client.close()
        if local is not None:
            local.close()


# ---------------------------------------------------------------- the run


def run_cohort(
    module: str,
    submissions: Path,
    *,
    out_dir: Path,
    workers: int = 2,
    cluster: str | None = None,
    serial: bool = False,
    db_url: str | None = None,
    mapping: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    source_root: Path | None = None,
    lms_column: str | None = None,
    progress: bool = True,
    on_result: Callable[[str, Result], None] | None = None,
) -> CohortSummary:
    """Grade every learner in ``submissions`` for ``module``; resumable, see module doc.

    ``on_result`` is called after each learner is recorded (tests use it to interrupt).
    Raises CohortError when the run cannot start; KeyboardInterrupt is caught, the exports
    and report are still written, and ``summary.interrupted`` is set.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    notebooks = sorted(p.stem for p in source_dir(module, source_root).glob("*.ipynb"))
    if not notebooks:
        raise CohortError(
            f"no source notebooks for {module!r} in {source_dir(module, source_root)}"
        )
    course_root = out_dir / "course"
    scratch = out_dir / ".cohort"
    course_root.mkdir(parents=True, exist_ok=True)
    db_url = gbmod.normalise_db_url(db_url or gbmod.default_db_url(course_root))
    state = State(scratch / "state.sqlite")
    summary = CohortSummary(out_dir, 0, gradebook=gbmod.redact_url(db_url))
    try:
        if state.get_meta("module") not in (None, module):
            raise CohortError(
                f"{out_dir} holds the grading of {state.get_meta('module')!r}, not {module!r}: "
                "pass another --out for this module"
            )
        state.set_meta("module", module)
        key = grading_key(module, source_root)
        try:
            intake = collect(
                Path(submissions), module, scratch / "intake", notebooks, mapping=mapping
            )
        except RuntimeError as exc:
            raise CohortError(str(exc)) from exc
        summary.learners = len(intake.learners)
        summary.issues = intake.issues
        if state.get_meta("gradebook") != db_url:
            state.unrecord_all()  # results are kept; they go to the new gradebook unregraded
        gb = gbmod.open_gradebook(db_url)
        try:
            if state.get_meta("grading_key") != key or not gbmod.assignment_in_gradebook(
                gb, module
            ):
                gb.close()
                gbmod.prepare_course(course_root, module, db_url, source_root)
                gb = gbmod.open_gradebook(db_url)
                state.set_meta("grading_key", key)
            state.set_meta("gradebook", db_url)
            _grade_all(
                module,
                intake,
                state,
                gb,
                course_root,
                summary,
                key,
                workers,
                cluster,
                serial,
                timeout_s,
                source_root,
                progress,
                on_result,
            )
            _finish(
                module,
                intake,
                state,
                gb,
                out_dir,
                summary,
                lms_column,
                serial,
                workers,
                cluster,
                Path(submissions),
                started,
            )
        finally:
            gb.close()
    finally:
        state.close()
    return summary


def _grade_all(
    module: str,
    intake: Intake,
    state: State,
    gb: Any,
    course_root: Path,
    summary: CohortSummary,
    key: str,
    workers: int,
    cluster: str | None,
    serial: bool,
    timeout_s: float,
    source_root: Path | None,
    progress: bool,
    on_result: Callable[[str, Result], None] | None,
) -> None:
    known = state.rows()
    tasks: list[Task] = []
    for learner_id, learner in sorted(intake.learners.items()):
        files = learner.files()
        digest = submission_hash(files, key)
        row = known.get(learner_id)
        if row is not None and row.sub_hash == digest and row.status == "recorded":
            summary.skipped.append(learner_id)
        elif row is not None and row.sub_hash == digest and row.status == "graded":
            stored = state.result(learner_id)
            with _signals_deferred():
                gbmod.record(gb, course_root, module, learner, stored)
                state.mark_recorded(learner_id)
            summary.recorded_only.append(learner_id)
        else:
            tasks.append(
                {
                    "module": module,
                    "learner_id": learner_id,
                    "files": files,
                    "hash": digest,
                    "timeout_s": timeout_s,
                    "source_root": portable_source_root(source_root),
                    "grading_key": key,
                }
            )
    if not tasks:
        return
    from tqdm import tqdm

    bar = tqdm(
        total=len(tasks),
        unit="learner",
        file=sys.stdout,
        disable=not progress,
        desc=f"grading {module}",
        dynamic_ncols=True,
        mininterval=0.5,
    )
    try:
        with _backend(serial, workers, cluster) as run:
            grading_started = time.perf_counter()
            results = run(tasks)
            try:
                for task, outcome in results:
                    learner_id = task["learner_id"]
                    if isinstance(outcome, BaseException):
                        summary.failed[learner_id] = f"{type(outcome).__name__}: {outcome}"
                    elif outcome.get("interrupted"):  # Ctrl-C reached the worker: not a grade
                        summary.failed[learner_id] = outcome["error"]
                        raise KeyboardInterrupt
                    elif outcome.get("error"):
                        state.store_result(learner_id, task["hash"], outcome)
                        summary.failed[learner_id] = outcome["error"]
                    else:
                        recording = time.perf_counter()
                        with _signals_deferred():  # a gradebook commit is never cut in half
                            state.store_result(learner_id, task["hash"], outcome)
                            learner = intake.learners[learner_id]
                            gbmod.record(gb, course_root, module, learner, outcome)
                            state.mark_recorded(learner_id)
                        summary.graded.append(learner_id)
                        summary.record_s += time.perf_counter() - recording
                    bar.update(1)
                    if on_result is not None:
                        on_result(learner_id, outcome)
            finally:
                results.close()  # cancels what is still queued
                summary.grading_s = time.perf_counter() - grading_started
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        bar.close()


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then stop as they asked.

    A KeyboardInterrupt raised inside a SQLAlchemy commit leaves the gradebook's session
    unusable ("prepared" state), so the report and exports that follow an interrupt would fail.
    Only the main thread can handle signals; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda n, _f: caught.append(n)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if caught:
        raise KeyboardInterrupt


@contextmanager
def _backend(serial: bool, workers: int, cluster: str | None):
    if serial:
        yield _serial
    else:
        with dask_backend(workers, cluster) as run:
            yield run


def _finish(
    module: str,
    intake: Intake,
    state: State,
    gb: Any,
    out_dir: Path,
    summary: CohortSummary,
    lms_column: str | None,
    serial: bool,
    workers: int,
    cluster: str | None,
    export: Path,
    started: float,
) -> None:
    summary.grades_csv = gbmod.export_grades(gb, module, out_dir / "grades.csv")
    summary.lms_csv = gbmod.export_lms(
        gb, module, out_dir / "lms_upload.csv", lms_column or module, intake.learners
    )
    table = gbmod.scores(gb, module)
    waiting = gbmod.pending(gb, module)
    rows = []
    stored = state.rows()
    graded_now = set(summary.graded)
    for learner_id, learner in sorted(intake.learners.items()):
        result = state.result(learner_id) if learner_id not in summary.failed else None
        if result is not None and result.get("error"):
            result = None
        score = table.get(learner_id, {})
        rows.append(
            reportmod.LearnerRow(
                learner_id,
                learner.source,
                learner.late,
                result if (stored.get(learner_id) and result) else None,
                score.get("score"),
                score.get("max_score"),
                learner_id in graded_now,
                waiting.get(learner_id, []),
            )
        )
    summary.wall_s = time.perf_counter() - started
    run = reportmod.RunInfo(
        module=module,
        export=str(export),
        backend="serial (in-process)"
        if serial
        else (f"Dask at {cluster}" if cluster else "Dask LocalCluster"),
        workers=1 if serial else workers,
        wall_s=summary.wall_s,
        gradebook=summary.gradebook,
        graded_now=len(summary.graded),
        skipped=len(summary.skipped),
        recorded_only=len(summary.recorded_only),
        failed=sorted(summary.failed.items()),
        interrupted=summary.interrupted,
        missing_from_export=sorted(set(stored) - set(intake.learners)),
    )
    summary.report = reportmod.write(out_dir / "report.html", rows, intake.issues, run)
