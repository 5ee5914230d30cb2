"""A kernel for `nbgrader validate` that runs on the simulator whatever the shell says.

nbgrader's validator builds its own Execute step with a fixed kernel manager, so the course
cannot swap the step as it does for `autograde`; it can only name the kernel
(``c.Validator.Execute.kernel_name`` in autograder/nbgrader_config.py). This module is that
kernel (the ``course-sim`` kernelspec, installed by ``make setup``): before ipykernel starts,
it replaces its own environment with the stock tools' one (``simulator_env``: the simulator,
no keys, no proxy, a scratch home and trace store) and removes the scratch home on exit.
Run as ``python -m autograder.cohort.sim_kernel -f CONNECTION_FILE``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "course-sim"


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="nbgrader-kernel-"))
    atexit.register(shutil.rmtree, scratch, True)
    from autograder.cohort.stock import simulator_env

    environment = simulator_env(scratch, sys.executable)
    os.environ.clear()
    os.environ.update(environment)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
