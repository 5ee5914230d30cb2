"""Module 2's assignment: a solver may not build the grading harness's counted clients itself."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.contracts import check_notebook, zeroed

ROOT = Path(__file__).resolve().parents[1]
MODULE, NAME = "module2_evals", "07_assignment_eval_harness"
SOLVER_CLAUSES = {"c8_improvement_tests", "c9_cost_tests"}


def zeroed_by(solver_source: str) -> set[str]:
    source = nbformat.read(ROOT / "autograder" / "source" / MODULE / f"{NAME}.ipynb", 4)
    release = nbformat.read(ROOT / MODULE / f"{NAME}.ipynb", 4)
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex7_solution":
            cell.source = solver_source
    return set(zeroed(check_notebook(MODULE, NAME, source, release)))


@pytest.mark.parametrize(
    "solver",
    [
        "from course.evals.counted import PrivateClients\n\n\n"
        "def improved_solver(query, client, handbook):\n"
        "    own = PrivateClients('x', feature='x').client('x')\n"
        "    return own.complete(query.question).text\n",
        "import course.evals.counted as c\n\n\n"
        "def improved_solver(query, client, handbook):\n"
        "    with c.metered_simulator():\n"
        "        return client.complete(query.question).text\n",
    ],
    ids=["its clients", "its meter"],
)
def test_a_solver_that_uses_the_counted_clients_scores_nothing(solver):
    assert zeroed_by(solver) == SOLVER_CLAUSES


def test_a_solver_that_uses_the_client_it_was_given_keeps_its_clauses():
    honest = (
        "def improved_solver(query, client, handbook):\n"
        "    hits = handbook.bm25.search(query.question, k=4)\n"
        "    context = '\\n'.join(handbook.chunk_by_id[h.chunk_id].text for h in hits)\n"
        "    return client.complete(f'{context}\\n\\n{query.question}', max_tokens=150).text\n"
    )
    assert zeroed_by(honest) == set()
