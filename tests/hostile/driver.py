"""Run the instructor's command, ``python -m autograder ... check``, and keep its GradeReport.

    python tests/hostile/driver.py REPORT.json -- --source-root SRC check MODULE --path DIR
    python tests/hostile/driver.py REPORT.json -- --source-root SRC grade-reference MODULE
    python tests/hostile/driver.py --serve     (a fork server running many such jobs)

This is exactly `python -m autograder` (same argument parsing, same check_command, same
feedback pages and terminal report); the only addition is that the GradeReport that
check_command (or grade-reference) receives is also written to REPORT.json, so the corpus can
read scores and flags
without parsing the terminal table. Every public attribute and property of the report, its
notebooks and its cells is kept, so fields the grader adds later (flags, sandbox notes) come
along without changes here.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from pathlib import Path
from typing import Any


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-friendly copy of a report object: dataclass fields plus public properties."""
    if depth > 8:
        return repr(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, depth + 1) for v in value]
    if dataclasses.is_dataclass(value) or hasattr(value, "__dict__"):
        out: dict[str, Any] = {}
        names = []
        if dataclasses.is_dataclass(value):
            names += [f.name for f in dataclasses.fields(value)]
        if hasattr(value, "__dict__"):
            names += [n for n in vars(value) if not n.startswith("_")]
        names += [
            n
            for n in dir(type(value))
            if not n.startswith("_") and isinstance(getattr(type(value), n, None), property)
        ]
        for name in dict.fromkeys(names):
            try:
                out[name] = plain(getattr(value, name), depth + 1)
            except Exception as exc:  # a property that fails is itself worth seeing
                out[name] = f"<error {exc!r}>"
        out["__type__"] = type(value).__name__
        return out
    return repr(value)


def run_cli(report_path: Path, argv: list[str]) -> int:
    """`python -m autograder *argv`, keeping the GradeReport in ``report_path``."""
    import autograder.__main__ as cli

    def keeping(original: Any) -> Any:
        def grade_and_keep(*args: Any, **kwargs: Any) -> Any:
            report = original(*args, **kwargs)
            try:
                report_path.write_text(json.dumps(plain(report), indent=1))
            except Exception as exc:  # the corpus reports a missing report; say why here
                print(f"driver: could not save the report: {exc!r}", file=sys.stderr)
            return report

        return grade_and_keep

    cli.grade_submission = keeping(cli.grade_submission)
    cli.grade_reference = keeping(cli.grade_reference)
    return cli.main(argv)


def serve() -> int:
    """A fork server: import the grader once, then one forked process per job.

    Each grading otherwise spends most of its CPU importing nbgrader. Jobs are JSON lines on
    stdin ({"id", "report", "argv", "env", "cwd", "stdout", "stderr"}); for each the server
    prints {"id", "pid"} when the child starts (its own session, so it can be killed as a group)
    and {"id", "rc"} when it ends. Single-threaded, so forking is safe. The child's command line
    is this server's: attacks that read the grader's argv from /proc see less than with the real
    command, so the corpus runs those cases as plain processes.
    """
    import os
    import select

    # What every job needs, imported once.
    import autograder.__main__
    import autograder.feedback
    import autograder.grading  # noqa: F401
    import course.config  # noqa: F401

    children: dict[int, str] = {}
    stdin_open = True
    pending = b""

    def say(message: dict) -> None:
        os.write(1, (json.dumps(message) + "\n").encode())

    while stdin_open or children:
        ready, _, _ = select.select([0] if stdin_open else [], [], [], 0.05)
        lines: list[bytes] = []
        if ready:
            chunk = os.read(0, 1 << 16)
            stdin_open = bool(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                job = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    rc = 70
                    try:
                        os.setsid()
                        os.chdir(job["cwd"])
                        os.environ.clear()
                        os.environ.update(job["env"])
                        for fd, name in ((1, "stdout"), (2, "stderr")):
                            out = os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                            os.dup2(out, fd)
                        devnull = os.open(os.devnull, os.O_RDONLY)
                        os.dup2(devnull, 0)
                        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
                        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                        sys.stdin = open(0, closefd=False)  # noqa: SIM115
                        rc = run_cli(Path(job["report"]), job["argv"])
                        sys.stdout.flush()
                        sys.stderr.flush()
                    except SystemExit as exc:
                        rc = exc.code if isinstance(exc.code, int) else 1
                    except BaseException:
                        import traceback

                        traceback.print_exc()
                        sys.stderr.flush()
                    os._exit(rc)
                children[pid] = job["id"]
                say({"id": job["id"], "pid": pid})
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid in children:
                say({"id": children.pop(pid), "rc": os.waitstatus_to_exitcode(status)})
    return 0


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        return serve()
    argv = sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    return run_cli(Path(sys.argv[1]), argv)


if __name__ == "__main__":
    sys.exit(main())
