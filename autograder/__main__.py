"""Command line of the autograder.

    python -m autograder release [MODULE ...]         regenerate the student notebooks
    python -m autograder check MODULE [--path DIR]    grade your own copy, write feedback
    python -m autograder grade-reference MODULE       the solutions must earn full marks
    python -m autograder demo [-j N]                  every notebook headless, then a self-grade

Exit status: `check` is 0 whenever grading ran, whatever the score; `grade-reference` is 1
unless every test cell passes; anything is 2 when it cannot start (unknown module, no folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from autograder.cohort import cli as cohort_cli
from autograder.demo import demo_command
from autograder.engine import NbgraderError
from autograder.grading import (
    DEFAULT_SUBMISSION_TIMEOUT_S,
    DEFAULT_TIMEOUT_S,
    GradeReport,
    clean_text,
    grade_reference,
    grade_submission,
)
from autograder.paths import modules_with_source, release_dir


def format_report(report: GradeReport) -> str:
    """A per-notebook, per-exercise score table, then what went wrong and what was flagged.

    Everything that came from a submission passes through ``clean_text``: no ANSI escape or
    control character from learner output reaches the terminal.
    """
    lines = [f"{'notebook / exercise':<40} {'score':>6} {'max':>6}"]
    for nb in report.notebooks:
        lines.append(f"{nb.name + '.ipynb':<40} {nb.score:>6.1f} {nb.max_score:>6.1f}")
        for cell in nb.cells:
            if cell.autograded:
                name, score = cell.grade_id, f"{cell.points:.1f}"
                status = "" if cell.points == cell.max_points else "not passed yet"
                if cell.needs_manual_grade:
                    status = "held for a person (see flags)"
                elif cell.reason and cell.points < cell.max_points:
                    status = f"not passed: {clean_text(cell.reason, 80)}"
            elif cell.needs_manual_grade:
                name, score, status = f"{cell.grade_id} (written)", "-", "graded by a person"
            else:
                name, score = f"{cell.grade_id} (written)", f"{cell.points:.1f}"
                status = "no answer yet" if cell.points == 0 else ""
            lines.append(f"  {name:<38} {score:>6} {cell.max_points:>6.1f}  {status}".rstrip())
    lines.append(
        f"Autograded: {report.auto_score:.1f} / {report.auto_max:.1f} points."
        + (
            f" Written answers worth {report.pending_manual:.1f} points are graded by a person."
            if report.pending_manual
            else ""
        )
    )
    details = [f"  {clean_text(p, 400)}" for p in report.problems]
    for nb in report.notebooks:
        details += [f"  {nb.name}.ipynb: {clean_text(m, 300)}" for m in nb.errors + nb.notes]
    details += [f"  {clean_text(m)}" for m in report.interruptions]
    if details:
        lines += ["What to look at:", *details]
    if report.flags:
        lines.append("FLAGGED for a person (tampering evidence; the flagged cells earned nothing):")
        lines += [f"  {clean_text(flag, 300)}" for flag in report.flags]
    box = report.sandbox
    lines.append(
        f"Sandbox: {box.mechanism}"
        + (f" (not active: {'; '.join(box.missing)})" if box.missing else "")
    )
    return "\n".join(lines)


def _known_module(module: str, source_root: Path | None) -> bool:
    known = modules_with_source(source_root)
    if module in known:
        return True
    print(
        f"Unknown module {module!r}; modules with a source: {', '.join(known) or 'none'}",
        file=sys.stderr,
    )
    return False


def release_command(args: argparse.Namespace) -> int:
    from autograder.release import generate_release

    modules = args.modules or modules_with_source(args.source_root)
    if not all(_known_module(module, args.source_root) for module in modules):
        return 2
    for module in modules:
        dest = release_dir(module, args.dest_root)
        try:
            written = generate_release(module, dest, source_root=args.source_root)
        except NbgraderError as exc:
            print(f"{module}: {exc}", file=sys.stderr)
            return 1
        print(f"{module}: {len(written)} file(s) written to {dest}")
    return 0


def check_command(args: argparse.Namespace) -> int:
    from autograder.feedback import write_feedback
    from course.config import state_dir

    if not _known_module(args.module, args.source_root):
        return 2
    submission = Path(args.path) if args.path else release_dir(args.module)
    if not submission.is_dir():
        print(f"No folder {submission} to grade.", file=sys.stderr)
        return 2
    print(f"Grading {submission} (this runs every notebook; it can take a minute) ...")
    with tempfile.TemporaryDirectory(prefix="course-check-") as workdir:
        try:
            report = grade_submission(
                args.module,
                submission,
                workdir=Path(workdir),
                timeout_s=args.timeout,
                source_root=args.source_root,
                submission_timeout_s=args.submission_timeout,
                sandboxed=not args.no_sandbox,
            )
        except NbgraderError as exc:
            print(f"Grading could not run: {exc}", file=sys.stderr)
            return 1
        print(format_report(report))
        try:
            pages = write_feedback(report, state_dir() / "feedback" / args.module)
        except Exception as exc:  # the scores are printed already; feedback is a bonus
            print(f"Feedback pages could not be written: {clean_text(exc)}", file=sys.stderr)
            pages = []
    if pages:
        print("Feedback (open in a browser):")
        print("\n".join(f"  {page}" for page in pages))
    exemplars = release_dir(args.module) / "EXEMPLARS.md"
    if exemplars.is_file():
        print(f"Exemplar written answers to compare yours with: {exemplars}")
    return 0


def grade_reference_command(args: argparse.Namespace) -> int:
    if not _known_module(args.module, args.source_root):
        return 2
    with tempfile.TemporaryDirectory(prefix="course-reference-") as workdir:
        try:
            report = grade_reference(
                args.module,
                workdir=Path(workdir),
                timeout_s=args.timeout,
                source_root=args.source_root,
            )
        except NbgraderError as exc:
            print(f"Grading could not run: {exc}", file=sys.stderr)
            return 1
    print(f"{args.module}: reference solutions")
    print(format_report(report))
    if report.full_auto_marks:
        print("Full autograded marks.")
        return 0
    print("NOT full marks: the solutions or the tests need fixing.", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--source-root",
        type=Path,
        default=None,
        help="instructor sources (default autograder/source)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="regenerate the student notebooks")
    release.add_argument("modules", nargs="*", metavar="MODULE")
    release.add_argument(
        "--dest-root",
        type=Path,
        default=None,
        help="parent of the module folders (default repo root)",
    )
    release.set_defaults(handler=release_command)

    check = commands.add_parser("check", help="grade your own copy of a module")
    check.add_argument("module", metavar="MODULE")
    check.add_argument("--path", help="the folder to grade (default: the module folder)")
    check.set_defaults(handler=check_command)

    reference = commands.add_parser("grade-reference", help="grade the instructor solutions")
    reference.add_argument("module", metavar="MODULE")
    reference.set_defaults(handler=grade_reference_command)

    demo = commands.add_parser(
        "demo", help="run every notebook headless on the simulator, then self-grade the solutions"
    )
    demo.add_argument("--jobs", "-j", type=int, default=None, help="notebooks at a time")
    demo.set_defaults(handler=demo_command, timeout=None)

    cohort = commands.add_parser("cohort", help="grade a cohort export (LMS zip or folder)")
    cohort_cli.add_arguments(cohort, include_source_root=False)
    cohort.set_defaults(handler=cohort_cli.command)

    for command in (check, reference):
        command.add_argument(
            "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per cell"
        )
    check.add_argument(
        "--submission-timeout",
        type=float,
        default=DEFAULT_SUBMISSION_TIMEOUT_S,
        help="seconds for the whole submission",
    )
    check.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run kernels without namespaces (other protections stay on); for measuring",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
