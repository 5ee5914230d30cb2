"""nbgrader preprocessors that decide scores outside the kernel.

``GuardedExecute`` replaces nbgrader's Execute. It runs the notebook cell by cell as nbgrader
does, and around every test cell it asks the kernel for its state (autograder.kernel_check) and
compares the answer with the baseline taken before the first cell. It records a verdict per test
cell in ``resources["autograder"]``: a test cell passes only when its execute_reply says "ok",
it produced no error output, it did not time out, and the kernel was untouched before and after
it. Output on stderr (warnings, progress bars) does not matter; neither does an execute_result
(nbgrader would read it as partial credit). Once the kernel is found tampered, dead, hung or
out of time, no further cell runs: the rest score 0 with the reason. What the kernel's audit
hook reported (contained attempts to reach outside) becomes "sandbox audit" flags at the end,
except what the course's own cells did (a plain cell of the release that starts the gate CLI).

``TrustedSaveAutoGrades`` replaces nbgrader's SaveAutoGrades: it writes those verdicts (clamped
to [0, max]) to the gradebook, never a manual score for an autograded cell, and saves the whole
record as JSON in the grader's own folder for the report.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import time
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets import Float, Integer, List, Unicode

from autograder import kernel_check

BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
TIMEOUT_ENAME = "CellTimeoutError"
NOT_RUN_ENAME = "NotRun"
CHECK_TIMEOUT_S = 30.0


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test_cell(cell: NotebookNode) -> bool:
    """A code cell nbgrader scores automatically (grade, not solution)."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _error(ename: str, evalue: str) -> NotebookNode:
    traceback = [f"{ename}: {evalue}"]
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=traceback)


class GuardedExecute(Execute):
    """Execute with a kernel-state check around test cells and verdicts decided here."""

    cell_timeout = Integer(120, help="seconds per cell").tag(config=True)
    deadline = Float(0.0, help="time.monotonic() by which the whole submission must end").tag(
        config=True
    )
    install_roots = List(Unicode(), help="read-only roots of installed code").tag(config=True)
    hold_after_cell = Integer(
        0, help="1-based cell index of a severe static finding: later test cells are held"
    ).tag(config=True)
    hold_reason = Unicode("").tag(config=True)
    course_cells = List(
        Unicode(), help="code names (kernel_audit.cell_code_name) of the course's own cells"
    ).tag(config=True)
    max_cell_chars = Integer(20_000, help="output characters kept per cell").tag(config=True)
    max_notebook_chars = Integer(200_000, help="output characters kept per notebook").tag(
        config=True
    )

    def __init__(self, **kwargs: Any) -> None:
        from autograder.sandbox import SandboxKernelManager

        # nbgrader's Execute passes AsyncKernelManager as an argument, which beats config.
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(**kwargs)

    def preprocess(self, nb: NotebookNode, resources: dict, km: Any = None) -> tuple:
        self._record: dict[str, Any] = {"cells": {}, "flags": [], "held": [], "stopped": None}
        self._baseline: dict | None = None
        self._held_reason: str | None = None
        self._notebook_chars = 0
        self._answered: dict[str, str] = {}  # msg_id -> the cell (or check) it answered
        self._forged: list[str] = []
        self._km: Any = None
        resources["autograder"] = self._record
        try:
            return super().preprocess(nb, resources, km)
        except Exception as exc:  # kernel start or shutdown failed: what ran is kept
            self._stop(f"the kernel failed: {type(exc).__name__}: {exc}"[:300])
            for cell in nb.cells:
                if is_test_cell(cell) and _grade_id(cell) not in self._record["cells"]:
                    self._verdict(cell, False, f"not run: {self._record['stopped']}")
            return nb, resources
        finally:
            self._audit_flags()

    def create_kernel_manager(self) -> Any:
        self._km = super().create_kernel_manager()
        return self._km

    def _audit_flags(self) -> None:
        """What the kernel's audit hook reported: contained attempts, as evidence."""
        channel = getattr(self._km, "audit", None)
        if channel is None:
            return
        for line in channel.finish(trusted_cells=frozenset(self.course_cells)):
            flag = f"sandbox audit: {line}"
            if flag not in self._record["flags"]:
                self._record["flags"].append(flag)

    # -- per cell -------------------------------------------------------------------------

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple:
        if cell.cell_type != "code":
            return cell, resources
        test = is_test_cell(cell)
        label = _grade_id(cell) or f"cell {index + 1}"
        if self._record["stopped"] is None and self._baseline is None:
            if hasattr(self._km, "lock_run_dir"):
                self._km.lock_run_dir()  # the kernel is up: its sockets exist
            self._baseline = self._state(CHECK_TIMEOUT_S)
            if self._baseline is None:
                self._stop("the kernel did not answer the grader's first state check")
        if self._record["stopped"] is None and time.monotonic() >= self.deadline > 0:
            self._stop("the submission ran out of its total time limit")
        if self._record["stopped"] is None and test:
            self._check_state(f"before {label}")
        if self._record["stopped"] is not None:
            cell.outputs = [_error(NOT_RUN_ENAME, f"not run: {self._record['stopped']}")]
            if test:
                self._verdict(cell, False, f"not run: {self._record['stopped']}")
            return cell, resources

        self._cell_chars = 0
        self._cell_truncated = False
        self._reply_status: str | None = None
        self.timeout = self._cell_budget()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            died = "the kernel died while running this cell"
            cell.outputs.append(_error("DeadKernelError", died))
            self._stop(f"the kernel died in {label} (killed, crashed or out of memory)")
        except CellTimeoutError:
            cell.outputs.append(_error(TIMEOUT_ENAME, f"no output from the kernel in {label}"))
            self._stop(f"the kernel stopped answering in {label}")
        except Exception as exc:  # anything nbclient raises ends the run, never the report
            cell.outputs.append(_error(type(exc).__name__, str(exc)[:300]))
            self._stop(f"running {label} failed: {type(exc).__name__}")
        timed_out = self._timed_out(cell)
        if timed_out:
            self._readable_timeout(cell, label)
            if self._record["stopped"] is None and self._state(10.0) is None:
                self._stop(f"the kernel stopped answering after the time limit in {label}")
        if test:
            after_ok = self._record["stopped"] is None and self._check_state(f"during {label}")
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            if self._reply_status != "ok" or errors or timed_out or not after_ok:
                reason = "timed out" if timed_out else self._failure(errors, after_ok)
                self._verdict(cell, False, reason)
            elif self._held_reason:
                self._verdict(cell, False, f"held for a person: {self._held_reason}", held=True)
            elif 0 < self.hold_after_cell <= index:
                self._verdict(cell, False, f"held for a person: {self.hold_reason}", held=True)
            else:
                self._verdict(cell, True, None)
        return cell, resources

    def on_cell_executed(self, **kwargs: Any) -> None:
        reply = kwargs["execute_reply"]
        self._reply_status = reply["content"].get("status")
        parent = reply.get("parent_header", {}).get("msg_id")
        if parent:
            self._answered[parent] = _grade_id(kwargs["cell"]) or "a cell"
        super().on_cell_executed(**kwargs)

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        """Keep at most max_cell_chars per cell and max_notebook_chars per notebook."""
        if msg["msg_type"] == "error":  # always kept, trimmed: the verdict needs it
            content = msg.get("content", {})
            content["ename"] = str(content.get("ename", "Error"))[:100]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(t)[:2000] for t in content.get("traceback", [])[-40:]]
            return super().output(outs, msg, display_id, cell_index)
        size = len(json.dumps(msg.get("content", {}), default=str))
        over_cell = self._cell_chars + size > self.max_cell_chars
        if over_cell or self._notebook_chars + size > self.max_notebook_chars:
            if not self._cell_truncated:
                self._cell_truncated = True
                outs.append(
                    NotebookNode(output_type="stream", name="stdout", text="\n[output truncated]\n")
                )
            return None
        self._cell_chars += size
        self._notebook_chars += size
        return super().output(outs, msg, display_id, cell_index)

    # -- helpers --------------------------------------------------------------------------

    def _cell_budget(self) -> int:
        if self.deadline <= 0:
            return self.cell_timeout
        left = self.deadline - time.monotonic()
        return max(1, min(self.cell_timeout, int(left) + 1))

    def _timed_out(self, cell: NotebookNode) -> bool:
        return any(o.get("ename") == TIMEOUT_ENAME for o in cell.outputs if "ename" in o)

    def _readable_timeout(self, cell: NotebookNode, label: str) -> None:
        for output in cell.outputs:
            if output.get("ename") == TIMEOUT_ENAME:
                output.evalue = f"{label} did not finish within {self.timeout} s"
                output.traceback = [f"{TIMEOUT_ENAME}: {output.evalue}"]

    @staticmethod
    def _failure(errors: list, after_ok: bool) -> str:
        if not after_ok:
            return "the kernel was tampered with while it ran"
        if errors:
            ename = str(errors[-1].get("ename", ""))
            evalue = str(errors[-1].get("evalue", ""))
            if ename == "OSError" and evalue.startswith(("[Errno 28]", "[Errno 122]")):
                return "ran out of disk space (the kernel's folders have a size limit)"
            if ename == "OSError" and evalue.startswith("[Errno 27]"):
                return "wrote a file over the size limit"
            # A learner's exception class name is free text: only built-in names are repeated.
            return f"raised {ename}" if ename in BUILTIN_EXCEPTIONS else "raised an exception"
        return "the kernel reported an error"

    def _verdict(self, cell: NotebookNode, passed: bool, reason: str | None, held: bool = False):
        self._record["cells"][_grade_id(cell)] = {"passed": passed, "reason": reason, "held": held}

    def _stop(self, reason: str) -> None:
        if self._record["stopped"] is None:
            self._record["stopped"] = reason

    def _check_state(self, when: str) -> bool:
        """True when the kernel is as the baseline; otherwise flags, and stops on tampering."""
        current = self._state(CHECK_TIMEOUT_S)
        if self._forged:
            forged = sorted(set(self._forged))
            self._record["flags"].append(f"{when}: a second execute_reply came for {forged}")
            for grade_id in forged:
                if grade_id in self._record["cells"]:
                    self._record["cells"][grade_id] = {
                        "passed": False,
                        "reason": "its reply was forged",
                        "held": False,
                    }
            self._forged.clear()
            self._stop(f"the kernel forged a reply ({when})")
            return False
        if current is None or self._baseline is None:
            self._record["flags"].append(f"{when}: the kernel did not answer the state check")
            self._stop(f"the kernel was tampered with ({when})")
            return False
        if current.get("channel") is False:
            self._record["flags"].append(f"{when}: the kernel's audit channel was cut")
            self._stop(f"the kernel was tampered with ({when})")
            return False
        verdict = kernel_check.compare(self._baseline, current)
        for line in verdict.suspect:
            if line not in self._record["held"]:
                self._record["held"].append(line)
                self._record["flags"].append(f"{when}: {line}")
                self._held_reason = line
        if verdict.tampered:
            self._record["flags"] += [f"{when}: {line}" for line in verdict.tampered[:20]]
            self._stop(f"the kernel was tampered with ({when})")
            return False
        return True

    def _state(self, timeout: float) -> dict | None:
        nonce = kernel_check.new_nonce()
        expr = kernel_check.expression(nonce, list(self.install_roots))
        start = time.monotonic()
        try:
            text = run_sync(self._evaluate)(expr, timeout)
        except Exception:
            text = None
        finally:
            spent = self._record.get("check_seconds", 0.0) + time.monotonic() - start
            self._record["check_seconds"] = round(spent, 3)
            self._record["checks"] = self._record.get("checks", 0) + 1
        answer = None if text is None else kernel_check.parse_answer(text, nonce)
        channel = getattr(self._km, "audit", None)
        if answer is not None and channel is not None:
            # The hook echoes the check's nonce through its pipe: silence means it was cut.
            answer["channel"] = channel.saw_check(nonce)
        return answer

    async def _evaluate(self, expr: str, timeout: float) -> str | None:
        """Evaluate ``expr`` as a user expression of an empty, silent execute; its value.

        Replies to requests already answered are forgeries (a kernel that signs an early "ok"
        for a failing test cell): they are recorded as tampering and fail that cell.
        """
        assert self.kc is not None
        msg_id = self.kc.execute(
            "", silent=True, store_history=False, user_expressions={"s": expr}, allow_stdin=False
        )
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                reply = await self.kc.get_shell_msg(timeout=left)
            except Empty:
                return None
            parent = reply["parent_header"].get("msg_id")
            if parent in self._answered:
                self._forged.append(self._answered[parent])
                continue
            if parent != msg_id:
                continue
            self._answered[msg_id] = "the grader's state check"
            value = reply["content"].get("user_expressions", {}).get("s", {})
            if value.get("status") != "ok":
                return None
            try:
                text = ast.literal_eval(value.get("data", {}).get("text/plain", ""))
            except (ValueError, SyntaxError):
                return None
            return text if isinstance(text, str) else None


class TrustedSaveAutoGrades(SaveAutoGrades):
    """Write the grader's verdicts to the gradebook and to ``record_path`` (JSON)."""

    record_path = Unicode("", help="where the verdicts of this notebook are saved").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple:
        record = resources.setdefault(
            "autograder", {"cells": {}, "flags": [], "held": [], "stopped": "not executed"}
        )
        record["manual"] = {}
        self._autograder = record
        nb, resources = super().preprocess(nb, resources)
        if self.record_path:
            Path(self.record_path).write_text(json.dumps(record, indent=1, sort_keys=True))
        return nb, resources

    def _add_score(self, cell: NotebookNode, resources: dict) -> None:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        try:
            grade = self.gradebook.find_grade(
                grade_id, self.notebook_id, self.assignment_id, self.student_id
            )
        except MissingEntry:  # a graded cell the source does not have: it earns nothing
            self._autograder["flags"].append(f"graded cell {grade_id!r} is not in the source")
            return
        max_points = float(cell.metadata["nbgrader"]["points"])
        grade.manual_score = None  # a fresh gradebook: nothing manual can be true yet
        if is_test_cell(cell):
            verdict = self._autograder["cells"].get(grade_id) or {"passed": False}
            score = max_points if verdict.get("passed") else 0.0
            grade.auto_score = min(max(score, 0.0), max_points)
            grade.needs_manual_grade = bool(verdict.get("held"))
        else:
            auto_score, _ = utils.determine_grade(cell, self.log)
            grade.auto_score = None if auto_score is None else min(max(auto_score, 0.0), max_points)
            grade.needs_manual_grade = auto_score is None
            self._autograder["manual"][grade_id] = {"answered": auto_score is None}
        with contextlib.suppress(Exception):
            self.gradebook.db.commit()

    def _add_comment(self, cell: NotebookNode, resources: dict) -> None:
        with contextlib.suppress(MissingEntry):
            super()._add_comment(cell, resources)
