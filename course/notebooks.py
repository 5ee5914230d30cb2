"""Run notebooks headless with papermill, as CI and nightly eval runs do.

A run counts as failed when a cell raises or when any cell writes to stderr: the course
promises silent notebooks, and nbgrader scores a test cell that writes to stderr as 0.
Only parameters the notebook's `parameters` cell declares are injected (papermill would warn
about the others), outputs go under the course state folder (never next to the source), and
nothing but real errors reaches the terminal.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError
from traitlets.config import Config

from course.config import state_dir

KERNEL = "python3"
DEFAULT_TIMEOUT_S = 300  # per cell; a course notebook runs in well under a minute in total
# ipykernel >= 7 warns about unencrypted TCP on every start, and jupyter_client sends SIGINT
# before each shutdown, which the kernel may log as an ERROR. Neither concerns the notebook;
# cell errors and stderr still reach the executed notebook, where the runner checks them.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
# A kernel sometimes ignores the shutdown request; the default 5 s wait adds ~4 s to a run.
KERNEL_CONFIG = Config({"KernelManager": {"shutdown_wait_time": 2.0}})


# Where the notebooks live in a checkout, by convention (docs/ARCHITECTURE.md): instructor
# sources under autograder/source/<module>/, the generated student copies in <module>/.
REPO_ROOT = Path(__file__).resolve().parents[1]


def course_notebooks(*, release: bool = False, repo_root: Path | None = None) -> list[Path]:
    """Every instructor notebook (or, with ``release``, every student copy), module by module."""
    root = Path(repo_root or REPO_ROOT)
    parent = root if release else root / "autograder" / "source"
    if not parent.is_dir():
        return []
    return [
        notebook
        for module in sorted(parent.glob("module*"))
        if module.is_dir()
        for notebook in sorted(module.glob("*.ipynb"))
    ]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one headless run."""

    path: Path
    seconds: float
    ok: bool
    error: str | None
    stderr_cells: list[str]
    output: Path | None = None
    ignored_parameters: list[str] = field(default_factory=list)


def runs_dir() -> Path:
    """Where executed notebooks are written by default."""
    return state_dir() / "runs"


def declared_parameters(path: Path) -> set[str]:
    """Names assigned in the notebook's `parameters` cell (empty when it has none)."""
    nb = nbformat.read(path, as_version=4)
    if not any("parameters" in cell.metadata.get("tags", []) for cell in nb.cells):
        return set()
    return set(papermill.inspect_notebook(str(path)))


def stderr_cells(nb: nbformat.NotebookNode) -> list[str]:
    """One label per code cell that wrote to stderr: position, id and the first line written."""
    found = []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                first = (output.text.strip().splitlines() or [""])[0][:160]
                found.append(f"cell {index} [{cell.get('id', '?')}]: {first}")
                break
    return found


def run_notebooks(
    paths: list[Path],
    parameters: Mapping[str, Any] | None = None,
    out_dir: Path | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    jobs: int | None = None,
) -> list[RunResult]:
    """Run several notebooks, ``jobs`` at a time (default: one per core), results in order.

    Each notebook has its own kernel process, so they run side by side; the trace store and
    the cache are SQLite files in WAL mode, which take concurrent writers.
    """
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    if jobs == 1:
        return [run_notebook(p, parameters, out_dir, timeout_s=timeout_s) for p in paths]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(run_notebook, p, parameters, out_dir, timeout_s=timeout_s) for p in paths
        ]
        return [future.result() for future in futures]


def run_notebook(
    path: Path,
    parameters: Mapping[str, Any] | None = None,
    out_dir: Path | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> RunResult:
    """Execute ``path`` in its own folder and write the executed copy to ``out_dir``."""
    path = Path(path).resolve()
    out_dir = Path(out_dir) if out_dir is not None else runs_dir() / path.parent.name
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / path.name
    output.unlink(missing_ok=True)  # never report on a previous run's output

    error, ignored = None, []
    started = time.perf_counter()
    with _quiet_kernel_env():
        try:
            declared = declared_parameters(path)
            given = dict(parameters or {})
            injected = {name: value for name, value in given.items() if name in declared}
            ignored = sorted(set(given) - declared)
            papermill.execute_notebook(
                str(path),
                str(output),
                parameters=injected,
                kernel_name=KERNEL,
                cwd=str(path.parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout_s,
                extra_arguments=KERNEL_ARGUMENTS,
                config=KERNEL_CONFIG,
            )
        except PapermillExecutionError as exc:
            evalue = (str(exc.evalue).strip().splitlines() or [""])[0]
            error = f"cell {exc.cell_index + 1} raised {exc.ename}: {evalue}".rstrip(": ")
        except Exception as exc:  # kernel died, cell timed out, notebook unreadable, ...
            error = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started

    noisy = stderr_cells(nbformat.read(output, as_version=4)) if output.exists() else []
    ok = error is None and not noisy
    return RunResult(path, seconds, ok, error, noisy, output if output.exists() else None, ignored)


@contextmanager
def _quiet_kernel_env() -> Iterator[None]:
    """Silence papermill's INFO logging and debugpy's frozen-modules warning, then restore."""
    log = logging.getLogger("papermill")
    level, pydevd = log.level, os.environ.get("PYDEVD_DISABLE_FILE_VALIDATION")
    log.setLevel(logging.WARNING)
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    try:
        yield
    finally:
        log.setLevel(level)
        if pydevd is None:
            os.environ.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
        else:
            os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = pydevd
