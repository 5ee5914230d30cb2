"""Command line of cohort grading.

    python -m autograder.cohort MODULE SUBMISSIONS [--out DIR] [--workers N | --serial |
                                --cluster tcp://HOST:PORT] [--db-url URL] [--mapping CSV]

To mount it as ``python -m autograder cohort``: ``add_arguments(subparser,
include_source_root=False)`` then ``subparser.set_defaults(handler=command)``.
Exit status: 0 when every learner was graded (issues in the export are in the report),
1 when some learner could not be graded or the run was interrupted (run again to resume),
2 when the run cannot start.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from autograder.grading import DEFAULT_TIMEOUT_S
from autograder.paths import REPO_ROOT, modules_with_source


def default_out(module: str) -> Path:
    """Where a cohort's outputs go unless --out says otherwise (git-ignored)."""
    return REPO_ROOT / "grading" / module


def add_arguments(parser: argparse.ArgumentParser, *, include_source_root: bool = True) -> None:
    """The cohort options, on ``parser`` (a subcommand parser or a standalone one)."""
    parser.add_argument("module", metavar="MODULE", help="the assignment (module folder name)")
    parser.add_argument(
        "submissions",
        metavar="SUBMISSIONS",
        type=Path,
        help="an LMS zip (Canvas, Moodle) or a folder (nbgrader submitted/ layout, or any "
        "layout with --mapping)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default grading/MODULE at the repo root)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="local Dask worker processes (default 2; one learner each at a time)",
    )
    parser.add_argument(
        "--cluster",
        default=None,
        metavar="tcp://HOST:PORT",
        help="send the tasks to this Dask scheduler instead of a local cluster",
    )
    parser.add_argument(
        "--serial",
        action="store_true",
        help="grade in this process, one learner after another (no Dask)",
    )
    parser.add_argument(
        "--db-url",
        default=None,
        help="nbgrader gradebook URL (default sqlite in OUT/course/gradebook.db), "
        "e.g. postgresql://user:pw@host:5432/db",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        default=None,
        help="CSV path,learner_id[,first_name,last_name,email,lms_user_id]",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per cell")
    parser.add_argument(
        "--lms-column",
        default=None,
        help="grade column header in the LMS upload CSV (default MODULE)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    if include_source_root:
        parser.add_argument(
            "--source-root",
            type=Path,
            default=None,
            help="instructor sources (default autograder/source)",
        )


@contextmanager
def _terminate_is_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a scheduler's timeout, a closing terminal) stops the run as Ctrl-C does.

    Python's default for SIGTERM ends the process on the spot: no report, the Dask workers
    orphaned. As KeyboardInterrupt, the run stops at the next result, closes the cluster and
    writes the exports and report from what is recorded; a rerun resumes from there.
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (an embedding program): leave its handler
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def command(args: argparse.Namespace) -> int:
    """Run a cohort from parsed arguments; prints a summary; returns the exit status."""
    from autograder.cohort.run import CohortError, run_cohort

    source_root = getattr(args, "source_root", None)
    known = modules_with_source(source_root)
    if args.module not in known:
        print(
            f"Unknown module {args.module!r}; modules with a source: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    out = args.out or default_out(args.module)
    try:
        with _terminate_is_interrupt():
            summary = run_cohort(
                args.module,
                args.submissions,
                out_dir=out,
                workers=args.workers,
                cluster=args.cluster,
                serial=args.serial,
                db_url=args.db_url,
                mapping=args.mapping,
                timeout_s=args.timeout,
                source_root=source_root,
                lms_column=args.lms_column,
                progress=not args.no_progress,
            )
    except CohortError as exc:
        print(f"Cohort grading could not start: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # gradebook or state file unusable
        print(f"Cohort grading stopped: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before grading began or while writing the exports
        print(
            "Interrupted: run the same command again to finish (graded learners are kept).",
            file=sys.stderr,
        )
        return 1
    print(
        f"{summary.learners} learner(s): {len(summary.graded)} graded now, "
        f"{len(summary.skipped)} unchanged, {len(summary.recorded_only)} recorded from an "
        f"earlier run, {len(summary.failed)} could not be graded; {summary.wall_s:.1f} s."
    )
    for issue in summary.issues:
        print("  " + issue.line())
    for learner, reason in sorted(summary.failed.items()):
        print(f"  [not graded] {learner}: {reason}")
    print(f"Gradebook: {summary.gradebook}")
    for label, path in (
        ("grades.csv", summary.grades_csv),
        ("LMS upload", summary.lms_csv),
        ("report", summary.report),
    ):
        if path:
            print(f"{label}: {path}")
    print(f"Feedback pages: {summary.out_dir / 'course' / 'feedback'}/<learner>/{args.module}/")
    if summary.interrupted:
        print("Interrupted: run the same command again to finish (graded learners are kept).")
        return 1
    return 1 if summary.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: python -m autograder.cohort."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.cohort", description="Grade a cohort's submissions in parallel."
    )
    add_arguments(parser)
    return command(parser.parse_args(argv))
