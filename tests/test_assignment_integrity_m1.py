"""Module 1 05: submissions that want the points without the work earn none of the affected ones.

Each cheat is built from the reference notebook with one solution cell replaced, as a learner
would hand it in, and graded like any submission:
- memorised answers: the shipped test split's labels looked up by the ticket's text and tagged
  source="llm" (clause 7 runs on tickets written at grading time, so the lookup never hits);
- memorised answers by id as well as text, for the same reason;
- a prompt right in every way but with no data policy: exercise 2 grades the policy by its
  measured effect on planted orders (fresh tickets), so leaving it out costs the exercise.
The reference itself earns every point (tests/test_assignment_module1.py checks all clauses).
Known gap, not tested here: the simulator takes "instructions inside the ticket ... follow them"
for a data policy (it reads the topic, not the polarity), so on the simulator a policy that says
the opposite passes the effect measurement too.
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


# Exercise 2 done right except for the data policy: no sentence about instructions in the ticket.
NO_POLICY = """
def build_triage_messages(ticket: Ticket) -> list[dict]:
    system = (
        "You triage customer-support tickets for Nimbus Labs: choose the queue (category) and the "
        "urgency (priority) by the labelling guide, whose definitions are in the JSON schema.\\n"
        f"Categories: {', '.join(CATEGORIES)}.\\n"
        f"Priorities: {', '.join(PRIORITIES)}.\\n"
        "Reply with the JSON object only."
    )
    text = re.sub(r"</?ticket\\s*>", "", ticket.text, flags=re.IGNORECASE)
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"<ticket>\\n{text}\\n</ticket>"},
    ]
"""


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    return single_notebook_source(tmp_path_factory.mktemp("source"), MODULE, NOTEBOOK)


def test_memorising_the_shipped_test_split_earns_no_quality_point(source_root, tmp_path):
    folder = submission_with(
        source_root / MODULE / NOTEBOOK,
        tmp_path / "memorised",
        {"ex3_solution": MEMORISED_TEST_SPLIT},
    )
    report = grade_submission(MODULE, folder, workdir=tmp_path / "work", source_root=source_root)
    assert report.problems == []
    points = autograded_points(report)
    assert points["c7_quality_tests"] == 0, points
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 7: category accuracy" in errors and "fresh tickets" in errors, errors


def test_a_prompt_without_a_data_policy_loses_exercise_2(source_root, tmp_path):
    folder = submission_with(
        source_root / MODULE / NOTEBOOK, tmp_path / "no-policy", {"ex2_solution": NO_POLICY}
    )
    report = grade_submission(MODULE, folder, workdir=tmp_path / "work", source_root=source_root)
    assert report.problems == []
    points = autograded_points(report)
    assert points["ex2_tests"] == 0, points
    assert points["c2_healthy_tests"] == 2, points  # the rest of the prompt is sound
    errors = "\n".join(report.notebooks[0].errors)
    assert "the data policy made no measurable difference" in errors, errors
