"""A real unprivileged grading: the sandbox a learner gets from `make check` without root.

As root (here and in CI) the test creates a throwaway system user and runs the instructor's
command (`tests/hostile/driver.py`, which is `python -m autograder check`) as that user, so
bubblewrap has to build its namespaces through an unprivileged user namespace, with rlimits and
no cgroup. Run as a normal user, it grades as that user directly.

The interpreter may sit in a folder that user cannot enter (/root is 0700 when Python comes from
pyenv). Nothing on the machine is changed for that: the grading runs in a private mount namespace
(`unshare -m`, as root) where a 0755 tmpfs covers each such folder and only the paths the grader
needs (interpreter, venv, repository) are bound back, read-only as they were.

A selection of the hostile corpus runs this way and is held to the corpus's rules
(tests/test_hostile_corpus.violations): network, the repository and gradebook, the grader's
environment, signals to the grader, forks, memory in one process, disk, processes that detach.
What a normal user cannot have (a cgroup bounding the whole process tree's memory) is asserted
to be reported as missing, not silently absent. It skips only where user namespaces are truly
unavailable, and fails instead when AUTOGRADER_REQUIRE_NONROOT=1 (set by .ci/run).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest
from test_hostile_corpus import (  # tests/ is on sys.path (pytest's rootdir import)
    CASES_DIR,
    DRIVER,
    FAKE_SECRETS,
    PERSIST_WAIT_S,
    REPO,
    SOURCES,
    WATCHED,
    Harness,
    Run,
    _Listener,
    kill_all,
    load_case,
    processes_with,
    tree_digest,
    violations,
)

pytestmark = pytest.mark.slow

REQUIRED = os.environ.get("AUTOGRADER_REQUIRE_NONROOT") == "1"
CASES = [
    "honest_untouched_release",
    "honest_warnings_tqdm",
    "network_tcp_localhost",
    "network_unix_sockets",
    "leak_repository",
    "leak_environment",
    "gradebook_walk_up",
    "write_repo_and_venv",
    "signal_the_grader",
    "resource_fork_bomb",
    "resource_memory_bomb",
    "resource_disk_fill",
    "escape_setsid_survivor",
]
TIMEOUT_S = 150


def unavailable(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"the unprivileged sandbox must run here (AUTOGRADER_REQUIRE_NONROOT=1): {why}")
    pytest.skip(why)


def _closed_ancestors(paths: list[Path]) -> dict[Path, set[str]]:
    """Folders others cannot enter on the way to ``paths`` -> the child names to bind back."""
    closed: dict[Path, set[str]] = {}
    for path in paths:
        for parent in reversed(path.parents[:-1]):
            if not parent.stat().st_mode & stat.S_IXOTH:
                child = path.relative_to(parent).parts[0]
                closed.setdefault(parent, set()).add(child)
                break
    return closed


def _private_view(keep: Path) -> str:
    """Shell lines (run as root in a private mount namespace) that open the needed paths."""
    needed = [
        Path(sys.base_prefix).resolve(),
        Path(sys.prefix).resolve(),
        REPO.resolve(),
        Path(sysconfig.get_paths()["stdlib"]).resolve(),
    ]
    lines = ["set -e"]
    for number, (folder, children) in enumerate(sorted(_closed_ancestors(needed).items())):
        pairs = [
            (shlex.quote(str(folder / c)), shlex.quote(str(keep / f"{number}-{c}")))
            for c in sorted(children)
        ]
        for real, saved in pairs:
            lines += [f"mkdir -p {saved}", f"mount --bind {real} {saved}"]
        lines.append(f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(str(folder))}")
        for real, saved in pairs:
            lines += [f"mkdir -p {real}", f"mount --bind {saved} {real}"]
    return "\n".join(lines)


class Unprivileged:
    """How to run a command as an unprivileged user: ``wrap(argv)`` -> the argv to run."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.user: str | None = None
        if os.geteuid() != 0:
            self.uid, self.gid = os.getuid(), os.getgid()
            self.prefix: list[str] = []
            return
        for tool in ("useradd", "userdel", "setpriv", "unshare"):
            if shutil.which(tool) is None:
                unavailable(f"{tool} is not installed")
        self.user = f"agnr{secrets.token_hex(3)}"
        done = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.user],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            unavailable(f"useradd failed: {done.stderr.strip()}")
        entry = pwd.getpwnam(self.user)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        keep = tmp / "keep"
        keep.mkdir()
        drop = [
            "setpriv",
            "--reuid",
            str(self.uid),
            "--regid",
            str(self.gid),
            "--init-groups",
            "--",
        ]
        script = _private_view(keep) + '\nexec "$@"'
        self.prefix = [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            script,
            "sh",
            *drop,
        ]

    def wrap(self, argv: list[str]) -> list[str]:
        return [*self.prefix, *argv]

    def give(self, path: Path) -> None:
        """Hand a folder made by the test to the user."""
        if os.geteuid() == 0:
            for item in [path, *path.rglob("*")]:
                os.lchown(item, self.uid, self.gid)

    def close(self) -> None:
        if self.user:
            subprocess.run(["userdel", self.user], capture_output=True, check=False)


@pytest.fixture(scope="module")
def unprivileged():
    if not sys.platform.startswith("linux"):
        pytest.skip("user namespaces are a Linux feature")
    if shutil.which("bwrap") is None:
        unavailable("bubblewrap is not installed (apt-get install bubblewrap)")
    tmp = Path(tempfile.mkdtemp(prefix="ag-nonroot-", dir="/tmp"))
    tmp.chmod(0o755)
    user = Unprivileged(tmp)
    try:
        probe = subprocess.run(
            user.wrap(
                [
                    "bwrap",
                    "--unshare-user",
                    "--unshare-pid",
                    "--unshare-net",
                    "--ro-bind",
                    "/",
                    "/",
                    "--",
                    "/bin/true",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if probe.returncode != 0:
            unavailable(f"no unprivileged user namespaces here: {probe.stderr.strip()[-300:]}")
        python = subprocess.run(
            user.wrap([sys.executable, "-c", "import os, autograder.grading; print(os.getuid())"]),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert python.returncode == 0, f"the user cannot run the grader: {python.stderr[-800:]}"
        assert python.stdout.strip() == str(user.uid)
        yield user
    finally:
        user.close()
        subprocess.run(["rm", "-rf", "--one-file-system", str(tmp)], check=False)


def grade_case(user: Unprivileged, name: str) -> Run:
    """One hostile case graded by the unprivileged user; the aftermath as a corpus Run."""
    case = load_case(name)
    marker = f"hostile{secrets.token_hex(5)}"
    run = Run(case=case, marker=marker)
    run_dir = user.tmp / f"{name}-{marker}"
    folder = run_dir / "learner"
    home = run_dir / "home"
    loot = run_dir / "loot"
    committed = CASES_DIR / name / "submission"
    shutil.copytree(committed, folder)
    home.mkdir()
    loot.mkdir()
    usock = f"/tmp/hostile-usock-{marker}"
    listener = _Listener(usock)
    try:
        tokens = {
            "@@MARKER@@": marker,
            "@@LOOT@@": str(loot),
            "@@PORT@@": str(listener.port),
            "@@USOCK@@": usock,
        }
        for path in folder.rglob("*.ipynb"):
            text = path.read_text()
            for token, value in tokens.items():
                text = text.replace(token, value)
            path.write_text(text)
        user.give(run_dir)
        loot.chmod(0o777)
        source_root = SOURCES[case["fixture"]]
        before = {str(p): tree_digest(p) for p in WATCHED}
        report = run_dir / "report.json"
        argv = [
            sys.executable,
            str(DRIVER),
            str(report),
            "--",
            "--source-root",
            str(source_root),
            "check",
            case["fixture"],
            "--path",
            str(folder),
            "--timeout",
            str(case["timeout"]),
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "COURSE_HOME": str(home),
            "LANG": "C.UTF-8",
            **FAKE_SECRETS,
        }
        start = time.monotonic()
        proc = subprocess.Popen(
            user.wrap(argv),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
            run.rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the grading this test started, and its group
            out, err = proc.communicate()
        run.wall = time.monotonic() - start
        run.stdout, run.stderr = out.decode(errors="replace"), err.decode(errors="replace")
        if report.exists():
            run.report = json.loads(report.read_text())
        pages = sorted((home / "feedback" / case["fixture"]).glob("*.html"))
        run.feedback = {p.name: p.read_text(errors="replace") for p in pages}
        found = processes_with(marker)
        if case["persist"] or found:
            time.sleep(PERSIST_WAIT_S)
            found += processes_with(marker)
        run.survivors = sorted({f"{pid}: {cmd}" for pid, cmd in found})
        run.evidence = Harness.evidence(run, loot)
        after = {str(p): tree_digest(p) for p in WATCHED}
        run.changed = [
            f"{root}/{rel}"
            for root in before
            for rel in sorted(set(before[root]) | set(after[root]))
            if before[root].get(rel) != after[root].get(rel)
        ]
        purelib = Path(sysconfig.get_paths()["purelib"])
        for directory in (REPO, REPO / "autograder", REPO / "autograder" / "source", purelib):
            for mark in directory.glob(f"HOSTILE-MARK-{marker}*"):
                run.changed.append(str(mark))
                mark.unlink()
        run.contacts = list(listener.hits)
    finally:
        listener.close()
        kill_all([pid for pid, _ in processes_with(marker)])
    return run


@pytest.fixture(scope="module")
def runs(unprivileged) -> dict[str, Run]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(lambda n: grade_case(unprivileged, n), CASES), strict=True))


@pytest.mark.timeout(1200)
def test_the_grader_really_ran_unprivileged_in_a_user_namespace(runs):
    for name, run in runs.items():
        assert run.report is not None, f"{name}: no report; stderr {run.stderr[-600:]}"
        box = run.report["sandbox"]
        assert box["mechanism"] == "bwrap (user namespace)", (name, box)
        missing = " ".join(box["missing"])
        assert "cgroup" in missing, f"{name}: the missing tree-wide limits are not reported"


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("case", CASES)
def test_case_obeys_the_rules_without_root(runs, case):
    run = runs[case]
    broken = violations(run)
    assert not broken, f"{case} ({run.case['about']}), graded without root:\n  " + "\n  ".join(
        broken
    )


@pytest.mark.timeout(1200)
def test_contained_attempts_are_flagged_without_root(runs):
    for name in ("leak_repository", "write_repo_and_venv", "leak_environment"):
        run = runs[name]
        flags = run.report["flags"] if run.report else []
        wanted = run.case.get("flag_match")
        assert any(re.search(wanted, f) for f in flags), (name, flags[:6])
