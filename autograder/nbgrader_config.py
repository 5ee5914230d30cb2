"""nbgrader configuration for the course (the nbgrader course root is this folder).

Read both by the `nbgrader` command line (run it from autograder/) and by the in-process
pipeline (`python -m autograder ...`, see autograder/engine.py), so the two never disagree.
The in-process pipeline overrides CourseDirectory.root (a temporary copy) and Execute.timeout.
"""

import os

c = get_config()  # noqa: F821 - injected by traitlets when it executes this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store", "feedback"]

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

# A learner who deletes a test cell must not leave the grade stuck at needs_manual_grade:
# nbgrader puts the cell back from the gradebook and runs it against the learner's code.
c.OverwriteCells.add_missing_cells = True

# Feedback must never show hidden tests: strip them, and trim tracebacks from those cells.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
