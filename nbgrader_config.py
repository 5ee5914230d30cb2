"""nbgrader configuration found from the repository root.

The `nbgrader` command line and Formgrader (in `make lab`) look for nbgrader_config.py in the
folder they start in; the course's settings live in autograder/nbgrader_config.py (course
root autograder/), loaded here so both folders work the same.
"""

c = get_config()  # noqa: F821 - injected by traitlets when it executes this file
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821 - path relative to this file
