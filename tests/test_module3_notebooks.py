"""Module 3's notebooks meet the notebook standard in what the shared checks do not yet cover.

tests/test_notebook_prose.py checks modules 1 and 2 by name; the same detector is applied here
to module 3's sources (markdown states no run-specific figures; computed readings are code cells
that display Markdown, outside grading, committed without outputs). Also: every exercise has a
statement, a solution, a hint that is not the solution, and a test cell whose visible part
asserts before the hidden tests; a hidden quality check draws fresh tasks from a grading seed.
Running, HTTP, release and grading are covered by the suite's per-module tests.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from test_notebook_prose import run_specific_figures

SOURCE = Path(__file__).resolve().parents[1] / "autograder" / "source" / "module3_agents"
NOTEBOOKS = sorted(SOURCE.glob("*.ipynb"))
COMPUTED = {
    "01_tool_calling_from_first_principles.ipynb": [
        "hand-computed",
        "budgets-computed",
        "refund-computed",
        "framework-computed",
        "framework-down-computed",
    ],
    "02_the_support_agent.ipynb": [
        "solve-computed",
        "trajectories-computed",
        "taxonomy-computed",
        "levers-computed",
        "detector-computed",
    ],
}


def _ids(path: Path) -> str:
    return path.name


def test_the_first_two_notebooks_exist():
    assert [p.name for p in NOTEBOOKS][:2] == sorted(COMPUTED), NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_markdown_states_no_run_specific_figures(path):
    nb = nbformat.read(path, as_version=4)
    problems = [
        f"cell {i} ({cell.metadata.get('nbgrader', {}).get('grade_id')}): {figure}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("solution")
        for figure in run_specific_figures(cell.source)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(COMPUTED))
def test_computed_readings_exist_and_stay_out_of_grading(name):
    nb = nbformat.read(SOURCE / name, as_version=4)
    ids = [cell.get("id") for cell in nb.cells]
    assert len(ids) == len(set(ids)), f"{name}: duplicate cell ids"
    by_id = {cell.get("id"): cell for cell in nb.cells}
    for cell_id in COMPUTED[name]:
        cell = by_id.get(cell_id)
        assert cell is not None, f"{name}: the computed reading {cell_id!r} is missing"
        assert cell.cell_type == "code" and "Markdown(" in cell.source, cell_id
        assert "nbgrader" not in cell.metadata, f"{name}: {cell_id!r} must not be graded"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_each_exercise_has_statement_solution_hint_and_a_visible_check(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].metadata.get("tags") == ["parameters"], "the parameters cell comes second"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs saved"
    grades = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    tests = [i for i, g in enumerate(grades) if g.get("grade") and not g.get("solution")]
    assert len(tests) >= 2, f"{path.name}: two or more exercises"
    for i in tests:
        solution, hint, test = nb.cells[i - 2], nb.cells[i - 1], nb.cells[i]
        assert grades[i - 2].get("solution") and "### BEGIN SOLUTION" in solution.source, i
        assert "<summary>Hint</summary>" in hint.source, f"{path.name}: no hint before cell {i}"
        answer = solution.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        longest = max(answer.strip().splitlines(), key=len).strip()
        assert longest not in hint.source, f"{path.name}: the hint quotes the solution: {longest}"
        visible = test.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "assert " in visible and "### END HIDDEN TESTS" in test.source, test.source[:80]
        assert "Exercise" in nb.cells[i - 3].source and "points)" in nb.cells[i - 3].source


def test_the_policy_exercise_is_graded_on_fresh_tasks_from_the_grading_seed():
    nb = nbformat.read(SOURCE / "02_the_support_agent.ipynb", as_version=4)
    grade_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    test = nb.cells[grade_ids.index("ex1_tests")]
    hidden = test.source.split("### BEGIN HIDDEN TESTS")[1]
    assert "  # grading-seed" in hidden and "generate_tasks(fresh_seed" in hidden


def test_the_framework_section_runs_pydantic_ai_against_the_simulator_server():
    nb = nbformat.read(SOURCE / "01_tool_calling_from_first_principles.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from pydantic_ai" in code and "OpenAIChatModel(SIM_MODEL" in code
    assert 'FaultPlan(script=["rate_limit"]' in code and "server.completions_received" in code
    assert "logfire" not in code and "instrument" not in code, "no telemetry from the notebook"


def test_pydantic_ai_retries_out_of_sight_offline_and_quietly():
    """What notebook 01 reads off a run holds for the installed pydantic-ai: it talks to the
    simulator's server offline, lists one request fewer than the server saw after a 429, and
    warns about nothing (any stderr in a notebook fails the suite)."""
    import warnings

    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    from course.config import resolve
    from course.sim import FaultPlan
    from course.sim.server import serve_in_thread

    def order_status(order_id: str) -> str:
        """The status of one order, given its number (such as O-50012)."""
        return "shipped"

    model_id = resolve("sim", None).model
    faults = FaultPlan(script=["rate_limit"], retry_after_s=0.0)
    with warnings.catch_warnings(), serve_in_thread(faults=faults) as server:
        warnings.simplefilter("error")
        provider = OpenAIProvider(base_url=server.base_url, api_key="not-needed")
        agent = Agent(OpenAIChatModel(model_id, provider=provider), tools=[order_status])
        result = agent.run_sync("Where is my order O-50012?")
        seen = server.completions_received
    assert result.usage.requests >= 1 and result.output
    assert seen == result.usage.requests + 1, (seen, result.usage)
