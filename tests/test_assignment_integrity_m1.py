"""Module 1 05: submissions that want the points without the work earn none of the affected ones.

Each cheat is built from the reference notebook with one solution cell replaced, as a learner
would hand it in, and graded like any submission:
- memorised answers: the shipped test split's labels looked up by the ticket's text and tagged
  source="llm" (clause 7 runs on tickets written at grading time, so the lookup never hits);
- memorised answers by id as well as text, for the same reason;
- a data policy that is only words the simulator is known to react to, appended to a prompt whose
  ticket block is missing: exercise 2 grades the policy by its measured effect on planted orders,
  and a prompt without the block fails the structural checks regardless of its word list.
The reference itself earns clause 7 (tests/test_assignment_module1.py checks all clauses).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from assignment_helpers import autograded_points, single_notebook_source, submission_with

from autograder.grading import grade_submission

pytestmark = pytest.mark.slow

MODULE = "module1_llm_features"
NOTEBOOK = "05_assignment_ship_a_feature.ipynb"

# Looks the ticket up in the shipped test split and answers with its gold labels; anything it
# does not know gets a one-line prompt with label names only.
MEMORISED_TEST_SPLIT = """
_KEY = {t.text: t for t in load_tickets("test")}
_KEY_BY_ID = {t.id: t for t in load_tickets("test")}


class _Bare(BaseModel):
    category: Category
    priority: Priority


def triage_ticket(ticket: Ticket, client: Client, *, fallback: Triage) -> TriageResult:
    if not (ticket.subject.strip() or ticket.body.strip()):
        label = fallback.predict(ticket.text)
        return TriageResult(category=label.category, priority=label.priority, source="fallback",
                            attempts=0)
    try:
        response = client.complete(build_triage_messages(ticket), response_model=_Bare,
                                   temperature=0, max_tokens=60)
    except LLMError:
        label = fallback.predict(ticket.text)
        return TriageResult(category=label.category, priority=label.priority, source="fallback",
                            attempts=0)
    known = _KEY.get(ticket.text) or _KEY_BY_ID.get(ticket.id)
    answer = known or response.parsed
    return TriageResult(category=answer.category, priority=answer.priority, source="llm",
                        attempts=response.attempts)
"""


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    return single_notebook_source(tmp_path_factory.mktemp("source"), MODULE, NOTEBOOK)


def test_memorising_the_shipped_test_split_earns_no_quality_point(source_root, tmp_path):
    folder = submission_with(source_root / MODULE / NOTEBOOK, tmp_path / "memorised",
                             {"ex3_solution": MEMORISED_TEST_SPLIT})
    report = grade_submission(MODULE, folder, workdir=tmp_path / "work", source_root=source_root)
    assert report.problems == []
    points = autograded_points(report)
    assert points["c7_quality_tests"] == 0, points
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 7: category accuracy" in errors and "fresh tickets" in errors, errors
