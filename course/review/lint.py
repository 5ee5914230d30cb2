"""The linter as a reviewer: run the real `ruff` on each diff's new code, keep findings on added
lines, and turn rule codes into defect kinds with a mapping you choose.

One ruff process lints a whole batch of diffs (each written to its own file in a temporary
folder), because starting a process per diff costs more than the linting. `--isolated` makes
ruff ignore any configuration file around it, so the rule selection is exactly `select`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course.errors import CourseError
from course.review.diffs import Diff

# A broad selection of ruff's rule families, for discovering which codes fire on which defects:
# pycodestyle errors, pyflakes, bugbear, bandit (security), blind except.
BROAD_SELECT = ("E", "F", "B", "S", "BLE")


@dataclass(frozen=True)
class LintFinding:
    """One ruff diagnostic on an added line of a diff."""

    diff_id: str
    code: str
    line: int
    message: str


@lru_cache(maxsize=1)
def ruff_executable() -> str:
    """Path of the ruff binary: the one the `ruff` package installed, else `ruff` on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    candidates = (Path(sys.executable).parent / "ruff", shutil.which("ruff"))
    for found in candidates:
        if found and Path(found).is_file():
            return str(found)
    raise CourseError(
        "the ruff executable was not found",
        hint="install the course (`make setup`) or `pip install ruff` in this environment",
    )


def ruff_version() -> str:
    """`ruff --version`'s answer, e.g. "ruff 0.6.9" (results depend on the rule set's version)."""
    done = subprocess.run(
        [ruff_executable(), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout.strip()


def _select(select: Iterable[str]) -> str:
    codes = [select] if isinstance(select, str) else list(select)
    if not codes or not all(isinstance(c, str) and c.strip().isalnum() for c in codes):
        raise CourseError(
            f"select must list ruff rule codes or prefixes; got {select!r}",
            hint='e.g. ["S113", "S608"] or BROAD_SELECT',
        )
    return ",".join(c.strip().upper() for c in codes)


def lint_diffs(
    diffs: Sequence[Diff], select: Iterable[str] = BROAD_SELECT, *, timeout_s: float = 60.0
) -> list[list[LintFinding]]:
    """Ruff's findings on the added lines of each diff, in the order of `diffs`.

    Runs `ruff check --isolated --output-format json --select ...` once over all the diffs'
    new code. Syntax errors (code that does not parse) are not findings: they are dropped.
    """
    if not diffs:
        return []
    rules = _select(select)
    with tempfile.TemporaryDirectory(prefix="course_review_") as folder:
        for number, diff in enumerate(diffs):
            Path(folder, f"d{number:05d}.py").write_text(diff.new_code, encoding="utf-8")
        command = [
            ruff_executable(), "check", "--isolated", "--no-cache", "--exit-zero",
            "--output-format", "json", "--select", rules, folder,
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise CourseError(
                f"ruff took longer than {timeout_s:.0f} s", hint="lint fewer diffs at once"
            ) from error
        if done.returncode != 0:
            raise CourseError(f"ruff failed: {done.stderr.strip()[:300]}", hint=f"rules: {rules}")
        reports = json.loads(done.stdout or "[]")
    found: list[list[LintFinding]] = [[] for _ in diffs]
    for report in reports:
        code = report.get("code")
        number = int(Path(report["filename"]).stem[1:])
        line = int(report["location"]["row"])
        if code and line in diffs[number].added:
            found[number].append(LintFinding(diffs[number].id, code, line, report["message"]))
    return found


def kinds_from_findings(
    findings: Iterable[LintFinding], rule_to_kind: Mapping[str, str]
) -> frozenset[str]:
    """The defect kinds a diff's findings point to: each code looked up in `rule_to_kind`
    (codes not in the mapping are ignored: most of ruff's rules are not defects we label)."""
    return frozenset(rule_to_kind[f.code] for f in findings if f.code in rule_to_kind)


def lint_review(diffs: Sequence[Diff], rule_to_kind: Mapping[str, str]) -> list[frozenset[str]]:
    """The linter as a reviewer: for each diff, the kinds its mapped rules find on added lines.

    Only the codes in `rule_to_kind` are selected, so the run is as cheap as the mapping."""
    if not rule_to_kind:
        return [frozenset() for _ in diffs]
    per_diff = lint_diffs(diffs, sorted(rule_to_kind))
    return [kinds_from_findings(found, rule_to_kind) for found in per_diff]
