"""The hostile corpus (tests/hostile/cases): submissions built to cheat, leak or break the grader.

Every case is graded once, through the instructor's command (``python -m autograder check``, run
by tests/hostile/driver.py, which also keeps the GradeReport; a fork server imports the grader
once and forks one process per case), and held to the rules of issue 8:

* every run ends with a report (exit 0, a score table, a GradeReport);
* no score above the case's honest baseline unless the report flags the submission; an
  autograded cell waits for a person only in a flagged notebook, and every score stays in
  [0, max];
* nothing leaks into the feedback pages, the terminal or the report: hidden tests and solutions
  of the fixtures and of autograder/source, a neighbour's answer, the fake OPENAI_API_KEY the
  grader is given;
* no change to the instructor's sources, the repository, the venv or the learner's own folder;
* no process outlives grading, nothing is written after it (checked again after a pause for the
  cases that try), no connection reaches a listener on the host;
* learner output is escaped in HTML and control characters never reach the terminal.

The honest anchors must score exactly their honest score, unflagged: the reference solutions
full marks, the untouched release 0, a correct answer that warns and draws a tqdm bar full marks.
test_tampering_is_flagged asks, separately, that tampering the issue says the grader checks for
(kernel state and static scan) is flagged for a person; test_no_points_from_tampering_even_when_
flagged asks what the issue asks of a flagged notebook: it keeps only its honest points.

Cases run three at a time (HOSTILE_WORKERS) in one session-scoped fixture; only the selected
cases run. HOSTILE_SUMMARY=path.jsonl writes one line per case with its outcome;
HOSTILE_GRADER_PATH=DIR grades with the autograder package in DIR instead (e.g. an older commit,
to show each attack is real); HOSTILE_FORK_SERVER=0 starts a process per case.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO / "tests" / "hostile"
CASES_DIR = HOSTILE / "cases"
DRIVER = HOSTILE / "driver.py"
SOURCES = {
    "fixture_module": REPO / "tests" / "fixtures" / "source",
    "calc_module": HOSTILE / "fixture_source",
}
MAX_SCORE = {"fixture_module": 4.0, "calc_module": 7.0}
# Hashed before and after each case. autograder/source is not: other people edit it while the
# corpus runs; writes there are caught by the marker files the attacks try to create instead.
WATCHED = list(SOURCES.values())

FAKE_SECRETS = {
    "OPENAI_API_KEY": "sk-hostile-canary-" + "7" * 24,
    "ANTHROPIC_API_KEY": "sk-ant-hostile-canary-" + "5" * 20,
    "HOSTILE_INSTRUCTOR_TOKEN": "instructor-token-canary-" + "3" * 16,
}
FIXED_NEEDLES = [
    "SECRET-LINE",  # the fixture's hidden test line
    "squares(6)[-1]",
    "So a solution cannot be fitted",  # the fixture's model written answer
    "HIDDEN-CANARY-CALC",
    "SOLUTION-CANARY-CALC",
    "mean([10, 20, 30, 41])",
    *FAKE_SECRETS.values(),
]
REFERENCE = Path("grade-reference")  # stands for "grade the solutions with grade-reference"
PERSIST_WAIT_S = 1.5
HARNESS_TIMEOUT_S = 75
WORKERS = int(os.environ.get("HOSTILE_WORKERS", "3"))
FORK_SERVER = os.environ.get("HOSTILE_FORK_SERVER", "1") != "0"
FEEDBACK_CAP = 10 * 1024**2
TERMINAL_CAP = 1024**2
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def case_names() -> list[str]:
    return sorted(p.parent.name for p in CASES_DIR.glob("*/case.json"))


def load_case(name: str) -> dict:
    return json.loads((CASES_DIR / name / "case.json").read_text())


def repo_hidden_lines() -> list[str]:
    """Distinctive lines of the hidden tests and solutions in autograder/source: never shown."""
    hidden_lines: list[str] = []
    solution_lines: list[str] = []
    for path in sorted((REPO / "autograder" / "source").glob("*/*.ipynb")):
        with contextlib.suppress(Exception):  # a source being edited right now is skipped
            for cell in nbformat.read(path, as_version=4).cells:
                region = None
                for line in cell.source.splitlines():
                    if "BEGIN HIDDEN TESTS" in line or "BEGIN SOLUTION" in line:
                        region = hidden_lines if "HIDDEN" in line else solution_lines
                    elif "END HIDDEN TESTS" in line or "END SOLUTION" in line:
                        region = None
                    elif region is not None and len(line.strip()) >= 45:
                        region.append(line.strip())
    return hidden_lines[:60] + solution_lines[:: max(1, len(solution_lines) // 60)][:60]


def tree_digest(root: Path) -> dict[str, str]:
    """path -> sha256 of every file (or symlink target) under root, without following links."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def processes_with(marker: str) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append((int(entry.name), cmdline.strip()[:160]))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:  # only processes carrying this run's marker: started by this test
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class _Listener:
    """A TCP listener on 127.0.0.1 and Unix listeners (path and abstract) that record contacts."""

    def __init__(self, unix_path: str) -> None:
        self.hits: list[str] = []
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.port = self.tcp.getsockname()[1]
        self.unix_path = unix_path
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(unix_path)
        os.chmod(unix_path, 0o777)
        self.unix.listen(8)
        self.abstract = socket.socket(socket.AF_UNIX)
        self.abstract.bind("\0" + unix_path)
        self.abstract.listen(8)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve, args=(s, label), daemon=True)
            for s, label in ((self.tcp, "tcp"), (self.unix, "unix"), (self.abstract, "abstract"))
        ]
        for thread in self._threads:
            thread.start()

    def _serve(self, sock: socket.socket, label: str) -> None:
        sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.hits.append(label)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(1)
        for sock in (self.tcp, self.unix, self.abstract):
            sock.close()
        Path(self.unix_path).unlink(missing_ok=True)


@dataclass
class Run:
    """Everything one grading of one case left behind."""

    case: dict
    marker: str
    rc: int | None = None  # None: the harness had to kill a hung grader
    stdout: str = ""
    stderr: str = ""
    report: dict | None = None
    feedback: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    wall: float = 0.0
    survivors: list[str] = field(default_factory=list)
    late_files: list[str] = field(default_factory=list)
    feedback_changed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def texts(self) -> dict[str, str]:
        """Everything a learner or an instructor reads: where nothing may leak."""
        out = {"stdout": self.stdout, "stderr": self.stderr}
        out["report"] = json.dumps(self.report) if self.report else ""
        for name, page in self.feedback.items():
            out[f"feedback {name}"] = page
            out[f"feedback {name} (unescaped)"] = html.unescape(page)
        return out


class ForkServer:
    """tests/hostile/driver.py --serve: the grader imported once, one forked process per case."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), "--serve"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        self.lock = threading.Lock()
        self.slots: dict[str, dict] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            message = json.loads(line)
            slot = self.slots[message["id"]]
            if "pid" in message:
                slot["pid"] = message["pid"]
                slot["started"].set()
            else:
                slot["rc"] = message["rc"]
                slot["done"].set()

    def run(self, job: dict, timeout: float) -> int | None:
        slot = {"started": threading.Event(), "done": threading.Event(), "rc": None}
        with self.lock:
            job_id = f"job{len(self.slots)}"
            self.slots[job_id] = slot
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps({**job, "id": job_id}) + "\n").encode())
            self.proc.stdin.flush()
        if not slot["started"].wait(60):
            return None
        if not slot["done"].wait(timeout):
            with contextlib.suppress(OSError):  # the grading this test started, and its group
                os.killpg(slot["pid"], signal.SIGKILL)
            slot["done"].wait(10)
            return None
        return slot["rc"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


class Harness:
    """Materialises a case in a temporary folder, grades it once, and records the aftermath."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.purelib = Path(sysconfig.get_paths()["purelib"])
        self.server = ForkServer(self.env(tmp)) if FORK_SERVER else None

    @staticmethod
    def env(home: Path) -> dict[str, str]:
        """The grader's environment: the caller's, plus fake secrets that must never leak."""
        env = {**os.environ, **FAKE_SECRETS, "COURSE_HOME": str(home)}
        env.pop("PYTEST_CURRENT_TEST", None)
        if os.environ.get("HOSTILE_GRADER_PATH"):  # grade with another copy of autograder/
            env["PYTHONPATH"] = os.environ["HOSTILE_GRADER_PATH"]
        return env

    def mark_dirs(self, run_dir: Path) -> list[Path]:
        return [
            REPO,
            REPO / "autograder",
            REPO / "autograder" / "source",
            SOURCES["fixture_module"] / "fixture_module",
            REPO / ".git" / "hooks",
            self.purelib,
            run_dir / "cohort",
            run_dir / "source",
            *(p for p in (run_dir / "cohort").glob("*") if p.is_dir()),
        ]

    def materialise(
        self, case: dict, marker: str, run_dir: Path, loot: Path, port: int, usock: str
    ) -> tuple[Path, Path]:
        fixture = case["fixture"]
        source_root = SOURCES[fixture]
        if case["flow"] == "poison_source":
            source_root = run_dir / "source"
            shutil.copytree(SOURCES[fixture], source_root)
        cohort = run_dir / "cohort"
        cohort.mkdir(parents=True)
        folder = cohort / f"learner-{marker}"
        if case["flow"] == "symlink_dir":
            folder.symlink_to(SOURCES[fixture] / fixture, target_is_directory=True)
            return folder, source_root
        if case["flow"] == "reference":
            return REFERENCE, source_root
        else:
            committed = CASES_DIR / case["name"] / "submission"
            if committed.is_dir():
                shutil.copytree(committed, folder, symlinks=True)
            else:  # git keeps no empty folder: a case made only by its setup steps
                folder.mkdir(parents=True)
        tokens = {
            "@@MARKER@@": marker,
            "@@LOOT@@": str(loot),
            "@@PORT@@": str(port),
            "@@USOCK@@": usock,
        }
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.suffix in (".ipynb", ".py"):
                text = path.read_text()
                for token, value in tokens.items():
                    text = text.replace(token, value)
                path.write_text(text)
        targets = {
            "@source_nb": str(SOURCES["fixture_module"] / "fixture_module" / "squares.ipynb"),
            "@repo_source_nb": str(
                next(iter(sorted((REPO / "autograder" / "source").glob("*/*.ipynb"))), REPO)
            ),
        }
        for kind, relpath, target in case["setup"]:
            path = folder / relpath
            if kind == "nest":  # a valid notebook made unreadable: metadata 100 000 lists deep
                text = path.read_text().rstrip()
                path.write_text(text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}")
                continue
            path.unlink(missing_ok=True)
            if kind == "fifo":
                os.mkfifo(path)
            else:
                path.symlink_to(targets.get(target, target))
        if case["flow"] == "neighbour":
            bob = cohort / f"bob-{marker}"
            shutil.copytree(CASES_DIR / "honest_untouched_release" / "submission", bob)
            nb = nbformat.read(bob / "squares.ipynb", as_version=4)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "squares":
                    cell.source = (
                        f"# BOB-CANARY-{marker}: my own work\n"
                        "def squares(n):\n    return [i * i for i in range(n)]"
                    )
            nbformat.write(nb, bob / "squares.ipynb")
        return folder, source_root

    def grade(
        self,
        folder: Path,
        source_root: Path,
        module: str,
        home: Path,
        report: Path,
        timeout: float,
        harness_timeout: float,
        submission_timeout: float | None = None,
        own_process: bool = False,
    ) -> tuple[int | None, str, str, float]:
        env = self.env(home)
        command = ["check", module, "--path", str(folder)]
        if submission_timeout:
            command += ["--submission-timeout", str(submission_timeout)]
        if folder == REFERENCE:  # the instructor's own command for the solutions
            command = ["grade-reference", module]
        cli = ["--source-root", str(source_root), *command, "--timeout", str(timeout)]
        start = time.monotonic()
        if self.server is not None and not own_process:
            out_path, err_path = report.with_suffix(".stdout"), report.with_suffix(".stderr")
            job = {
                "report": str(report),
                "argv": cli,
                "env": env,
                "cwd": str(REPO),
                "stdout": str(out_path),
                "stderr": str(err_path),
            }
            rc = self.server.run(job, harness_timeout)
            out, err = (
                p.read_text(errors="replace") if p.exists() else "" for p in (out_path, err_path)
            )
            return rc, out, err, time.monotonic() - start
        argv = [sys.executable, str(DRIVER), str(report), "--", *cli]
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=harness_timeout)
            rc: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the grader this test started, and its group
            out, err = proc.communicate()
            rc = None
        return (
            rc,
            out.decode(errors="replace"),
            err.decode(errors="replace"),
            (time.monotonic() - start),
        )

    def run(self, name: str) -> Run:
        case = load_case(name)
        marker = f"hostile{secrets.token_hex(5)}"
        run = Run(case=case, marker=marker)
        run_dir = self.tmp / f"{name}-{marker}"
        run_dir.mkdir()
        loot = Path(tempfile.mkdtemp(prefix=f"hostile-loot-{marker}-", dir="/tmp"))
        loot.chmod(0o777)
        usock = f"/tmp/hostile-usock-{marker}"
        listener = _Listener(usock)
        home = run_dir / "home"
        home.mkdir()
        try:
            folder, source_root = self.materialise(
                case, marker, run_dir, loot, listener.port, usock
            )
            before = {str(p): tree_digest(p) for p in [*WATCHED, source_root]}
            submitted_before = tree_digest(folder) if not folder.is_symlink() else {}
            timeout = case["timeout"]
            harness_timeout = HARNESS_TIMEOUT_S + (60 if "wall" in case["check"] else 0)
            report_path = run_dir / "report.json"
            run.rc, run.stdout, run.stderr, run.wall = self.grade(
                folder,
                source_root,
                case["fixture"],
                home,
                report_path,
                timeout,
                harness_timeout,
                case.get("submission_timeout"),
                case.get("own_process", False),
            )
            ended = time.time()
            if report_path.exists():
                run.report = json.loads(report_path.read_text())
            pages = sorted((home / "feedback" / case["fixture"]).glob("*.html"))
            run.feedback = {p.name: p.read_text(errors="replace") for p in pages}
            first = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in pages}
            found = processes_with(marker)
            if case["persist"] or found:
                time.sleep(PERSIST_WAIT_S)
                found += processes_with(marker)
            run.survivors = sorted({f"{pid}: {cmd}" for pid, cmd in found})
            kill_all([pid for pid, _ in found])
            run.late_files = sorted(
                p.name for p in loot.iterdir() if p.lstat().st_mtime > ended + 0.3
            )
            for page in pages:
                if (
                    not page.exists()
                    or hashlib.sha256(page.read_bytes()).hexdigest() != first[page.name]
                ):
                    run.feedback_changed.append(page.name)
            run.evidence = self.evidence(run, loot)
            after = {str(p): tree_digest(p) for p in [*WATCHED, source_root]}
            run.changed = [
                f"{root}/{rel}"
                for root in before
                for rel in sorted(set(before[root]) | set(after[root]))
                if before[root].get(rel) != after[root].get(rel)
            ]
            if not folder.is_symlink() and tree_digest(folder) != submitted_before:
                run.changed.append(f"the learner's own folder {folder}")
            for directory in self.mark_dirs(run_dir):
                for mark in directory.glob(f"HOSTILE-MARK-{marker}*"):
                    run.changed.append(str(mark))
                    mark.unlink()  # written by this run's notebook: cleaned up here
            run.contacts = list(listener.hits)
            if case["flow"] == "poison_source":
                run.extra["next_release_score"] = self.grade_release_after(
                    case, run_dir, source_root
                )
        finally:
            listener.close()
            kill_all([pid for pid, _ in processes_with(marker)])
            shutil.rmtree(loot, ignore_errors=True)
        return run

    def grade_release_after(self, case: dict, run_dir: Path, source_root: Path) -> float | None:
        """Grade the untouched release of the next learner against the same source root."""
        folder = run_dir / "next-learner"
        shutil.copytree(CASES_DIR / "honest_untouched_release" / "submission", folder)
        report = run_dir / "next-report.json"
        home = run_dir / "next-home"
        home.mkdir()
        self.grade(folder, source_root, case["fixture"], home, report, 20, HARNESS_TIMEOUT_S)
        return json.loads(report.read_text())["score"] if report.exists() else None

    @staticmethod
    def evidence(run: Run, loot: Path) -> dict[str, list[str]]:
        """EVIDENCE key=value lines the attack printed (feedback) or wrote (loot folder)."""
        found: dict[str, list[str]] = {}
        text = "\n".join(html.unescape(re.sub(r"<[^>]+>", "", p)) for p in run.feedback.values())
        for key, value in re.findall(r"EVIDENCE (\w[\w-]*)=([^\n]*)", text):
            found.setdefault(key, []).append(value.strip())
        for path in loot.iterdir():
            if not path.name.startswith(("alive-", "kernel-alive-")):
                value = path.read_text(errors="replace") if path.is_file() else ""
                found.setdefault(path.name, []).append(value.strip())
        return found


def selected_cases(session: pytest.Session) -> list[str]:
    names = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and item.module.__name__.endswith("test_hostile_corpus"):
            name = callspec.params.get("case")
            if name and name not in names:
                names.append(name)
    return names


@pytest.fixture(scope="session")
def hostile_runs(request: pytest.FixtureRequest, tmp_path_factory) -> dict[str, Run]:
    """Grade every selected case once, WORKERS at a time (a grading mostly waits on a kernel)."""
    harness = Harness(tmp_path_factory.mktemp("hostile"))
    names = selected_cases(request.session)
    # the slowest first, so the pool ends together
    slow = ("resource_many_slow_cells", "broken_fifo", "resource_huge", "resource_memory")
    names.sort(key=lambda n: not n.startswith(slow))
    summary = os.environ.get("HOSTILE_SUMMARY")
    lock = threading.Lock()

    def run_and_log(name: str) -> Run:
        run = harness.run(name)
        if summary:
            with lock, open(summary, "a") as out:
                out.write(json.dumps({"case": name, **outcome(run)}) + "\n")
        return run

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return dict(zip(names, pool.map(run_and_log, names), strict=True))
    finally:
        if harness.server is not None:
            harness.server.close()


HIDDEN_REPO_LINES = repo_hidden_lines()


def flags_of(report: dict | None) -> list[str]:
    """The report's flags (GradeReport.flags / .flagged, NotebookGrade.flags), else any truthy
    field whose name says flag/tamper/suspicious, anywhere in the report."""
    if report and ("flags" in report or "flagged" in report):
        flags = list(report.get("flags") or [])
        return flags or (["report.flagged=True"] if report.get("flagged") else [])
    found: list[str] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                lowered = key.lower()
                if any(word in lowered for word in ("flag", "tamper", "suspic")) and item:
                    found.append(f"{path}.{key}={str(item)[:200]}")
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(report, "report")
    return found


class _ActiveContent(HTMLParser):
    """Finds learner-controlled active content in a feedback page, by this run's marker."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.found: list[str] = []
        self._script = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._script += 1
        for key, value in attrs:
            value = value or ""
            url = value.strip().lower()
            active = (
                key.startswith("on")
                or key == "srcdoc"
                or (
                    key in ("href", "src", "data", "action", "formaction", "xlink:href", "content")
                    and ("javascript:" in url or url.startswith("data:text/html"))
                )
            )
            if active and (self.marker in value or key == "srcdoc"):
                self.found.append(f"<{tag} {key}={value[:80]!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script:
            self._script -= 1

    def handle_data(self, data: str) -> None:
        if self._script and self.marker in data:
            self.found.append(f"<script>{data.strip()[:80]}</script>")


def violations(run: Run) -> list[str]:
    """Every rule of issue 8 this run broke, in words."""
    case, report, problems = run.case, run.report, []
    if run.rc is None:
        problems.append(f"no report: the grader hung and was killed after {run.wall:.0f} s")
    elif run.rc != 0 or report is None or "Autograded:" not in run.stdout:
        problems.append(
            f"no report: exit {run.rc}, report saved: {report is not None}; "
            f"stderr tail: {run.stderr.strip()[-300:]!r}"
        )
    flags = flags_of(report)
    if report is not None:
        score = float(report.get("score", 0))
        if score > case["baseline"] + 1e-9 and not flags:
            problems.append(f"score {score} above the honest baseline {case['baseline']}; no flag")
        if case["exact"] is not None and score != case["exact"]:
            problems.append(f"honest submission scored {score}, expected {case['exact']}")
        if report.get("max_score") != MAX_SCORE[case["fixture"]]:
            problems.append(f"max score {report.get('max_score')} != {MAX_SCORE[case['fixture']]}")
        for nb in report.get("notebooks", []):
            for cell in nb.get("cells", []):
                if not 0 <= cell["points"] <= cell["max_points"]:
                    problems.append(f"{cell['grade_id']}: {cell['points']} outside [0, max]")
                if cell.get("autograded") and cell.get("needs_manual_grade") and not flags:
                    problems.append(f"{cell['grade_id']}: test cell waits for a person, unflagged")
    if case["exact"] is not None and flags:
        problems.append(f"honest submission flagged: {flags}")
    needles = [*FIXED_NEEDLES, *HIDDEN_REPO_LINES, f"BOB-CANARY-{run.marker}"]
    if case["flow"] == "reference":  # the instructor's own notebook: only secrets count
        needles = [*FAKE_SECRETS.values(), *HIDDEN_REPO_LINES]
    for where, text in run.texts.items():
        for needle in needles:
            if needle in text:
                problems.append(f"leak: {needle[:60]!r} in {where}")
        if where.startswith("feedback") and "(unescaped)" not in where:
            parser = _ActiveContent(run.marker)
            parser.feed(text)
            problems += [f"active learner content in {where}: {f}" for f in parser.found[:3]]
    for where in ("stdout", "stderr"):
        text = getattr(run, where)
        if CONTROL.search(text):
            bad = sorted({repr(c) for c in CONTROL.findall(text)})[:6]
            problems.append(f"control characters reach the terminal ({where}): {bad}")
        if len(text) > TERMINAL_CAP:
            problems.append(f"{where} is {len(text)} characters")
    problems += [f"changed: {path}" for path in run.changed]
    problems += [f"survivor: {s}" for s in run.survivors]
    if run.late_files:
        problems.append(f"{len(run.late_files)} files written after grading: {run.late_files[:3]}")
    problems += [f"feedback page rewritten after grading: {p}" for p in run.feedback_changed]
    problems += [f"reached a listener on the host ({c})" for c in run.contacts]
    for key in case["forbid"]:
        values = [v for v in run.evidence.get(key, []) if v not in ("False", "0")]
        if key in run.evidence and (values or not run.evidence[key]):
            problems.append(f"sandbox failed: {key}={run.evidence[key][:2]}")
    problems += case_checks(run)
    return problems


def case_checks(run: Run) -> list[str]:
    checks, ev, problems = run.case["check"], run.evidence, []
    if "reason" in checks:
        said = run.stdout.lower()
        if not any(word in said for word in ("time", "died", "dead", "kernel", "killed")):
            problems.append("the report does not say why the notebook scored 0")
        if re.search(r"\(-{5,}\)", run.stdout):
            problems.append("the reason reads as a row of dashes")
    if "size" in checks:
        for name, page in run.feedback.items():
            if len(page) > FEEDBACK_CAP:
                problems.append(f"feedback {name} is {len(page) / 1024**2:.0f} MB")
    if "wall" in checks:
        notebooks = (run.report or {}).get("notebooks", [])
        said = " ".join([run.stdout, *(m for nb in notebooks for m in nb["notes"])]).lower()
        if "time limit" not in said and "stopped" not in said:
            problems.append(
                f"no overall limit: 20 cells of 1.6 s (2 s per cell, --submission-timeout "
                f"{run.case.get('submission_timeout')}) ran {run.wall:.0f} s, no limit reported"
            )
    if "disk" in checks:
        written = [int(v) for v in ev.get("disk_mb", []) if v.isdigit()]
        if not written or max(written) >= 2048:
            problems.append(f"no disk quota: {written or 'nothing'} MB written, never stopped")
        said = " ".join(
            c
            for nb in (run.report or {}).get("notebooks", [])
            for c in (x.get("reason") or "" for x in nb.get("cells", []))
        )
        if "disk" not in said.lower():
            problems.append(f"the report does not say the disk was full: {said[:200]!r}")
    if "forks" in checks:
        forks = [int(v) for v in ev.get("forks", []) if v.isdigit()]
        if forks and max(forks) >= 400:
            problems.append("no process cap: 400 forks succeeded")
    if "memory_total" in checks:
        ok = [int(v) for v in ev.get("membomb_children_ok", []) if v.isdigit()]
        if ok and max(ok) >= 4:
            problems.append("no memory cap across processes: 4 x 2 GB allocated")
    if "network" in checks:
        if "True" in ev.get("default_route", []):
            problems.append("a default route is visible")
        for ifaces in ev.get("ifaces", []):
            if set(ifaces.split(",")) - {"lo", ""}:
                problems.append(f"network interfaces visible: {ifaces}")
    if run.case["flow"] == "poison_source":
        score = run.extra.get("next_release_score")
        if score != 0:
            problems.append(f"the next learner's untouched release scored {score}")
    return problems


def outcome(run: Run) -> dict:
    broken = violations(run)
    flags = flags_of(run.report)
    score = run.report.get("score") if run.report else None
    if broken:
        verdict = "BROKEN"
    elif flags:
        verdict = "flagged"
    else:
        verdict = "caught" if run.case["exact"] is None else "ok"
    cells = [
        f"{c['grade_id']}={c['points']}{' (person)' if c.get('needs_manual_grade') else ''}"
        for nb in (run.report or {}).get("notebooks", [])
        for c in nb.get("cells", [])
    ]
    notes = [m for nb in (run.report or {}).get("notebooks", []) for m in nb.get("notes", [])]
    problem = [nb.get("problem") for nb in (run.report or {}).get("notebooks", [])]
    return {
        "verdict": verdict,
        "score": score,
        "baseline": run.case["baseline"],
        "flags": flags[:4],
        "wall": round(run.wall, 1),
        "problems": broken,
        "cells": cells,
        "notes": notes[:4],
        "nb_problem": problem,
        "evidence": sorted(run.evidence)[:12],
        "rc": run.rc,
        "stderr": run.stderr[-300:],
    }


# The first test waits for the whole corpus to be graded (the session fixture).
CORPUS_TIMEOUT = pytest.mark.timeout(1200)


@CORPUS_TIMEOUT
@pytest.mark.parametrize("case", case_names())
def test_case_obeys_the_rules(hostile_runs: dict[str, Run], case: str) -> None:
    run = hostile_runs[case]
    broken = violations(run)
    assert not broken, f"{case} ({run.case['about']}):\n  " + "\n  ".join(broken)


@CORPUS_TIMEOUT
@pytest.mark.parametrize(
    "case", [name for name in case_names() if load_case(name)["exact"] is None]
)
def test_no_points_from_tampering_even_when_flagged(
    hostile_runs: dict[str, Run], case: str
) -> None:
    """The issue asks more than the score rule: a flagged submission keeps its honest points
    and loses the tampered cells, so no case may end above its honest baseline at all."""
    run = hostile_runs[case]
    assert run.report is not None, f"{case}: no report"
    assert run.report["score"] <= run.case["baseline"], (
        f"{case} ({run.case['about']}) scored {run.report['score']} > honest "
        f"{run.case['baseline']}; flags: {flags_of(run.report)[:3]}"
    )


@CORPUS_TIMEOUT
@pytest.mark.parametrize("case", [name for name in case_names() if load_case(name)["flag"]])
def test_tampering_is_flagged(hostile_runs: dict[str, Run], case: str) -> None:
    run = hostile_runs[case]
    assert run.report is not None, f"{case}: no report to carry a flag"
    flags = flags_of(run.report)
    assert flags, (
        f"{case} ({run.case['about']}) is not flagged for a person; "
        f"score {run.report.get('score')}, evidence {sorted(run.evidence)}"
    )
    wanted = run.case.get("flag_match")
    assert not wanted or any(re.search(wanted, flag) for flag in flags), (
        f"{case} ({run.case['about']}) is flagged, but no flag names its attack ({wanted}): "
        f"{flags[:6]}"
    )


def test_corpus_is_complete_and_each_case_is_a_notebook_or_a_folder() -> None:
    names = case_names()
    assert len(names) >= 40
    for name in names:
        case = load_case(name)
        submission = CASES_DIR / name / "submission"  # absent in a clone when it is empty
        notebooks = list(submission.glob("*.ipynb")) if submission.is_dir() else []
        if case["flow"] in ("plain", "neighbour", "poison_source") and not any(
            kind == "fifo" or rel.endswith(".ipynb") for kind, rel, _ in case["setup"]
        ):
            assert notebooks, f"{name} has no notebook"
            for path in notebooks if not name.startswith("broken_") else []:
                nbformat.validate(nbformat.read(path, as_version=4))
