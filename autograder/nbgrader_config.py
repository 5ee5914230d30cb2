"""nbgrader configuration for the course (the nbgrader course root is this folder).

Read by the `nbgrader` command line and Formgrader (from the repository root, through the
root nbgrader_config.py, or from autograder/) and by the in-process pipeline
(`python -m autograder ...`, see autograder/engine.py), so they never disagree. The in-process
pipeline overrides CourseDirectory.root (a temporary copy), Execute.timeout and its own
autograde steps (the sandbox); the stock tools run kernels through autograder/cohort/stock.py.
"""

import contextlib
import os
import sys

c = get_config()  # noqa: F821 - injected by traitlets when it executes this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store", "feedback"]

# `nbgrader` runs the `alembic` executable by name when it creates a gradebook: outside an
# activated venv it is not on PATH, and nbgrader stopped (FileNotFoundError) leaving a
# half-made gradebook.db. The venv's bin folder is where this interpreter lives.
_venv_bin = os.path.dirname(sys.executable)
if _venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_venv_bin, os.environ.get("PATH", "")])

# The exchange (nbgrader release/fetch/submit/collect) is not used by this course: learners
# get notebooks from git and instructors grade an LMS export (docs/COHORT.md). A local,
# git-ignored root that exists keeps Formgrader's and the Assignments panel's lookups from
# failing ("Error fetching courses!") on the default /srv/nbgrader/exchange.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")
with contextlib.suppress(OSError):  # a read-only checkout: only that panel is at stake
    os.makedirs(c.Exchange.root, exist_ok=True)

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell limit while autograding; a notebook must run on the simulator in well under a minute.
c.Execute.timeout = 120
# The kernel logs a TCP-encryption warning on every start (ipykernel >= 7), and jupyter_client
# interrupts it (SIGINT) before every shutdown, which it logs as an ERROR when the signal lands
# mid-poll. Neither is about the notebook; cell errors still reach the graded outputs.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=CRITICAL"]
# A kernel sometimes ignores the shutdown request; the default 5 s wait then adds ~4 s to
# every notebook graded.
c.KernelManager.shutdown_wait_time = 2.0

# The stock tools (`nbgrader autograde`, Formgrader's buttons, `nbgrader generate_solution`)
# execute on the simulator with a throwaway trace store, whatever the instructor's shell
# says (COURSE_PROVIDER, API keys): nbgrader's Execute step is swapped for one whose kernel
# gets a rebuilt environment. The order is nbgrader's own.
_execute = "autograder.cohort.stock.SimulatorExecute"
c.Autograde.autograde_preprocessors = [
    _execute,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GenerateSolution.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.ClearMarkScheme",
    _execute,
]


# `nbgrader validate` (and the Validate button) builds its own Execute step, which cannot be
# swapped, so it is pointed at a kernel that forces the simulator itself (the course-sim
# kernelspec, autograder/cohort/sim_kernel.py). The setting is scoped to the validator: the
# grader's own Execute steps never see it.
def _has_course_sim_kernel() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager

    return "course-sim" in KernelSpecManager().find_kernel_specs()


if _has_course_sim_kernel():
    c.Validator.Execute.kernel_name = "course-sim"
else:
    import sys

    print(
        "nbgrader_config: the course-sim kernel is not installed, so `nbgrader validate` "
        "runs with your shell's provider settings; run `make setup` to install it.",
        file=sys.stderr,
    )

# A learner who deletes a test cell must not leave the grade stuck at needs_manual_grade:
# nbgrader puts the cell back from the gradebook and runs it against the learner's code.
c.OverwriteCells.add_missing_cells = True

# Feedback must never show hidden tests: strip them, and trim tracebacks from those cells.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
