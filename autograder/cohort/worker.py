"""Grade one learner: the task a Dask worker (or the serial loop) runs.

A task carries the learner's files as bytes, not paths, so a worker on another machine needs
only the same repository and venv, nothing shared. The worker grades through the public
``autograder.grading.grade_submission`` (which sandboxes each notebook), renders the feedback
pages, and returns plain data: scores per cell, problems, flags, the feedback HTML and the
autograded notebooks. It never touches the cohort's gradebook; only the coordinator does.

GradeReport is being extended (sandbox, flags) while this is written, so the result is read
defensively: known fields by name, unknown ones copied when they are plain data.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder import grading_seed
from autograder.paths import REPO_ROOT, source_dir

RESULT_VERSION = 1


def resolve_source_root(source_root: str | None) -> Path | None:
    """A source root sent by the coordinator: relative paths are relative to this repo."""
    if source_root is None:
        return None
    path = Path(source_root)
    return path if path.is_absolute() else REPO_ROOT / path


def portable_source_root(source_root: Path | None) -> str | None:
    """The source root as sent to workers: repo-relative when it lies inside the repo."""
    if source_root is None:
        return None
    path = Path(source_root).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


_NOT_CODE = ("__pycache__", ".ipynb_checkpoints", "autograder/source/", "autograder/exchange/")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of everything else that decides a score: the course library (the simulator, its
    model weights, the data) and the grader's own code, plus a fingerprint of the grading key
    (never the key). A simulator change, a `git pull` or a worker with another key or checkout
    changes it."""
    digest = hashlib.sha256()
    for top in (REPO_ROOT / "course", REPO_ROOT / "autograder"):
        for path in sorted(p for p in top.rglob("*") if p.is_file()):
            rel = path.relative_to(REPO_ROOT).as_posix()
            if any(part in rel for part in _NOT_CODE):
                continue
            digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update(grading_seed.grading_seed("key-fingerprint", "cohort").to_bytes(8, "big"))
    return digest.hexdigest()


def grading_key(module: str, source_root: Path | None) -> str:
    """A digest of the module's instructor folder and of ``code_digest()``: tests, points, the
    simulator or the grader changed means regrade all."""
    folder = source_dir(module, source_root)
    digest = hashlib.sha256(module.encode() + code_digest().encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if "__pycache__" in rel or ".ipynb_checkpoints" in rel:
            continue
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class SourceMismatch(RuntimeError):
    """A worker whose instructor sources differ from the coordinator's would grade wrongly."""


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a flag or any new report field (``summary()`` when it has one)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    summary = getattr(value, "summary", None)
    if callable(summary):
        try:
            return str(summary())
        except Exception:
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    return str(value)


_CELL_FIELDS = ("grade_id", "points", "max_points", "needs_manual_grade", "autograded")
_NOTEBOOK_FIELDS = {"name", "cells", "problem", "errors", "notes", "autograded_path"}
_REPORT_FIELDS = {"module", "student", "notebooks", "course_root"}


def _extras(obj: Any, known: set[str]) -> dict[str, Any]:
    """Fields a newer GradeReport has that this module does not know by name (e.g. flags)."""
    found: dict[str, Any] = {}
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            if f.name not in known and not f.name.startswith("_"):
                found[f.name] = _plain(getattr(obj, f.name))
    for name in dir(type(obj)):  # properties such as ``flags`` or ``sandbox``
        if name in known or name.startswith("_") or name in found:
            continue
        if isinstance(getattr(type(obj), name, None), property) and (
            "flag" in name or "sandbox" in name
        ):
            try:
                found[name] = _plain(getattr(obj, name))
            except Exception as exc:  # a property that fails must not lose the grade
                found[name] = f"unreadable ({exc})"
    return found


def summarize(report: Any) -> dict[str, Any]:
    """Plain data from a GradeReport, tolerant of fields added or missing."""
    notebooks = []
    for nb in getattr(report, "notebooks", []):
        cells = []
        for cell in getattr(nb, "cells", []):
            data = {name: _plain(getattr(cell, name, None)) for name in _CELL_FIELDS}
            data["points"] = float(data["points"] or 0.0)
            data["max_points"] = float(data["max_points"] or 0.0)
            # never more than the maximum, never less than 0, whatever the grader returned
            data["points"] = min(max(data["points"], 0.0), data["max_points"])
            data.update(_extras(cell, set(_CELL_FIELDS)))
            cells.append(data)
        notebooks.append(
            {
                "name": str(getattr(nb, "name", "?")),
                "problem": _plain(getattr(nb, "problem", None)),
                "errors": [str(e) for e in getattr(nb, "errors", []) or []],
                "notes": [str(n) for n in getattr(nb, "notes", []) or []],
                "cells": cells,
                "extras": _extras(nb, _NOTEBOOK_FIELDS),
            }
        )
    return {"notebooks": notebooks, "extras": _extras(report, _REPORT_FIELDS)}


def flags_of(result: dict[str, Any]) -> list[dict[str, str]]:
    """Every tampering flag in a result, whichever level the grader put it at, once each."""
    found: list[dict[str, str]] = []
    seen: set[str] = set()

    def walk(where: str, extras: dict[str, Any]) -> None:
        for key, value in extras.items():
            if "flag" not in key.lower() or not value or isinstance(value, bool):
                continue
            for item in value if isinstance(value, list) else [value]:
                text = _flag_text(item)
                if text not in seen:
                    seen.add(text)
                    found.append({"where": where, "evidence": text})

    for nb in result.get("notebooks", []):  # the most precise place first
        for cell in nb.get("cells", []):
            walk(f"{nb['name']}.ipynb:{cell['grade_id']}", cell)
        walk(f"{nb['name']}.ipynb", nb.get("extras", {}))
        # the report-level list repeats these as "NAME.ipynb: evidence"
        seen |= {f"{nb['name']}.ipynb: {f['evidence']}" for f in found}
    walk("submission", result.get("extras", {}))
    return found


def _flag_text(item: Any) -> str:
    if isinstance(item, dict):
        return "; ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, "", [], {}))
    return str(item)


def grade_learner(task: dict[str, Any]) -> dict[str, Any]:
    """Grade one learner's files; never raises for a learner's fault.

    ``task``: module, learner_id, files (name -> bytes), timeout_s, source_root (str|None),
    grading_key. Returns the result dict; ``error`` is set when grading could not run at all
    (then the coordinator retries the learner on the next run).
    """
    from autograder.grading import grade_submission

    started = time.perf_counter()
    source_root = resolve_source_root(task.get("source_root"))
    result: dict[str, Any] = {
        "version": RESULT_VERSION,
        "learner_id": task["learner_id"],
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "error": None,
        "notebooks": [],
        "extras": {},
        "feedback": {},
        "autograded": {},
        "feedback_error": None,
    }
    mine = grading_key(task["module"], source_root)
    if task.get("grading_key") and mine != task["grading_key"]:
        raise SourceMismatch(
            f"worker {socket.gethostname()} has different instructor sources for "
            f"{task['module']} than the coordinator: update its repository checkout "
            "(git pull) so both grade against the same tests"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f"cohort-{task['learner_id']}-"))
    try:
        submission = tmp / "submission"
        submission.mkdir()
        for name, data in task["files"].items():
            target = submission / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        options = {} if task.get("sandboxed", True) else {"sandboxed": False}
        try:
            report = grade_submission(
                task["module"],
                submission,
                workdir=tmp / "work",
                timeout_s=task.get("timeout_s", 120),
                source_root=source_root,
                student=task["learner_id"],
                **options,
            )
        except Exception as exc:  # the assignment could not be built: not the learner's fault
            result["error"] = f"{type(exc).__name__}: {exc}"
            return result
        result.update(summarize(report))
        if any("SIGINT" in str(i) for i in getattr(report, "interruptions", []) or []):
            # Ctrl-C reached the grader: this is not the learner's score; grade again later
            result["error"] = "grading was interrupted (SIGINT); the learner is graded next run"
            result["interrupted"] = True
            return result
        for nb in getattr(report, "notebooks", []):
            path = getattr(nb, "autograded_path", None)
            if path is not None and Path(path).is_file():
                result["autograded"][nb.name] = Path(path).read_text(encoding="utf-8")
        try:
            from autograder.feedback import write_feedback

            for page in write_feedback(report, tmp / "feedback"):
                result["feedback"][page.stem] = page.read_text(encoding="utf-8")
        except Exception as exc:  # scores stand; the report says feedback is missing
            result["feedback_error"] = f"{type(exc).__name__}: {exc}"
        return result
    finally:
        result["seconds"] = time.perf_counter() - started
        shutil.rmtree(tmp, ignore_errors=True)
