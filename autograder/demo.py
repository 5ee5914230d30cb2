"""`python -m autograder demo` (`make demo`): the whole course headless, then a self-grade.

It lives in the autograder because it grades: the teaching library runs notebooks
(`course run`) and knows nothing of grading, so dependencies point one way.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from autograder.engine import NbgraderError
from autograder.grading import grade_reference
from autograder.paths import modules_with_source
from course.cli import run_command
from course.models import catalog

DEFAULT_TIMEOUT_S = 300.0


def demo_command(args: argparse.Namespace) -> int:
    """Every instructor notebook on the simulator, then a one-line self-grade per module."""
    started = time.perf_counter()
    timeout = getattr(args, "timeout", None) or DEFAULT_TIMEOUT_S
    # The demo is the offline tour: force the simulator whatever the shell's configuration says.
    run_args = argparse.Namespace(
        paths=[],
        release=False,
        source=False,
        parameter=None,
        provider="sim",
        model=catalog().default_for("sim"),
        seed=None,
        sample_size=None,
        out=None,
        timeout=timeout,
        jobs=getattr(args, "jobs", None),
    )
    status = run_command(run_args)
    print("\nSelf-grading the reference solutions with the hidden tests:")
    for module in modules_with_source(getattr(args, "source_root", None)):
        with tempfile.TemporaryDirectory(prefix="course-demo-") as workdir:
            try:
                report = grade_reference(module, workdir=Path(workdir), timeout_s=timeout)
            except NbgraderError as exc:
                print(f"  {module}: grading could not run ({exc})")
                status = 1
                continue
        verdict = "full marks" if report.full_auto_marks else "NOT full marks"
        print(
            f"  {module}: {report.auto_score:g} / {report.auto_max:g} autograded points, {verdict}"
        )
        for problem in report.problems:
            print(f"    {problem}")
        status = status if report.full_auto_marks else 1
    print(
        f"\nDemo {'passed' if status == 0 else 'FAILED'} in {time.perf_counter() - started:.0f} s. "
        "Next: `make lab` to work through a module, `make check MODULE=...` to grade your copy."
    )
    return status
