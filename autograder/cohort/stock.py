"""Kernels for the stock nbgrader tools (the `nbgrader` command line, Formgrader's buttons).

The course's nbgrader_config.py points nbgrader's executing steps here, so a notebook graded
with the stock tools runs on the simulator with a throwaway trace store, whatever the
instructor's shell holds: an exported ``COURSE_PROVIDER=openai`` once graded a correct notebook
1/6, and with a key set it would have billed the instructor. The kernel's environment is
rebuilt from nothing (the sandbox's ``kernel_env``: no keys, no ``COURSE_*`` but the simulator)
with a private home that is deleted when the kernel stops. Unlike ``python -m autograder``,
this is not the namespace sandbox: the kernel runs as the instructor, in the notebook's folder.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import weakref
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute

from autograder.sandbox import kernel_env


class SimulatorKernelManager(AsyncKernelManager):
    """A local kernel with the simulator forced and a scratch home (and trace store).

    The scratch folder goes when the kernel is cleaned up, or at the latest when this
    process exits (a kernel nbgrader gave up on is not always cleaned up).
    """

    scratch: Path | None = None
    _remove_scratch: weakref.finalize | None = None

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        self.scratch = Path(tempfile.mkdtemp(prefix="nbgrader-kernel-"))
        self._remove_scratch = weakref.finalize(self, shutil.rmtree, str(self.scratch), True)
        kw["env"] = simulator_env(self.scratch, sys.executable)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._remove_scratch is not None:
            self._remove_scratch()  # once only, whoever calls it first
            self.scratch = None

    cleanup_resources = _async_cleanup_resources  # the base class binds the name to its own


class SimulatorExecute(Execute):
    """nbgrader's Execute step on a SimulatorKernelManager kernel.

    nbgrader passes its kernel manager class as an argument, which beats configuration, so
    the class is swapped here and the config lists this step in place of Execute.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["kernel_manager_class"] = SimulatorKernelManager
        super().__init__(**kwargs)


def simulator_env(scratch: Path, python: str) -> dict[str, str]:
    """A kernel's whole environment: the simulator forced, nothing from the shell, and a home
    (with the trace store) in ``scratch``."""
    mpl = scratch / ".config" / "matplotlib"
    mpl.mkdir(parents=True, exist_ok=True)
    _seed_font_cache(mpl)
    return kernel_env(python) | {
        "HOME": str(scratch),
        "COURSE_HOME": str(scratch / ".course"),
        "MPLCONFIGDIR": str(mpl),
    }


def _seed_font_cache(target: Path) -> None:
    """Copy matplotlib's font cache: building it costs seconds in every fresh home."""
    try:
        import matplotlib

        for cache in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copyfile(cache, target / cache.name)
    except Exception:  # only speed is at stake
        return
