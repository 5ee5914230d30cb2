"""The grader against hostile submissions, one protection per test, on the fixture assignment.

Each case is the fixture's student notebook with the `squares` solution cell replaced (and
sometimes extra files beside it). The honest baseline: the untouched release earns 0 autograded
points, a correct solution 3. The rule every case must keep: no autograded points above what
the submission honestly earns unless the report flags it, no hidden test or secret in the
report or the feedback, and a report every time.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from autograder.feedback import write_feedback
from autograder.grading import GradeReport, grade_submission
from autograder.release import generate_release

pytestmark = pytest.mark.slow

FIXTURE_SOURCE = Path(__file__).parent / "fixtures" / "source"
MODULE = "fixture_module"
SECRET_LINE = "assert squares(6)[-1] == 25"
STUB = "def squares(n):\n    raise NotImplementedError()"
CORRECT = "def squares(n):\n    return [i * i for i in range(n)]"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release")
    generate_release(MODULE, folder, source_root=FIXTURE_SOURCE)
    return folder


def submission(release: Path, folder: Path, solution: str, extra: list[str] = ()) -> Path:
    """The student notebook with the solution cell replaced and ``extra`` cells appended."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(release / "squares.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "squares":
            cell.source = solution
    nb.cells += [nbformat.v4.new_code_cell(code) for code in extra]
    nbformat.write(nb, folder / "squares.ipynb")
    return folder


def grade(folder: Path, tmp_path: Path, **kwargs) -> GradeReport:
    return grade_submission(
        MODULE, folder, workdir=tmp_path / "work", source_root=FIXTURE_SOURCE, **kwargs
    )


def report_text(report: GradeReport) -> str:
    from autograder.__main__ import format_report

    return format_report(report)


def assert_no_leak(report: GradeReport) -> None:
    text = report_text(report) + "\n".join(report.flags)
    assert SECRET_LINE not in text and "SECRET-LINE" not in text
    assert "BEGIN HIDDEN TESTS" not in text


def test_sandbox_is_active_here(release, tmp_path):
    report = grade(submission(release, tmp_path / "s", CORRECT), tmp_path)
    if os.geteuid() == 0:
        assert report.sandbox.active and "bwrap" in report.sandbox.mechanism
    assert report.auto_score == 3.0 and not report.flagged


KERNEL_PROBE = r"""
import os, sys, socket, json
facts = {"uid": os.getuid(), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
         "env": sorted(os.environ), "isolated": sys.flags.isolated,
         "net": open("/proc/net/dev").read().count(":"),
         "repo": os.path.exists("/work/main/autograder/source") or os.path.exists(
             os.path.join(os.path.dirname(os.path.dirname(__import__("course").__file__)),
                          "autograder", "source")),
         "gradebook": [p for p in ("../../../gradebook.db", "../gradebook.db")
                       if os.path.exists(p)]}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); facts["internet"] = True
except OSError:
    facts["internet"] = False
print("FACTS" + json.dumps(facts))
def squares(n):
    raise NotImplementedError()
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid/namespace facts are for the root sandbox")
def test_kernel_sees_only_its_sandbox(release, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("COURSE_MODEL", "gpt-instructor")
    report = grade(submission(release, tmp_path / "s", KERNEL_PROBE), tmp_path)
    nb = nbformat.read(report.notebooks[0].autograded_path, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    import json

    facts = json.loads(text.split("FACTS", 1)[1].splitlines()[0])
    assert facts["uid"] != 0 and facts["isolated"] == 1
    assert facts["files"] == ["data.txt", "squares.ipynb"]
    assert "OPENAI_API_KEY" not in facts["env"] and "COURSE_MODEL" not in facts["env"]
    assert facts["net"] == 1 and facts["internet"] is False  # lo only
    assert facts["repo"] is False and facts["gradebook"] == []


def test_sidecar_ipykernel_launcher_is_never_imported(release, tmp_path):
    folder = submission(release, tmp_path / "s", STUB)
    (folder / "ipykernel_launcher.py").write_text(
        "import sys\nfrom ipykernel import kernelapp\nip_run = None\nraise SystemExit('hijacked')\n"
    )
    (folder / "sitecustomize.py").write_text("raise SystemExit('hijacked')\n")
    report = grade(folder, tmp_path)
    assert report.auto_score == 0.0 and report.problems == []
    assert any("NotImplementedError" in e for e in report.notebooks[0].errors)


HOOKS = {
    "cleanup transformer": "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
    "post transformer": "get_ipython().input_transformers_post.append("
    "lambda lines: ['pass\\n'] if any('assert' in l for l in lines) else lines)",
    "ast transformer": "import ast, os\nclass T(ast.NodeTransformer):\n"
    "    def visit_Assert(self, node): return ast.Pass()\n"
    "if os.environ.get('NBGRADER_EXECUTION') or True:\n"
    "    get_ipython().ast_transformers.append(T())",
    "muted traceback": "ip = get_ipython()\nip._showtraceback = lambda *a, **k: None\n"
    "ip.showtraceback = lambda *a, **k: None",
    "post_run_cell leak": "get_ipython().events.register('post_run_cell', "
    "lambda r: print(r.info.raw_cell))",
    "pre_run_cell": "get_ipython().events.register('pre_run_cell', lambda info: None)",
    "settrace": "import sys\nsys.settrace(lambda *a: None)",
    "patched isclose": "import math\nmath.isclose = lambda *a, **k: True",
    "patched builtin": "import builtins\nbuiltins.len = lambda x: 3",
    "patched str slot": "import gc\ngc.get_referents(str.__dict__)[0]['__eq__'] = "
    "lambda a, b: True",
    "displayhook": "get_ipython().displayhook('3')\nimport sys\nsys.displayhook = print",
    "run_cell": "ip = get_ipython()\nip.run_cell = lambda *a, **k: None",
}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_kernel_tampering_is_flagged_and_scores_nothing(release, tmp_path, hook):
    folder = submission(release, tmp_path / "s", HOOKS[hook] + "\n" + STUB)
    report = grade(folder, tmp_path, timeout_s=30)  # a broken kernel may never answer
    assert report.auto_score == 0.0, hook
    assert report.flagged, hook
    assert_no_leak(report)


def test_tampering_after_honest_work_keeps_the_honest_points(release, tmp_path):
    # Correct code, then a hook installed between the two test cells by a later cell.
    folder = submission(release, tmp_path / "s", CORRECT)
    nb = nbformat.read(folder / "squares.ipynb", as_version=4)
    index = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_visible"
    )
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(HOOKS["cleanup transformer"]))
    nbformat.write(nb, folder / "squares.ipynb")
    report = grade(folder, tmp_path)
    points = {c.grade_id: c.points for c in report.notebooks[0].cells if c.autograded}
    assert points == {"test_visible": 1.0, "test_hidden": 0.0}
    assert report.flagged


ALWAYS_EQUAL = (
    "class Anything(list):\n    def __eq__(self, other): return True\n"
    "    def __getitem__(self, i): return Anything()\n"
    "def squares(n):\n    return Anything()"
)


def test_objects_that_equal_anything_are_held_for_a_person(release, tmp_path):
    report = grade(submission(release, tmp_path / "s", ALWAYS_EQUAL), tmp_path)
    assert report.auto_score == 0.0 and report.flagged
    cells = {c.grade_id: c for c in report.notebooks[0].cells}
    assert cells["test_visible"].needs_manual_grade  # listed for a person, not silently zero
    assert any("__eq__" in f for f in report.flags)


def test_hidden_tests_do_not_leak_through_frames_or_hooks(release, tmp_path, course_home):
    steal = (
        "import sys, linecache\n"
        "def squares(n):\n"
        "    f = sys._getframe(1)\n"
        "    src = ''.join(linecache.getlines(f.f_code.co_filename))\n"
        "    print(src)\n"
        "    raise ValueError(src)\n"
    )
    report = grade(submission(release, tmp_path / "s", steal, ["print(_i)", "print(In)"]), tmp_path)
    assert report.flagged  # static scan: frames, linecache
    assert_no_leak(report)
    pages = write_feedback(report, course_home / "feedback")
    page = pages[0].read_text()
    assert SECRET_LINE not in html.unescape(page) and "SECRET-LINE" not in page


def test_learner_output_is_escaped_in_feedback(release, tmp_path, course_home):
    code = (
        "from IPython.display import HTML, Javascript, display\n"
        "print('<script>alert(1)</script>')\n"
        "display(HTML('<script>alert(2)</script><img src=x onerror=alert(3)>'))\n"
        "display(Javascript('alert(4)'))\n" + STUB
    )
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    page = write_feedback(report, course_home / "feedback")[0].read_text()
    assert "<script>alert" not in page and "<img src=x" not in page  # only escaped text
    assert "application/javascript" not in page and "<script>\nalert(4)" not in page


def test_ansi_escapes_never_reach_the_terminal_report(release, tmp_path):
    code = "def squares(n):\n    raise ValueError('\\x1b[2K\\x1b[1AAutograded: 3.0 / 3.0')"
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert "\x1b" not in report_text(report)


def test_honest_warnings_and_progress_bars_cost_nothing(release, tmp_path):
    code = (
        "import warnings, sys\nfrom tqdm import tqdm\n"
        "def squares(n):\n"
        "    warnings.warn('this is slow', UserWarning)\n"
        "    print('progress', file=sys.stderr)\n"
        "    return [i * i for i in tqdm(range(n))]\n"
    )
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 3.0
    assert not [f for f in report.flags if "kernel" in f]


def test_real_errors_still_fail(release, tmp_path):
    code = "def squares(n):\n    return [i * i for i in range(n)][:3]"
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 1.0


def test_an_execute_result_is_not_partial_credit(release, tmp_path):
    code = STUB + "\nget_ipython().displayhook('3')"
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 0.0


def test_processes_that_detach_do_not_outlive_grading(release, tmp_path):
    marker = f"autograder-test-{os.getpid()}-{time.time_ns()}"
    code = (
        "import subprocess, signal\n"
        f"subprocess.Popen(['sh', '-c', 'trap \"\" TERM HUP INT; exec -a {marker} sleep 300'],"
        " start_new_session=True)\n" + STUB
    )
    grade(submission(release, tmp_path / "s", code), tmp_path)
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    if os.geteuid() == 0:
        assert marker not in ps
    else:  # pragma: no cover - without the sandbox nothing can promise this
        pytest.skip("only the PID namespace (root or user namespace) guarantees this")


def test_memory_processes_and_output_are_capped(release, tmp_path):
    code = (
        "import os\n"
        "try:\n    blob = bytearray(12 * 1024**3)\n"
        "except MemoryError:\n    print('memory capped')\n"
        "print('x' * 50_000_000)\n" + STUB
    )
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 0.0
    nb = nbformat.read(report.notebooks[0].autograded_path, as_version=4)
    size = sum(len(str(o)) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert size < 500_000


def test_a_hang_gets_a_readable_timeout_reason(release, tmp_path):
    code = "def squares(n):\n    while True:\n        pass"
    report = grade(submission(release, tmp_path / "s", code), tmp_path, timeout_s=2)
    assert report.score == 0.0
    text = report_text(report)
    assert "did not finish within" in text or "timed out" in text
    assert "(---" not in text


def test_total_time_limit_stops_a_slow_submission(release, tmp_path):
    code = "import time\ntime.sleep(4)\n" + CORRECT
    report = grade(
        submission(release, tmp_path / "s", code), tmp_path, timeout_s=10, submission_timeout_s=3
    )
    assert report.auto_score == 0.0
    assert any("time limit" in note for nb in report.notebooks for note in nb.notes + nb.errors)


def test_a_killed_kernel_still_gives_a_report(release, tmp_path):
    code = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + STUB
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 0.0
    assert any("died" in n for n in report.notebooks[0].notes)


def test_a_fifo_in_place_of_the_notebook_does_not_hang(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    os.mkfifo(folder / "squares.ipynb")
    os.symlink(folder / "loop", folder / "loop")
    start = time.monotonic()
    report = grade(folder, tmp_path)
    assert time.monotonic() - start < 60
    assert report.score == 0.0 and "regular file" in report.problems[0]


def test_a_symlink_to_the_instructor_notebook_is_never_followed(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    os.symlink(FIXTURE_SOURCE / MODULE / "squares.ipynb", folder / "squares.ipynb")
    report = grade(folder, tmp_path)
    assert report.score == 0.0 and "symbolic link" in report.problems[0]


def test_the_repository_is_unchanged_by_a_hostile_submission(release, tmp_path):
    # The submission appends to files of the repository it should never reach: a canary made
    # for this test (so a broken sandbox damages nothing else), the instructor's fixture
    # notebook and the README. Every one must come through byte for byte.
    repo = Path(__file__).parents[1]
    # (no canary inside the fixture source: the hostile corpus, maybe running at the same time
    # on the other core, checks that folder for changes)
    canaries = [repo / f".canary-{os.getpid()}.ipynb"]
    targets = [*canaries, FIXTURE_SOURCE / MODULE / "squares.ipynb", repo / "README.md"]
    for canary in canaries:
        canary.write_text("canary\n")
    before = [p.read_bytes() for p in targets]
    try:
        paths = [str(p) for p in targets] + ["../../../gradebook.db", "../../../source"]
        code = (
            f"paths = {paths!r}\n"
            "for p in paths:\n"
            "    try:\n        open(p, 'a').write('x')\n    except OSError:\n        pass\n" + STUB
        )
        grade(submission(release, tmp_path / "s", code), tmp_path)
        assert [p.read_bytes() for p in targets] == before
    finally:  # a failing run must not leave the checkout damaged
        for path, content in zip(targets, before, strict=True):
            if path.read_bytes() != content:
                path.write_bytes(content)
        for canary in canaries:
            canary.unlink(missing_ok=True)


def test_scores_are_never_read_back_from_the_gradebook(release, tmp_path):
    # Even if something wrote manual scores into the gradebook, the report ignores them.
    import sqlite3

    report = grade(submission(release, tmp_path / "s", STUB), tmp_path)
    db = sqlite3.connect(report.course_root / "gradebook.db")
    db.execute("UPDATE grade SET manual_score = 99")
    db.commit()
    db.close()
    from autograder.grading import _report  # the report is rebuilt from the grader's records

    again = _report(MODULE, report.student, report.course_root, FIXTURE_SOURCE / MODULE, {}, {}, {})
    assert again.auto_score == 0.0 and again.score == 0.0


def test_grader_survives_a_signal(release, tmp_path):
    code = "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGTERM)\nexcept OSError:\n"
    code += "    pass\n" + CORRECT
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 3.0


def test_no_report_line_contains_control_characters(release, tmp_path):
    code = "def squares(n):\n    raise ValueError('\\x07\\x1b]0;pwned\\x07 bell')"
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", report_text(report))


def test_the_user_namespace_path_grades_too(release, tmp_path, monkeypatch):
    """The non-root sandbox (bwrap's user namespace, uid nobody) on the same machine.

    Here the root check is patched so bwrap builds the user-namespace variant in this process;
    tests/test_sandbox_nonroot.py grades as a real unprivileged user.
    """
    from autograder import sandbox

    monkeypatch.setattr(sandbox, "_as_root", lambda: False)
    sandbox._bwrap_works.cache_clear()
    try:
        if sandbox.plan().mechanism == "none":
            pytest.skip(f"no user-namespace sandbox here: {sandbox.plan().missing}")
        report = grade(submission(release, tmp_path / "s", CORRECT), tmp_path)
    finally:
        sandbox._bwrap_works.cache_clear()
    assert report.sandbox.mechanism == "bwrap (user namespace)"
    assert report.auto_score == 3.0 and not report.flagged


def test_without_bwrap_the_report_says_so_and_grading_still_works(release, tmp_path):
    report = grade(submission(release, tmp_path / "s", CORRECT), tmp_path, sandboxed=False)
    assert not report.sandbox.active and report.sandbox.missing
    assert "Sandbox: none" in report_text(report)
    assert report.auto_score == 3.0


def test_an_honest_class_with_eq_is_not_flagged(release, tmp_path):
    code = (
        "import math\nfrom dataclasses import dataclass\n\n"
        "@dataclass(frozen=True)\nclass Square:\n    root: int\n\n"
        "    def __eq__(self, other):\n"
        "        return isinstance(other, Square) and self.root == other.root\n\n"
        "    def __hash__(self):\n        return hash(self.root)\n\n"
        "def squares(n):\n    out = [Square(i).root ** 2 for i in range(n)]\n"
        "    assert all(math.isclose(math.sqrt(v), i) for i, v in enumerate(out))\n"
        "    return out\n"
    )
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 3.0 and not report.flagged, report.flags


@pytest.mark.skipif(os.geteuid() != 0, reason="cgroups are created as root only")
def test_memory_is_capped_for_the_whole_process_tree(release, tmp_path):
    code = (
        "import os\npids = []\n"
        "for i in range(4):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        b = bytearray(2 * 1024**3)\n"
        "        for j in range(0, len(b), 4096):\n            b[j] = 1\n"
        "        import time\n        time.sleep(3)\n        os._exit(0)\n"
        "    pids.append(pid)\n"
        "codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]\n"
        "print('SURVIVED', sum(c == 0 for c in codes))\n" + STUB
    )
    report = grade(submission(release, tmp_path / "s", code), tmp_path, timeout_s=90)
    if not any("cgroup" in p for p in report.sandbox.protections):
        pytest.skip(f"no writable cgroups here: {report.sandbox.missing}")
    nb = nbformat.read(report.notebooks[0].autograded_path, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    survived = int(text.split("SURVIVED", 1)[1].split()[0])
    assert survived <= 1  # 4 x 2 GB cannot all fit in the tree's 4 GB


def test_installed_libraries_that_alias_builtins_or_add_importers_are_not_tampering(
    release, tmp_path
):
    """six adds a meta-path importer and aliases builtins (exec_, print_) when imported."""
    code = (
        "def squares(n):\n"
        "    import six\n\n"
        "    return [int(six.text_type(i * i)) for i in range(n)]\n"
    )
    report = grade(submission(release, tmp_path / "s", code), tmp_path)
    assert report.auto_score == 3.0 and not report.flagged, report.flags


HONEST_EXTRAS = [
    # What an honest learner does around a correct answer: none of it may be flagged.
    "import json, tempfile, warnings, subprocess, inspect, gc\n"
    "from pathlib import Path\n"
    "from course.data.tickets import load_tickets\n"
    "tickets = load_tickets('dev')\n"
    "Path('notes').mkdir(exist_ok=True)\n"
    "Path('notes/summary.json').write_text(json.dumps({'tickets': len(tickets)}))\n"
    "with tempfile.TemporaryDirectory() as scratch:\n"
    "    (Path(scratch) / 'draft.txt').write_text('first try')\n"
    "warnings.warn('this is slow')\n"
    "gc.collect()\n"
    "import numpy, pandas\n"
    "frame = pandas.DataFrame({'n': [1, 2]})\n"
    "frame.to_csv('table.csv')\n",
    "from tqdm.auto import tqdm\nfor _ in tqdm(range(5)):\n    pass\n",
]


@pytest.mark.parametrize("sandboxed", [True, False])
def test_honest_work_around_a_correct_answer_is_never_flagged(release, tmp_path, sandboxed):
    report = grade(
        submission(release, tmp_path / "s", CORRECT, HONEST_EXTRAS),
        tmp_path,
        sandboxed=sandboxed,
    )
    assert report.auto_score == 3.0
    assert report.flags == []


REACH_OUT = """
import os, subprocess
target = os.sep.join(["", *{repo_parts!r}])
for attempt in (lambda: open(os.path.join(target, "README.md")).read(),
                lambda: open(os.path.join(target, "planted.txt"), "w").write("x"),
                lambda: os.listdir("/root"),
                lambda: open("/proc/1/environ").read(),
                lambda: subprocess.run(["true"])):
    try:
        attempt()
    except Exception:
        pass
"""


def test_contained_attempts_are_flagged_with_evidence_and_cost_no_honest_points(release, tmp_path):
    repo = Path(__file__).resolve().parents[1]
    code = REACH_OUT.format(repo_parts=list(repo.parts[1:]))  # built at run time: no literal
    report = grade(submission(release, tmp_path / "s", CORRECT, [code]), tmp_path)
    audit = [f for f in report.flags if "sandbox audit" in f]
    text = " | ".join(audit)
    assert f"tried to read outside its folders (open), line 3: {repo}/README.md" in text, text
    assert f"tried to write outside its folders (open), line 4: {repo}/planted.txt" in text
    assert "(os.listdir), line 5: /root" in text
    assert "tried to read another process's files (open), line 6: /proc/1/environ" in text
    assert "starts a process, line 7" in text
    assert not (repo / "planted.txt").exists()
    assert report.auto_score == 3.0  # contained: evidence for a person, not a penalty


def test_without_the_sandbox_the_audit_is_the_trace_of_what_succeeded(release, tmp_path):
    outside = tmp_path / "instructor-files"
    outside.mkdir()
    code = f"open({str(outside / 'stolen.txt')!r}.replace('stolen', 'taken'), 'w').write('x')"
    report = grade(submission(release, tmp_path / "s", CORRECT, [code]), tmp_path, sandboxed=False)
    assert (outside / "taken.txt").exists()  # nothing stopped it ...
    assert any("tried to write" in f and "taken.txt" in f for f in report.flags)  # ... but seen


CUT_CHANNEL = """
import os
# The hook's pipe is named on the kernel's command line: point it at /dev/null.
argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
audit_fd = int(argv[argv.index(b"-c") + 2])
os.dup2(os.open(os.devnull, os.O_WRONLY), audit_fd)
"""


def test_cutting_the_audit_channel_is_tampering_and_ends_the_run(release, tmp_path):
    report = grade(submission(release, tmp_path / "s", CORRECT + "\n" + CUT_CHANNEL), tmp_path)
    assert report.auto_score == 0.0
    assert any("did not answer the state check" in f for f in report.flags), report.flags


RUN_FOLDER_WRITE = """
import os
argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
run_folder = os.path.dirname(argv[argv.index(b"-f") + 1].decode())
try:
    with open(os.path.join(run_folder, "filler.bin"), "wb") as out:
        out.write(b"0" * 1024)
    locked = False
except OSError:
    locked = True


def squares(n):
    return [i * i for i in range(n)] if locked else []
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can take the run folder back")
def test_the_kernel_cannot_write_to_its_run_folder_on_the_host(release, tmp_path):
    report = grade(submission(release, tmp_path / "s", RUN_FOLDER_WRITE), tmp_path)
    assert report.auto_score == 3.0, [c.reason for nb in report.notebooks for c in nb.cells]
