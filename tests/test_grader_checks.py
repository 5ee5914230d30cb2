"""Fast unit tests of the grader's own checks: static scan, state comparison, text cleaning."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder import kernel_check
from autograder.feedback import HideHiddenTests
from autograder.grading import clean_text, execution_errors
from autograder.scan import scan_notebook


def scan(code: str) -> list[str]:
    return [f.what for f in scan_notebook(new_notebook(cells=[new_code_cell(code)]))]


def test_scan_flags_hooks_exec_ctypes_and_always_equal_classes():
    found = " | ".join(
        scan(
            "import ctypes, math\n"
            "math.isclose = lambda *a, **k: True\n"
            "get_ipython().input_transformers_post.append(f)\n"
            "exec('x' + 'y')\n"
            "class S(str):\n    def __eq__(self, other): return True\n"
            "open('/work/main/autograder/source/x.ipynb')\n"
            "import sys\nsys.settrace(None)\n"
        )
    )
    expected = ("ctypes", "math.isclose", "input transformer", "calls exec", "__eq__ ret",
                "outside the working folder", "trace function")  # fmt: skip
    for what in expected:
        assert what in found, what


def test_scan_ignores_honest_code_and_shipped_cells():
    assert scan("import re\npattern = re.compile('a+')\nrows = [r for r in range(3)]") == []
    release = new_notebook(cells=[new_code_cell("import subprocess")])
    learner = new_notebook(cells=[new_code_cell("import subprocess")])
    assert scan_notebook(learner, release) == []


HONEST_CELLS = [
    # A learner who measures, caches, logs and cleans up after themselves: nothing to flag.
    "import gc, inspect, json, logging, os, signal, sqlite3, subprocess, tempfile, warnings\n"
    "from pathlib import Path\n"
    "log = logging.getLogger('mine')\n"
    "cache = Path.cwd() / 'cache' / 'answers.json'\n"
    "cache.parent.mkdir(parents=True, exist_ok=True)\n"
    "cache.write_text(json.dumps({'n': 3}))\n"
    "provider = os.environ.get('COURSE_PROVIDER', 'sim')\n"
    "os.environ['TOKENIZERS_PARALLELISM'] = 'false'\n"
    "if 'HOME' in os.environ:\n    home_set = True\n"
    "db = sqlite3.connect(':memory:')\n"
    "print(inspect.signature(json.dumps))\n"
    "warnings.warn('slow path')\n"
    "gc.collect()\n",
    "import course\nfrom course import llm\n"
    "data_dir = Path(course.__file__).parent / 'data'\n"
    "scratch = Path(tempfile.mkdtemp())\n"
    "(scratch / 'notes.txt').write_text('draft')\n"
    "setattr(log, 'disabled', False)\n"
    "names = sorted(globals())\n"
    "result = {'events': []}\nresult['events'].append(1)\n",
    "from tqdm import tqdm\nfor step in tqdm(range(3)):\n    pass\n"
    "class Point:\n    def __init__(self, x):\n        self.x = x\n"
    "    def __eq__(self, other):\n        return isinstance(other, Point) and self.x == other.x\n",
]


def test_honest_submissions_come_back_without_a_single_flag():
    nb = new_notebook(cells=[new_code_cell(code) for code in HONEST_CELLS])
    assert [str(f) for f in scan_notebook(nb)] == []


def test_plain_imports_are_not_evidence_but_their_dangerous_uses_are():
    assert scan("import subprocess, inspect, sqlite3, signal, gc, socket, linecache") == []
    found = " | ".join(
        scan(
            "import subprocess as sp, inspect, gc\n"
            "from os import kill\n"
            "sp.Popen(['sleep', '100'])\n"
            "frame = inspect.currentframe().f_back\n"
            "gc.get_referrers(object)\n"
            "kill(1, 15)\n"
        )
    )
    for what in ("starts a process", "stack frames", "garbage collector", "sends a signal"):
        assert what in found, what
    severe = scan_notebook(new_notebook(cells=[new_code_cell("import gc\ngc.get_objects()")]))
    assert severe and all(f.severe for f in severe)


@pytest.mark.parametrize(
    "code",
    [
        "from pathlib import Path\nfor up in Path.cwd().parents:\n    print(list(up.iterdir()))",
        "import os\nabove = os.path.dirname(os.getcwd())\nprint(os.listdir(above))",
        "from pathlib import Path\nbook = Path('.').resolve() / '..' / '..' / 'gradebook.db'",
        "import os\nos.chdir('../..')",
        "import sys\nfrom pathlib import Path\nrepo = Path(sys.executable).parents[3]",
        "from pathlib import Path\nhere = Path.cwd()\nnext_door = here.parent / 'bob'",
        "from pathlib import Path\nhome = Path.home()\nothers = home.parent",
    ],
)
def test_walking_out_of_the_working_folder_is_flagged(code):
    found = " | ".join(scan(code))
    assert "walks up" in found or "outside the working folder" in found, found


def test_the_whole_environment_and_the_grader_are_flagged_keyed_reads_are_not():
    assert "whole environment" in " | ".join(scan("import os\nsnapshot = dict(os.environ)"))
    assert "whole environment" in " | ".join(scan("import os\nprint(os.environ.copy())"))
    assert "whole environment" in " | ".join(
        scan("from os import environ as e\nfor k in e:\n    print(k)")
    )
    keyed = "import os\nkey = os.environ['OPENAI_API_KEY'] if 'X' in os.environ else None"
    assert scan(keyed) == []
    assert "grader's own code" in " | ".join(scan("from autograder import grading"))
    assert "other processes" in " | ".join(scan("print(open('/proc/1/environ').read())"))


def answer(**changes) -> dict:
    base = {"nonce": "n", "lists": {"ast_transformers": []}, "ids": {"math.isclose": 1},
            "planted": [], "comparisons": []}  # fmt: skip
    base.update(changes)
    return base


def test_compare_reports_each_kind_of_change():
    before = answer()
    assert kernel_check.compare(before, answer()).clean
    changed = answer(
        lists={"ast_transformers": ["__main__.T#1#L"]},
        ids={"math.isclose": 2},
        planted=["course.x = learner code"],
        comparisons=["class A defines __eq__"],
    )
    verdict = kernel_check.compare(before, changed)
    assert len(verdict.tampered) == 3 and verdict.suspect == ["class A defines __eq__"]


def test_matplotlib_callbacks_are_not_tampering():
    before = answer(lists={"events.post_execute": []})
    after = answer(lists={"events.post_execute": ["matplotlib.pyplot._draw_all#5#I"]})
    assert kernel_check.compare(before, after).clean
    learner = answer(lists={"events.post_execute": ["matplotlib.pyplot.fake#5#L"]})
    assert not kernel_check.compare(before, learner).clean


def test_answers_without_the_nonce_are_rejected():
    good = "AUTOGRADER-STATE-abc:" + json.dumps(answer(nonce="abc"))
    assert kernel_check.parse_answer(good, "abc") is not None
    assert kernel_check.parse_answer(good, "other") is None
    assert kernel_check.parse_answer(good + "\n" + good, "abc") is None  # replayed twice
    assert kernel_check.parse_answer("AUTOGRADER-STATE-abc:{not json", "abc") is None


def test_clean_text_strips_ansi_and_controls():
    assert clean_text("\x1b[31mred\x1b[0m\x07 ok\nsecond line") == "red ok"


def test_error_messages_after_hidden_tests_are_shown_only_when_authored():
    hidden = (
        'assert f(1) == 1, "f(1) must be 1"\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n'
        "### END HIDDEN TESTS"
    )
    meta = {"nbgrader": {"grade": True, "grade_id": "t", "points": 1, "solution": False}}
    cell = new_code_cell(hidden, metadata=meta)
    cell.outputs = [new_output("error", ename="AssertionError", evalue="f(1) must be 1",
                               traceback=[])]  # fmt: skip
    later = new_code_cell("print(1)")
    later.outputs = [new_output("error", ename="ValueError", evalue="assert f(2) == 4",
                                traceback=["assert f(2) == 4"])]  # fmt: skip
    nb = new_notebook(cells=[cell, later])
    errors = execution_errors(nb, nb)
    assert errors[0] == "t: AssertionError: f(1) must be 1"
    assert "f(2)" not in errors[1] and "hidden" in errors[1]
    page_nb, _ = HideHiddenTests().preprocess(nbformat.from_dict(nb), {})
    text = json.dumps(page_nb)
    assert "f(2) == 4" not in text and "f(1) must be 1" in text


def test_only_designed_messages_count_as_authored():
    from autograder.grading import AuthoredMessages

    source = (
        'GOLD = "public example"\n'
        "def check(got):\n"
        '    assert got == GOLD, f"Clause 2: expected {GOLD!r}, got {got!r}"\n'
        "### BEGIN HIDDEN TESTS\n"
        'SECRET = "hidden expected answer 42"\n'
        'assert check("x") is None, "hidden cases must pass"\n'
        "### END HIDDEN TESTS\n"
    )
    messages = AuthoredMessages([source])
    assert "Clause 2: expected 'a', got 'b'" in messages  # an f-string template
    assert "hidden cases must pass" in messages  # a hidden assert's message is meant to show
    assert "public example" in messages  # visible anyway
    assert "hidden expected answer 42" not in messages  # hidden data is never echoed back
    assert "anything the learner made up" not in messages


def test_a_checkout_under_tmp_stays_visible_in_the_sandbox(tmp_path, monkeypatch):
    """The kernel's private /tmp is mounted before the read-only roots, not over them.

    CI may clone the repository (and build its venv) under /tmp; a tmpfs mounted after the
    roots hid them and every kernel died before it started.
    """
    from autograder import sandbox

    root_under_tmp = Path("/tmp/a-checkout/.venv")
    monkeypatch.setattr(sandbox, "readable_roots", lambda: [root_under_tmp])
    manager = sandbox.SandboxKernelManager(sandbox_root=str(tmp_path / "box"))
    args = manager._bwrap(sys.executable)
    shutil.rmtree(manager.run_dir, ignore_errors=True)
    tmpfs = args.index("--tmpfs")
    bind = args.index(str(root_under_tmp))
    assert args[tmpfs + 1] == "/tmp" and tmpfs < bind, args
