"""The stock instructor tools, run the way an instructor runs them from a shell.

* ``nbgrader`` from the venv's bin folder with the venv NOT on PATH, in a shell that says
  ``COURSE_PROVIDER=openai`` with a key and a base URL: a probe assignment must score full
  marks on the simulator, and a local HTTP listener standing in for the provider (also set as
  the proxy) must receive nothing. The same run with nbgrader's own Execute step shows the
  listener would have seen the request and the key.
* ``nbgrader validate`` in that shell runs on the simulator too (the course-sim kernel).
* Grading outputs are git-ignored.
* ``make lab`` (as root here, when the tests run as root) serves Formgrader on the course: its
  HTTP API lists every module, and the course and assignment lists answer without an error.
"""

from __future__ import annotations

import csv
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

import nbformat
import pytest

from autograder.paths import REPO_ROOT, modules_with_source

# nbgrader CLI calls and a Jupyter server: minutes when the machine is shared
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

VENV_BIN = REPO_ROOT / ".venv" / "bin"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"  # what a shell without the venv activated has
MODULE = "probe"


class _Listener(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict]] = []

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append(
            {"line": self.requestline, "auth": self.headers.get("Authorization", ""), "body": body}
        )
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": {"message": "recorded by the test listener"}}')

    do_GET = do_POST = do_CONNECT = _record

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def listener():
    _Listener.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Listener.seen
    finally:
        server.shutdown()
        server.server_close()


def _cell(kind: str, source: str, grade_id: str, *, points: int = 0, solution: bool = False):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.metadata["nbgrader"] = {
        "grade": bool(points), "grade_id": grade_id, "locked": not solution,
        "schema_version": 3, "solution": solution, "task": False,
        **({"points": points} if points else {}),
    }  # fmt: skip
    return cell


def probe_notebook(instructor_home: Path) -> nbformat.NotebookNode:
    """Asks the course client for one reply, then checks where it came from (4 points)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.cells = [
        _cell("markdown", "# Probe\nAsk the model once.", "intro"),
        _cell(
            "code",
            "import os\nfrom course.llm import Client\n\nclient = Client(feature='probe')\n"
            "### BEGIN SOLUTION\nreply = client.complete('Say hello in one word.')\n"
            "### END SOLUTION",
            "ask",
            solution=True,
        ),
        _cell("code", "assert client.settings.provider == 'sim'", "t_sim", points=1),
        _cell("code", "assert reply.text", "t_reply", points=1),
        _cell("code", "assert not os.environ.get('OPENAI_API_KEY')", "t_no_key", points=1),
        _cell(
            "code",
            f"assert os.environ.get('COURSE_HOME') not in (None, {str(instructor_home)!r})",
            "t_scratch_home",
            points=1,
        ),
    ]
    return nb


def nbgrader(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "nbgrader"), *args],
        cwd=REPO_ROOT,  # the root nbgrader_config.py is found from here, as in a shell
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def hostile_shell(tmp: Path, url: str, key: str) -> dict[str, str]:
    """An instructor's shell: no venv on PATH, a real provider chosen, a key exported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "VIRTUAL_ENV"))}
    env.update(
        PATH=SYSTEM_PATH,
        HOME=str(tmp / "home"),
        COURSE_HOME=str(tmp / "instructor-course-home"),
        COURSE_PROVIDER="openai",
        OPENAI_API_KEY=key,
        COURSE_BASE_URL=f"{url}/v1",
        HTTP_PROXY=url,
        HTTPS_PROXY=url,
        http_proxy=url,
        https_proxy=url,
        NO_PROXY="",
        TMPDIR=str(tmp / "tmp"),  # the kernels' scratch homes are made here
    )
    (tmp / "home").mkdir(exist_ok=True)
    (tmp / "tmp").mkdir(exist_ok=True)
    return env


def scores(path: Path) -> dict[str, float]:
    with path.open() as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


def test_nbgrader_cli_without_the_venv_grades_on_the_simulator_whatever_the_shell_says(
    tmp_path, listener
):
    url, seen = listener
    key = "sk-test-" + secrets.token_hex(12)
    course = tmp_path / "course"
    env = hostile_shell(tmp_path, url, key)
    source = course / "source" / MODULE
    source.mkdir(parents=True)
    nbformat.write(probe_notebook(tmp_path / "instructor-course-home"), source / "probe.ipynb")
    root = f"--CourseDirectory.root={course}"

    made = nbgrader(["generate_assignment", MODULE, root, "--force"], env)
    assert made.returncode == 0, made.stderr[-3000:]
    assert "alembic" not in made.stderr
    for learner in ("ada", "bo"):
        shutil.copytree(source, course / "submitted" / learner / MODULE)
    graded = nbgrader(["autograde", MODULE, root, "--force"], env)
    assert graded.returncode == 0, graded.stderr[-3000:]
    exported = nbgrader(["export", root, "--to", str(tmp_path / "grades.csv")], env)
    assert exported.returncode == 0, exported.stderr[-3000:]

    assert scores(tmp_path / "grades.csv") == {"ada": 4.0, "bo": 4.0}
    assert seen == []  # nothing left for the provider, directly or through the proxy
    assert not (tmp_path / "instructor-course-home").exists()  # no trace in their store
    written = [p for p in course.rglob("*") if p.is_file()] + [tmp_path / "grades.csv"]
    assert not any(key in p.read_text(errors="replace") for p in written)
    # each kernel's scratch home (and trace store) is gone once the kernel stops
    assert not list((tmp_path / "tmp").iterdir())

    # Control: nbgrader's own Execute step in the same shell reaches the "provider" with the
    # key, and the probe notices, so the zero above is a real measurement.
    stock = [
        "nbgrader.preprocessors.Execute",
        "nbgrader.preprocessors.SaveAutoGrades",
    ]
    control = nbgrader(
        ["autograde", MODULE, root, "--force", "--student", "ada",
         *[f"--Autograde.autograde_preprocessors={step}" for step in stock]],
        env,
    )  # fmt: skip
    assert control.returncode == 0, control.stderr[-3000:]
    nbgrader(["export", root, "--to", str(tmp_path / "control.csv")], env)
    assert scores(tmp_path / "control.csv")["ada"] == 0.0
    assert any(key in request["auth"] for request in seen), seen


def test_nbgrader_validate_runs_on_the_simulator_whatever_the_shell_says(tmp_path, listener):
    url, seen = listener
    key = "sk-test-" + secrets.token_hex(12)
    env = hostile_shell(tmp_path, url, key)
    notebook = tmp_path / "work" / "probe.ipynb"
    notebook.parent.mkdir()
    nbformat.write(probe_notebook(tmp_path / "instructor-course-home"), notebook)

    checked = nbgrader(["validate", str(notebook)], env)
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert "Success! Your notebook passes all the tests." in checked.stdout, checked.stdout
    assert seen == []
    assert not (tmp_path / "instructor-course-home").exists()
    assert not list((tmp_path / "tmp").iterdir())  # the kernel's scratch home is gone
    assert key not in checked.stdout + checked.stderr
    # No control run here (CI time): the probe's own tests assert the simulator, no key and a
    # scratch home inside the kernel, and the autograde control above shows the shell's
    # settings do reach a kernel started the stock way.


def test_grading_outputs_are_git_ignored():
    outputs = [
        "grades.csv",  # nbgrader export from the repository root
        "autograder/grades.csv",  # ... or from autograder/
        "autograder/gradebook.db",
        "autograder/.nbgrader.log",
        "autograder/exchange/course/outbound/x.ipynb",
        "autograder/release/module1_llm_features/x.ipynb",
        "autograder/submitted/ada/module1_llm_features/x.ipynb",
        "autograder/autograded/ada/module1_llm_features/x.ipynb",
        "autograder/feedback/ada/module1_llm_features/x.html",
        "grading/module1_llm_features/report.html",
        ".nbgrader.log",
    ]
    kept = ["autograder/nbgrader_config.py", "nbgrader_config.py", "autograder/source/x.ipynb"]
    found = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=REPO_ROOT, input="\n".join(outputs + kept), capture_output=True, text=True,
    )  # fmt: skip
    ignored = set(found.stdout.split())
    assert ignored == set(outputs), (set(outputs) - ignored, ignored & set(kept))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_make_lab_serves_formgrader_on_the_course_as_root_too(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTER"))}
    env.update(PATH=SYSTEM_PATH, HOME=str(tmp_path))
    args = (
        f"--no-browser --port={port} --IdentityProvider.token={token} "
        # the test's gradebook, so the shared checkout's autograder/gradebook.db is untouched
        f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"
    )
    log = (tmp_path / "lab.log").open("w")
    # -o: the venv exists; never let a test reinstall it
    lab = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "lab", f"LAB_ARGS={args}"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert lab.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                status = _get(f"{base}/formgrader/api/status", token)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()[-3000:]
                time.sleep(1)
        assert status == {"status": True}
        assignments = _get(f"{base}/formgrader/api/assignments", token)
        names = {a["name"] for a in assignments}
        assert set(modules_with_source()) <= names, names
        assert all(a["source_path"].startswith("source/") for a in assignments)
        courses = _get(f"{base}/formgraders", token)
        assert courses["success"] and [c["kind"] for c in courses["value"]] == ["local"]
        for panel in ("courses", "assignments?course_id="):  # the Assignments panel
            answer = _get(f"{base}/{panel}", token)
            assert answer["success"] is True, answer
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()
        log.close()
    text = (tmp_path / "lab.log").read_text()
    assert "Running as root is not recommended" not in text
    if os.geteuid() == 0:
        assert "warning: running Jupyter as root" in text
    assert (tmp_path / "gradebook.db").is_file()  # Formgrader read the course through it
