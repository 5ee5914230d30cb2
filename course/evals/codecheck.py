"""code_check: does model-written Python parse, and does it pass its tests?

Model-written code is never run in this process: here it could read your variables, your
API keys and your files, or hang the notebook. It runs in a child Python process with an
empty environment, a throw-away working folder and a time limit.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from course.evals.scorers import NO_OUTPUT, Score

# Runs first in the child: refuse network connections and DNS, then run the script.
_GUARD = """\
import runpy, socket, sys
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled inside code_check")
socket.socket.connect = socket.socket.connect_ex = _no_network
socket.create_connection = socket.getaddrinfo = _no_network
runpy.run_path(sys.argv[1], run_name="__main__")
"""
SCRIPT = "candidate.py"
_FRAME = re.compile(rf'File ".*{re.escape(SCRIPT)}", line (\d+)')


def code_check(output: Any, tests: str | None = None, *, timeout_s: float = 10.0) -> Score:
    """Pass when `output` is Python source that parses and, if `tests` are given, passes them.

    Parsing uses ast.parse, which executes nothing. `tests` are plain `assert` statements;
    source + tests run as one script in a child process started with `python -I -X utf8`
    (isolated: no user site-packages, PYTHON* variables ignored), with only PATH and HOME
    in its environment (so no API keys), a fresh temporary folder as working directory,
    socket connections and DNS lookups disabled, and a kill after `timeout_s` seconds.
    The tests must reach their end: code that calls sys.exit(0) early fails.

    This guards against accidents, not attacks: hostile code can undo the socket guard or
    read files your user can read. Grade untrusted code inside a container.
    """
    if output is None:
        return NO_OUTPUT
    source = str(output)
    if not source.strip():
        return Score.verdict(False, "empty source")
    try:
        ast.parse(source)
    except SyntaxError as error:
        return Score.verdict(False, f"syntax error, line {error.lineno}: {error.msg}")
    except (ValueError, RecursionError) as error:  # null bytes; absurdly deep nesting
        return Score.verdict(False, f"cannot parse: {error}")
    if not tests or not tests.strip():
        return Score.verdict(True, "parses (no tests given)")
    return _run_tests(source, tests, timeout_s)


def _run_tests(source: str, tests: str, timeout_s: float) -> Score:
    finished = f"code_check finished {secrets.token_hex(8)}"
    source = source if source.endswith("\n") else source + "\n"
    script = f"{source}{tests.rstrip()}\nprint({finished!r})\n"
    with tempfile.TemporaryDirectory(prefix="code_check_") as folder:
        Path(folder, SCRIPT).write_text(script, encoding="utf-8")
        command = [sys.executable, "-I", "-X", "utf8", "-c", _GUARD, SCRIPT]
        environment = {"PATH": os.defpath, "HOME": folder, "TMPDIR": folder}
        if "SYSTEMROOT" in os.environ:  # Windows cannot start Python without it
            environment["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
        with subprocess.Popen(
            command,
            cwd=folder,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout kills children too
        ) as child:
            try:
                stdout, stderr = child.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill(child)
                child.communicate()
                return Score.verdict(False, f"timed out after {timeout_s:g} s")
    out = stdout.decode("utf-8", errors="replace")
    err = stderr.decode("utf-8", errors="replace")
    if child.returncode == 0 and finished in out:
        return Score.verdict(True, "tests passed")
    if child.returncode == 0:
        return Score.verdict(False, "exited before the tests finished (sys.exit in the code?)")
    summary = failure_summary(err, source_lines=source.count("\n"))
    return Score.verdict(False, summary or f"exit status {child.returncode}")


def _kill(child: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
    except ProcessLookupError:
        pass  # it finished on its own in the meantime


def failure_summary(stderr: str, source_lines: int) -> str:
    """The last error of a traceback, with the script line that raised it when known:
    'test line 1: assert add(2, 2) == 5 -> AssertionError'. The script is the source's
    `source_lines` lines followed by the tests, so line numbers are given in each part."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    error = lines[-1].strip()
    for index in range(len(lines) - 1, -1, -1):
        frame = _FRAME.search(lines[index])
        if frame is None:
            continue
        number = int(frame.group(1))
        in_source = number <= source_lines
        where = f"source line {number}" if in_source else f"test line {number - source_lines}"
        code = lines[index + 1].strip() if index + 1 < len(lines) - 1 else ""
        return f"{where}: {code} -> {error}" if code else f"{where} -> {error}"
    return error
