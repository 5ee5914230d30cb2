"""The grading-time seed: hidden quality checks draw items the repository never held.

A learner who memorises what the source notebook's literal seed produces must lose the points at
grading time; an honest solution must keep them; the key that makes the seed must never reach
the kernel; and the same key must give the same seed, so regrading changes nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import grading_seed
from autograder.grading import grade_reference, grade_submission
from autograder.release import generate_release

MODULE = "seeded_module"
KEY = "k" * 40

SOLUTION = '''\
def forecast(seed):
    """The number the grader's generator draws for this seed."""
    ### BEGIN SOLUTION
    import random
    return random.Random(seed).randint(0, 10**9)
    ### END SOLUTION
'''

TESTS = """\
import random
assert forecast(3) == random.Random(3).randint(0, 10**9), "forecast(3) must match the generator"
### BEGIN HIDDEN TESTS
fresh_seed = 1234  # grading-seed
want = random.Random(fresh_seed).randint(0, 10**9)
got = forecast(fresh_seed)
assert got == want, f"forecast on the grading seed: expected {want}, got {got}"
### END HIDDEN TESTS
"""


def _cell(make, source: str, **grading) -> nbformat.NotebookNode:
    cell = make(source)
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "locked": not grading.get("solution"),
        "solution": False,
        "grade": False,
        **grading,
    }
    return cell


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("source")
    nb = new_notebook(
        cells=[
            _cell(new_markdown_cell, "# Predict the generator", grade_id="intro"),
            _cell(new_code_cell, SOLUTION, grade_id="solution", solution=True),
            _cell(new_code_cell, TESTS, grade_id="tests", grade=True, points=2),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    (root / MODULE).mkdir()
    nbformat.write(nb, root / MODULE / "predict.ipynb")
    return root


@pytest.fixture
def grading_key(monkeypatch) -> str:
    monkeypatch.setenv(grading_seed.KEY_ENV, KEY)
    return KEY


def learner_copy(source_root: Path, folder: Path, solution: str) -> Path:
    generate_release(MODULE, folder, source_root=source_root)
    path = folder / "predict.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "solution":
            cell.source = solution
    nbformat.write(nb, path)
    return folder


def test_marked_lines_get_the_seed_and_nothing_else_changes():
    source = (
        "x = 5  # grading-seed\n    y_2 = 0  # grading-seed\n"
        "z = 5  # not a seed\nw = 5 # grading-seed\n"
    )
    out = grading_seed.inject_seed(source, 99)
    assert out.splitlines() == [
        "x = 99  # grading-seed",
        "    y_2 = 99  # grading-seed",
        "z = 5  # not a seed",
        "w = 5 # grading-seed",
    ]
    assert grading_seed.marked_lines(source) == 2


def test_the_seed_is_stable_for_a_key_and_differs_across_keys_and_notebooks():
    one = grading_seed.grading_seed("m", "a", key=b"x" * 40)
    assert one == grading_seed.grading_seed("m", "a", key=b"x" * 40)
    assert one != grading_seed.grading_seed("m", "a", key=b"y" * 40)
    assert one != grading_seed.grading_seed("m", "b", key=b"x" * 40)
    assert 0 <= one < grading_seed.SEED_MODULUS


def test_a_key_file_is_made_once_with_owner_only_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv(grading_seed.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = grading_seed.grading_key()
    path = grading_seed.key_file()
    assert path.is_relative_to(tmp_path) and len(first) >= 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert grading_seed.grading_key() == first


def test_a_truncated_key_file_is_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(grading_seed.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    grading_seed.key_file().parent.mkdir(parents=True)
    grading_seed.key_file().write_text("short\n")
    with pytest.raises(grading_seed.GradingKeyError, match="delete the file"):
        grading_seed.grading_key()


@pytest.mark.slow
def test_reference_passes_on_the_secret_seed(source_root, grading_key, tmp_path):
    report = grade_reference(MODULE, workdir=tmp_path, source_root=source_root)
    assert (report.auto_score, report.auto_max) == (2.0, 2.0), report.problems


@pytest.mark.slow
def test_memorising_the_source_seed_earns_nothing(source_root, grading_key, tmp_path):
    import random

    memorised = random.Random(1234).randint(0, 10**9)
    solution = (
        "import random\n"
        "def forecast(seed):\n"
        f"    return {memorised} if seed == 1234 else random.Random(seed).randint(0, 10**9)\n"
    )
    # The memorised answer is right for the literal in the source...
    assert grading_seed.grading_seed(MODULE, "predict", KEY.encode()) != 1234
    folder = learner_copy(source_root, tmp_path / "honest", solution)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "w1", source_root=source_root)
    # ...but an honest generator call is what the grading seed rewards: this one is honest too.
    assert report.auto_score == 2.0, report.problems

    visible = random.Random(3).randint(0, 10**9)
    cheat = f"def forecast(seed):\n    return {memorised} if seed != 3 else {visible}\n"
    folder = learner_copy(source_root, tmp_path / "cheat", cheat)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "w2", source_root=source_root)
    assert report.auto_score == 0.0, "a memorised answer must fail on the grading seed"


@pytest.mark.slow
def test_the_key_never_reaches_the_kernel(source_root, tmp_path, monkeypatch):
    monkeypatch.delenv(grading_seed.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    grading_seed.grading_key()  # made on first use, as on an instructor's machine
    snoop = (
        "import os, pathlib\n"
        "def forecast(seed):\n"
        f"    leaked = os.environ.get({grading_seed.KEY_ENV!r})\n"
        f"    key_file = pathlib.Path({str(grading_seed.key_file())!r})\n"
        "    readable = os.access(key_file, os.R_OK)\n"
        "    assert leaked is None and not readable, 'the grading key leaked into the kernel'\n"
        "    import random\n"
        "    return random.Random(seed).randint(0, 10**9)\n"
    )
    folder = learner_copy(source_root, tmp_path / "snoop", snoop)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "w", source_root=source_root)
    assert report.auto_score == 2.0, report.problems


def test_graders_starting_together_agree_on_one_key(tmp_path, monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.delenv(grading_seed.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = list(pool.map(_key_in_child, range(8)))
    assert len(set(keys)) == 1
    assert [p.name for p in grading_seed.key_file().parent.iterdir()] == ["grading.key"]


def _key_in_child(_: int) -> bytes:
    return grading_seed.grading_key()


GUESS_SOLUTION = """def guess():
    \"\"\"Predict the grader's draw.\"\"\"
    ### BEGIN SOLUTION
    return None
    ### END SOLUTION
"""
GUESS_TESTS = """import random
assert guess() is None or True, "guess() runs"
### BEGIN HIDDEN TESTS
fresh_seed = 1234  # grading-seed
want = random.Random(fresh_seed).randint(0, 10**9)
got = guess()
assert got == want, f"expected {want}, got {got}"
### END HIDDEN TESTS
"""
# Each recovers the seed from the running test cell, by a different road.
SEED_THEFTS = {
    "input history": "get_ipython().user_ns['In'][-1]",
    "history manager": "get_ipython().history_manager.input_hist_raw[-1]",
    "spelled by strings": "getattr(get_ipython(), 'user' + '_ns')['I' + 'n'][-1]",
    "kernel request": "get_ipython().kernel.get_parent()['content']['code']",
}


@pytest.fixture(scope="module")
def guess_source(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("guess")
    nb = new_notebook(
        cells=[
            _cell(new_markdown_cell, "# Guess", grade_id="intro"),
            _cell(new_code_cell, GUESS_SOLUTION, grade_id="solution", solution=True),
            _cell(new_code_cell, GUESS_TESTS, grade_id="tests", grade=True, points=2),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    (root / MODULE).mkdir()
    nbformat.write(nb, root / MODULE / "predict.ipynb")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("road", SEED_THEFTS)
def test_reading_the_seed_from_the_running_cell_is_flagged_and_earns_nothing(
    guess_source, grading_key, tmp_path, road
):
    thief = (
        "def guess():\n"
        "    import random, re\n"
        f"    source = {SEED_THEFTS[road]}\n"
        "    seed = int(re.search(r'fresh_seed = (\\d+)', source).group(1))\n"
        "    return random.Random(seed).randint(0, 10**9)\n"
    )
    folder = learner_copy(guess_source, tmp_path / "thief", thief)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "w", source_root=guess_source)
    assert report.auto_score == 0.0, f"{road}: the stolen seed earned points"
    assert report.flags, f"{road}: reading the running cell's source went unflagged"
