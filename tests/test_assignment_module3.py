"""The module 3 assignment (07 · failure analysis) grades clause by clause, for the right reasons.

What the grader must get right, tested from the outside:

- the reference earns every autograded point and its written analysis waits for a person; the
  untouched release earns nothing and nothing waits;
- a submission with good detectors and nothing else earns exactly the detectors' points;
- a plausible bug costs exactly its clause: a detector that flags every refund loses the refund
  clause, a fix that only asks the agent to be careful loses the fix clause;
- detectors that hard-code the shipped runs' labels, and a fix that finds the answer key at run
  time, earn none of those points: the detectors are scored on runs of tasks generated at grading
  time, and the fix's cell breaks the contract (autograder.contracts), whatever the replay says
  (its frame walking also flags the notebook, so the cells after it wait for a person);
- the contract itself: every way to reach the answer key costs the clause, honest code costs
  nothing.

Gradings are slow (sandboxed, each runs the agent a few hundred times), so each variant is graded
once per module-scoped fixture and only this notebook is in its source tree; the static checks and
the library's error messages are fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from assignment_helpers import (
    autograded_points,
    contract_zeroed,
    single_notebook_source,
    submission_with,
)
from shared_gradings import check_reference, check_untouched_release

from autograder.contracts import CONTRACTS
from autograder.grading import GradeReport, grade_submission
from autograder.paths import release_dir, source_dir
from course.agents import Step, Trajectory
from course.agents.failures import AgentConfig, failure_modes
from course.agents.shop import Outcome
from course.errors import CourseError
from course.evals.failure_analysis import compare_runs, score_detector

MODULE = "module3_agents"
NAME = "07_assignment_failure_analysis"
NOTEBOOK = f"{NAME}.ipynb"
SOURCE = source_dir(MODULE) / NOTEBOOK
RELEASE = release_dir(MODULE) / NOTEBOOK
POINTS = {
    "c1_reliability_tests": 2,
    "c2_unverified_tests": 2,
    "c3_refund_tests": 2,
    "c4_shipped_tests": 2,
    "c5_fix_tests": 4,
    "c6_analysis_precheck": 1,
}
MANUAL = {"analysis_answer": 6}
DETECTORS = {
    "ex2_solution": "c2_unverified_tests",
    "ex3_solution": "c3_refund_tests",
    "ex4_solution": "c4_shipped_tests",
}
SLOW = [pytest.mark.slow, pytest.mark.timeout(1500)]


def cells_by_id(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id")
    }


# ------------------------------------------------------------------------------------------
# The contract, static
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notebooks():
    return nbformat.read(SOURCE, as_version=4), nbformat.read(RELEASE, as_version=4)


def _zeroed(notebooks, replacements: dict[str, str], added: str | None = None) -> set[str]:
    # a cell of the learner's own goes just before the fix's test
    return contract_zeroed(
        MODULE, NAME, notebooks, replacements, added, added_before="c5_fix_tests"
    )


def test_the_reference_breaks_no_rule(notebooks):
    assert _zeroed(notebooks, {}) == set()


def test_every_rule_names_clauses_and_cells_that_exist(notebooks):
    source, _ = notebooks
    ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells}
    for rule in CONTRACTS[(MODULE, NAME)]:
        for cell, clauses in rule.cells.items():
            assert cell in ids and set(clauses) <= set(POINTS), (rule.text, cell, clauses)


_FIX = "FIXED = AgentConfig('fixed', PRODUCTION_SYSTEM, edit_tools=cheat)\n"
FIX_CHEATS = {
    "the caller's frame": "import inspect\n\n\ndef cheat(tools):\n"
    "    task = inspect.currentframe().f_back.f_locals['task']\n    return tools\n\n\n" + _FIX,
    "sys._getframe": "import sys\n\n\ndef cheat(tools):\n"
    "    task = sys._getframe(1).f_locals['task']\n    return tools\n\n\n" + _FIX,
    "a traceback's frames": "def cheat(tools):\n    try:\n        raise ValueError\n"
    "    except ValueError as error:\n"
    "        task = error.__traceback__.tb_frame.f_back.f_locals['task']\n"
    "    return tools\n\n\n" + _FIX,
    "frames through getattr": "def cheat(tools):\n    try:\n        raise ValueError\n"
    "    except ValueError as error:\n        tb = getattr(error, '__traceback__')\n"
    "    return tools\n\n\n" + _FIX,
    "the garbage collector": "import gc\n\n\ndef cheat(tools):\n"
    "    tasks = [o for o in gc.get_objects() if type(o).__name__ == 'Task']\n"
    "    return tools\n\n\n" + _FIX,
    "the task generator": "from course.agents.shop import generate_tasks\n\n\n"
    "def cheat(tools):\n    return tools\n\n\n" + _FIX,
    "the task module": "import course.agents.shop.tasks as t\n\n\n"
    "def cheat(tools):\n    return tools\n\n\n" + _FIX,
    "the checks": "from course.agents.shop import checks\n"
    "checks.policy_violations = lambda *a: []\n\n\ndef cheat(tools):\n    return tools\n\n\n"
    + _FIX,
    "the simulator's error rates": "from course.sim.skills import agent\n"
    "agent.RATES.clear()\n\n\ndef cheat(tools):\n    return tools\n\n\n" + _FIX,
    "a bigger model": "from course.llm import Client\n\n\n"
    "def cheat(tools):\n    return tools\n\n\n" + _FIX,
    "the harness": "GRADING.TEMPERATURE = 0.0\n\n\ndef cheat(tools):\n    return tools\n\n\n"
    + _FIX,
    "the harness by a built name": "globals()['GRA' + 'DING'].K = 1\n\n\n"
    "def cheat(tools):\n    return tools\n\n\n" + _FIX,
}


@pytest.mark.parametrize("source", FIX_CHEATS.values(), ids=FIX_CHEATS.keys())
def test_a_fix_that_reaches_for_the_answer_key_scores_nothing(notebooks, source):
    assert _zeroed(notebooks, {"ex5_solution": source}) == {"c5_fix_tests"}


DETECTOR_CHEATS = {
    "the shipped labels": "def detect_unverified_access(run):\n"
    "    known = dict(zip(runs['task_id'], runs['unverified_access']))\n    return False\n",
    "the harness": "def detect_unverified_access(run):\n"
    "    return bool(GRADING.production(7)[0]['unverified_access'].any())\n",
    "the checks": "from course.agents.shop.checks import policy_violations\n\n\n"
    "def detect_unverified_access(run):\n    return False\n",
    "the scoring function": "from course.evals import failure_analysis as fa\n"
    "fa.score_detector = lambda *a: None\n\n\ndef detect_unverified_access(run):\n"
    "    return True\n",
    "the labelling function": "import course.agents.failures as f\n"
    "f.failure_modes = lambda outcome: dict.fromkeys(f.FAILURE_MODES, True)\n\n\n"
    "def detect_unverified_access(run):\n    return True\n",
}


@pytest.mark.parametrize("source", DETECTOR_CHEATS.values(), ids=DETECTOR_CHEATS.keys())
def test_a_detector_that_reads_labels_scores_nothing(notebooks, source):
    assert _zeroed(notebooks, {"ex2_solution": source}) == {"c2_unverified_tests"}


HARNESS_SWAPS = {
    "a harness of one's own": "class Lenient:\n    K = 2\n\n    def replay(self, *args):\n"
    "        raise SystemExit\n\n\nGRADING = Lenient()\n",
    "the harness deleted": "del GRADING\n",
    "the class replaced": "class GradingHarness:\n    pass\n",
}


@pytest.mark.parametrize("source", HARNESS_SWAPS.values(), ids=HARNESS_SWAPS.keys())
def test_a_cell_that_replaces_the_harness_costs_every_hidden_clause(notebooks, source):
    assert _zeroed(notebooks, {}, added=source) == {*DETECTORS.values(), "c5_fix_tests"}


HONEST = {
    "a guard with its own closure": "import dataclasses\n\n\ndef guard(tools):\n"
    "    by_name = {t.name: t for t in tools}\n\n"
    "    def refund_item(item_id: str, reason: str):\n"
    "        return by_name['refund_item'].function(item_id=item_id, reason=reason)\n\n"
    "    return [dataclasses.replace(t, function=refund_item) if t.name == 'refund_item' else t"
    "\n            for t in tools]\n\n\n"
    "FIXED = AgentConfig('fixed', PRODUCTION_SYSTEM + 'Verify first.', edit_tools=guard)\n",
    "the policy's constants": "from course.agents.shop import POLICY, REFUND_WINDOW_DAYS\n\n"
    "FIXED = AgentConfig('fixed', POLICY + f'Window: {REFUND_WINDOW_DAYS} days.')\n",
    "a comment naming the simulator": "# course.sim is not used; inspect the runs by hand\n"
    "FIXED = AgentConfig('fixed', PRODUCTION_SYSTEM)\n",
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST.keys())
def test_honest_fixes_break_no_rule(notebooks, source):
    assert _zeroed(notebooks, {"ex5_solution": source}) == set()


# ------------------------------------------------------------------------------------------
# The library the harness stands on: clear errors instead of quiet nonsense
# ------------------------------------------------------------------------------------------


def _run(*tools: tuple[str, str, str | None]) -> Trajectory:
    steps = [
        Step(index=i, kind="tool", tool=name, text=text, error=error)
        for i, (name, text, error) in enumerate(tools)
    ]
    return Trajectory(id="t", goal="g", steps=steps, answer="done")


def test_a_detector_must_answer_with_a_bool():
    with pytest.raises(CourseError, match=r"returns True or False; .* returned NoneType"):
        score_detector(lambda run: None, [_run()], [True])
    with pytest.raises(CourseError, match="One label per trajectory"):
        score_detector(lambda run: True, [_run(), _run()], [True])


def test_precision_and_recall_count_what_they_say():
    runs = [_run(("get_order", "{}", None)), _run(), _run(("get_order", "{}", None)), _run()]
    d = score_detector(lambda r: bool(r.tool_calls()), runs, [True, True, False, False])
    assert (d.tp, d.fp, d.fn, d.tn) == (1, 1, 1, 1)
    assert d.precision == 0.5 and d.recall == 0.5
    silent = score_detector(lambda r: False, runs, [True, True, False, False])
    assert silent.precision != silent.precision, "no flags: precision is undefined (nan)"


def test_labels_come_from_the_checks_wording():
    outcome = Outcome(
        "T-1",
        "refund_large",
        False,
        True,
        True,
        ("refunded O-1-1 for EUR 199.00 without escalating (limit 150)",),
        (),
        (),
        (),
    )
    assert failure_modes(outcome) == {
        "unverified_access": False,
        "refund_against_policy": True,
        "changed_a_shipped_order": False,
    }


def _frame(config: str, successes: dict[str, list[bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "config": config,
                "task_id": t,
                "kind": "k",
                "trial": i,
                "success": s,
                "violated": not s,
            }
            for t, row in successes.items()
            for i, s in enumerate(row)
        ]
    )


def test_compare_runs_pairs_tasks_and_estimates_pass_hat_k():
    before = _frame("a", {"T1": [True, False, False], "T2": [True, True, True]})
    after = _frame("b", {"T2": [True, True, False], "T1": [True, True, True]})
    result = compare_runs(before, after, k=2)
    table = result.per_task.set_index("task_id")
    assert table.loc["T1", "a pass^2"] == 0.0 and table.loc["T1", "b pass^2"] == 1.0
    assert table.loc["T2", "b pass^2"] == pytest.approx(1 / 3)
    assert result.pass_hat_k.difference == pytest.approx((1.0 - 2 / 3) / 2)


def test_compare_runs_refuses_mismatched_runs():
    a = _frame("a", {"T1": [True, True]})
    with pytest.raises(CourseError, match="two names"):
        compare_runs(a, a, k=1)
    with pytest.raises(CourseError, match="different tasks"):
        compare_runs(a, _frame("b", {"T9": [True, True]}), k=1)
    with pytest.raises(CourseError, match="n >= k"):
        compare_runs(a, _frame("b", {"T1": [True, True]}), k=3)


def test_a_system_prompt_that_is_not_text_is_a_clear_error():
    from course.agents.failures import run_config
    from course.agents.shop import generate_tasks

    with pytest.raises(CourseError, match="system prompt must be a str"):
        run_config(None, generate_tasks(1, 1), AgentConfig("x", system=None), k=1)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Gradings
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    return single_notebook_source(tmp_path_factory.mktemp("source"), MODULE, NOTEBOOK)


def grade(source_root: Path, folder: Path, workdir: Path) -> GradeReport:
    report = grade_submission(MODULE, folder, workdir=workdir, source_root=source_root)
    assert report.problems == [], report.problems
    return report


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_reference_earns_every_autograded_point(tmp_path_factory):
    # the module's reference, graded once per session (tests/shared_gradings.py)
    check_reference(tmp_path_factory, MODULE, NOTEBOOK, POINTS, MANUAL)


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_untouched_release_scores_zero_without_crashing(tmp_path_factory):
    check_untouched_release(tmp_path_factory, MODULE, NOTEBOOK, POINTS)


@pytest.fixture(scope="module")
def detectors_only(source_root, tmp_path_factory) -> GradeReport:
    """The release with the reference's three detectors filled in, and nothing else."""
    reference = cells_by_id(SOURCE)
    work = tmp_path_factory.mktemp("detectors-only")
    release = work / "release" / NOTEBOOK
    release.parent.mkdir()
    shutil.copyfile(RELEASE, release)
    folder = submission_with(
        release, work / "submission", {cell: reference[cell] for cell in DETECTORS}
    )
    return grade(source_root, folder, work / "work")


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_good_detectors_and_no_fix_earn_exactly_the_detectors_points(detectors_only):
    expected = {
        clause: (POINTS[clause] if clause in DETECTORS.values() else 0) for clause in POINTS
    }
    assert autograded_points(detectors_only) == expected
    (notebook,) = detectors_only.notebooks
    waiting = [c.grade_id for c in notebook.cells if c.needs_manual_grade]
    assert waiting == [], f"no analysis written, nothing for a person to read; got {waiting}"


def shipped_labels() -> dict[str, dict[str, bool]]:
    """The shipped week's labels by a key a detector can compute from a run: what a learner who
    copies the notebook's labels into a table would hand in. Uses the notebook's own harness."""
    namespace: dict = {"provider": "sim", "model": None, "seed": 0, "sample_size": 0}
    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.get("id") == "setup" or grade_id == "harness":
            exec(compile(cell.source, grade_id or "setup", "exec"), namespace)
    runs, trajectories = namespace["GRADING"].production(namespace["PRODUCTION_SEED"])
    table: dict[str, dict[str, bool]] = {}
    for i, run in enumerate(trajectories):
        table[run_key(run)] = {m: bool(runs.loc[i, m]) for m in namespace["MODES"]}
    return table


def run_key(run) -> str:
    calls = [[s.tool, s.arguments] for s in run.tool_calls()]
    return run.goal + json.dumps(calls, sort_keys=True, default=str)


_MEMORISER = """
import json

LABELS = {labels!r}


def {name}(run):
    calls = [[s.tool, s.arguments] for s in run.tool_calls()]
    key = run.goal + json.dumps(calls, sort_keys=True, default=str)
    return LABELS.get(key, {{}}).get({mode!r}, False)
"""

# Finds the task being run through the caller's frame: with it, the guard could do exactly the
# task's changes. The replay may even look good; the contract scores the clause 0 regardless.
_ANSWER_KEY_FIX = """
import inspect


def read_the_answer_key(tools):
    frame = inspect.currentframe().f_back
    task = frame.f_locals.get("task")
    hint = " ".join(str(c) for c in sorted(task.changes)) if task is not None else ""
    return [dataclasses.replace(t, description=t.description + " " + hint) for t in tools]


FIXED = AgentConfig("fixed", system=POLICY_TEXT, edit_tools=read_the_answer_key)
"""


@pytest.fixture(scope="module")
def hard_coded(source_root, tmp_path_factory) -> GradeReport:
    """The reference with memorised detectors and a fix that reads the answer key."""
    labels = shipped_labels()
    modes = {
        "ex2_solution": ("detect_unverified_access", "unverified_access"),
        "ex3_solution": ("detect_refund_against_policy", "refund_against_policy"),
        "ex4_solution": ("detect_changed_shipped_order", "changed_a_shipped_order"),
    }
    replacements = {
        cell: _MEMORISER.format(
            labels={k: {mode: v[mode]} for k, v in labels.items()}, name=name, mode=mode
        )
        for cell, (name, mode) in modes.items()
    }
    replacements["ex5_solution"] = (
        "from course.agents.shop import POLICY as POLICY_TEXT\n" + _ANSWER_KEY_FIX
    )
    work = tmp_path_factory.mktemp("hard-coded")
    folder = submission_with(SOURCE, work / "submission", replacements)
    return grade(source_root, folder, work / "work")


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_hard_coded_labels_and_a_peek_at_the_answer_key_earn_no_hidden_point(hard_coded):
    got = autograded_points(hard_coded)
    hidden = [*DETECTORS.values(), "c5_fix_tests"]
    assert {c: got[c] for c in hidden} == dict.fromkeys(hidden, 0), got
    assert got["c1_reliability_tests"] == POINTS["c1_reliability_tests"], "untouched: kept"
    (notebook,) = hard_coded.notebooks
    errors = "\n".join(notebook.errors)
    assert "recall 0.00" in errors, errors[:2000]
    cells = {c.grade_id: c for c in notebook.cells}
    fix = cells["c5_fix_tests"].reason or ""
    assert "contract" in fix and "inspect" in fix, fix
    # Walking frames is tampering the grader's static scan also sees: the notebook is flagged
    # and the test cells after it wait for a person instead of scoring.
    assert any("f_back" in flag for flag in notebook.flags), notebook.flags
    assert (cells["c6_analysis_precheck"].reason or "").startswith("held for a person"), cells[
        "c6_analysis_precheck"
    ].reason


# Flags every run with a successful refund: right about refunds, wrong about the policy.
EVERY_REFUND = """
def detect_refund_against_policy(run: Trajectory) -> bool:
    return any(s.tool == "refund_item" and s.error is None for s in run.tool_calls())
"""

# Production's prompt with a plea to be careful: nothing the analysis points at.
BE_CAREFUL = """
FIXED = AgentConfig(
    "fixed", PRODUCTION_SYSTEM + "Be careful and always follow the shop's policy.\\n"
)
"""


@pytest.fixture(scope="module")
def plausible_bugs(source_root, tmp_path_factory) -> GradeReport:
    work = tmp_path_factory.mktemp("plausible-bugs")
    folder = submission_with(
        SOURCE, work / "submission", {"ex3_solution": EVERY_REFUND, "ex5_solution": BE_CAREFUL}
    )
    return grade(source_root, folder, work / "work")


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_a_lazy_detector_and_a_cosmetic_fix_cost_exactly_their_clauses(plausible_bugs):
    assert autograded_points(plausible_bugs) == {**POINTS, "c3_refund_tests": 0, "c5_fix_tests": 0}
    (notebook,) = plausible_bugs.notebooks
    errors = "\n".join(notebook.errors)
    assert "Exercise 3: expected precision and recall >= 0.8" in errors, errors[:2000]
    assert "Exercise 5: expected" in errors, errors[:2000]
    assert not notebook.flags, notebook.flags


def test_the_method_notebooks_graded_fix_is_measured_on_fresh_tasks():
    """Notebook 06's descriptions exercise is graded by its effect on tasks drawn from the
    grading seed, never on the notebook's own sample."""
    hidden = cells_by_id(source_dir(MODULE) / "06_failure_analysis_method.ipynb")["ex2_tests"]
    hidden = hidden.split("### BEGIN HIDDEN TESTS")[1]
    assert "  # grading-seed" in hidden and "generate_tasks(fresh_seed" in hidden
    assert "gain_h.low > 0" in hidden
