"""Run nbgrader converters in-process, with the course config, quietly.

In-process because each `nbgrader` command spends seconds importing. Quietly because nbgrader
logs every step at INFO, SQLAlchemy warns about its sessions, and a learner's terminal should
show only real errors; what nbgrader says is captured and returned instead.
Two quirks are handled here. Creating a gradebook runs the `alembic` executable in a
subprocess to learn the schema head: that fails in an unactivated venv (not on PATH) and
costs about two seconds per gradebook, so the head is computed once, in-process, instead.
And debugpy prints a frozen-modules warning from every kernel unless told not to.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import nbgrader
import nbgrader.api
from nbgrader.converters.base import BaseConverter
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

from autograder.paths import CONFIG_FILE

LOGGER_NAME = "autograder.nbgrader"


class NbgraderError(RuntimeError):
    """nbgrader could not complete a step; ``reason`` is the gist, ``log`` the errors it logged."""

    def __init__(self, step: str, reason: str, log: list[str] | None = None) -> None:
        super().__init__(f"nbgrader {step} failed: {reason}")
        self.reason = reason
        self.log = log or []


def _reason(log: list[str]) -> str:
    """The last line of the first traceback nbgrader logged, else its first error."""
    for record in log:
        if "Traceback (most recent call last)" in record:
            return [line for line in record.splitlines() if line.strip()][-1].strip()
    return log[0].removeprefix("ERROR: ") if log else ""


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def _logger() -> logging.Logger:
    log = logging.getLogger(LOGGER_NAME)
    log.propagate = False  # never reaches the root logger, hence never the terminal
    log.setLevel(logging.WARNING)
    if not log.handlers:  # without any handler, logging would fall back to stderr
        log.addHandler(logging.NullHandler())
    return log


def load_config(root: Path, **sections: Mapping[str, Any]) -> Config:
    """The course's nbgrader_config.py with the course root moved to ``root``.

    ``sections`` override config values, e.g. ``Execute={"timeout": 30}``.
    """
    config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    config.CourseDirectory.root = str(Path(root).resolve())
    for section, values in sections.items():
        for key, value in values.items():
            config[section][key] = value
    return config


def course_directory(config: Config, assignment_id: str, student_id: str = ".") -> CourseDirectory:
    """A CourseDirectory for one assignment (and student) under the configured root."""
    coursedir = CourseDirectory(config=config, log=_logger())
    coursedir.assignment_id = assignment_id
    coursedir.student_id = student_id
    return coursedir


_ORIGINAL_ALEMBIC_VERSION = nbgrader.api.get_alembic_version


@functools.cache
def _alembic_head() -> str:
    """The gradebook schema revision, as nbgrader.api.get_alembic_version computes it."""
    try:
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
        head = ScriptDirectory.from_config(cfg).get_current_head()
    except Exception:  # an alembic API change: fall back to nbgrader's own subprocess
        head = None
    return head or _ORIGINAL_ALEMBIC_VERSION()


@contextmanager
def gradebook_patch() -> Iterator[None]:
    """Let nbgrader create gradebooks without spawning `alembic`."""
    with mock.patch.object(nbgrader.api, "get_alembic_version", _alembic_head):
        yield


@contextmanager
def environment(overrides: Mapping[str, str | None] | None = None) -> Iterator[None]:
    """Set environment variables for the duration (None removes one), then restore them."""
    changes: dict[str, str | None] = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **(overrides or {}),
    }
    saved = {key: os.environ.get(key) for key in changes}
    try:
        for key, value in changes.items():
            _set_env(key, value)
        yield
    finally:
        for key, value in saved.items():
            _set_env(key, value)


def _set_env(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def run_converter(
    converter_class: type[BaseConverter],
    coursedir: CourseDirectory,
    config: Config,
    env: Mapping[str, str | None] | None = None,
) -> list[str]:
    """Run one nbgrader converter (GenerateAssignment, Autograde, ...) with ``force`` on.

    Returns the warnings nbgrader logged; raises NbgraderError with its error log on failure.
    Not thread-safe: nbgrader changes the working directory while it runs.
    """
    log = _logger()
    capture = _Capture()
    log.addHandler(capture)
    try:
        with environment(env), gradebook_patch(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converter = converter_class(coursedir=coursedir, config=config, log=log)
            converter.force = True
            converter.start()
    except Exception as exc:  # nbgrader wraps most failures in NbGraderException, not all
        details = [line for line in capture.lines if line.startswith(("ERROR", "CRITICAL"))]
        step = converter_class.__name__
        raise NbgraderError(step, _reason(details) or str(exc), details) from exc
    finally:
        log.removeHandler(capture)
    return capture.lines
