"""The module 1 assignment (05 · ship a feature) grades clause by clause, for the right reasons.

Each grading runs only this notebook (a source tree holding just it), so the file stays fast:
the reference earns every autograded point, the untouched release none, a submission that
is right when healthy but lets StructuredOutputError and BudgetExceeded escape earns exactly
the clauses it meets, and one fitted to the visible checks fails the hidden accuracy clause.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from assignment_helpers import autograded_points, single_notebook_source, submission_with
from shared_gradings import check_reference, check_untouched_release

from autograder.grading import grade_submission

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # may wait for a whole module grading

MODULE = "module1_llm_features"
NOTEBOOK = "05_assignment_ship_a_feature.ipynb"
POINTS = {
    "ex1_tests": 2,
    "ex2_tests": 2,
    "c1_total_tests": 2,
    "c2_healthy_tests": 2,
    "c3_fallback_tests": 2,
    "c4_traced_tests": 2,
    "c5_rerun_tests": 1,
    "c6_budget_tests": 2,
    "c7_quality_tests": 2,
    "failures_tests": 3,
    "decision_tests": 3,
}
MANUAL = {"decision_answer": 3, "rollout_answer": 3, "byo_answer": 2}  # byo: optional extra credit
SOLUTION = "ex3_solution"  # the cell holding triage_ticket

# Right when the provider is healthy or merely flaky; wrong on everything else: a malformed
# answer, a refusal or a 400 (StructuredOutputError, BadRequest) and a budget stop escape.
ONLY_TRANSIENT = """
def _result(label, source, attempts):
    return TriageResult(category=label.category, priority=label.priority, source=source,
                        attempts=attempts)


def triage_ticket(ticket: Ticket, client: Client, *, fallback: Triage) -> TriageResult:
    if not (ticket.subject.strip() or ticket.body.strip()):
        return _result(fallback.predict(ticket.text), "fallback", 0)
    try:
        response = client.complete(build_triage_messages(ticket), response_model=TriageAnswer,
                                   max_tokens=60)
    except TransientError as error:
        rows = client.calls()
        sent = rows.loc[rows["call_id"] == error.call_id, "status"].isin(["ok", "error"]).sum()
        return _result(fallback.predict(ticket.text), "fallback", int(sent))
    return _result(response.parsed, "llm", response.attempts)
"""

# Fitted to what the learner can see: the dev split's gold labels, memorised; anything else
# gets a lazy prompt (label names only, no definitions).
FITTED_TO_DEV = """
_MEMORISED = {t.text: t for t in load_tickets("dev")}


class _NamesOnly(BaseModel):
    category: Category
    priority: Priority


def triage_ticket(ticket: Ticket, client: Client, *, fallback: Triage) -> TriageResult:
    known = _MEMORISED.get(ticket.text)
    schema = TriageAnswer if known else _NamesOnly
    try:
        response = client.complete(build_triage_messages(ticket), response_model=schema,
                                   max_tokens=60)
    except LLMError:
        label = fallback.predict(ticket.text)
        return TriageResult(category=label.category, priority=label.priority, source="fallback",
                            attempts=0)
    answer = known or response.parsed
    return TriageResult(category=answer.category, priority=answer.priority, source="llm",
                        attempts=response.attempts)
"""


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    return single_notebook_source(tmp_path_factory.mktemp("source"), MODULE, NOTEBOOK)


def submission(source_root: Path, folder: Path, triage_source: str) -> Path:
    """The reference notebook with `triage_ticket` replaced, as a learner would hand it in."""
    return submission_with(source_root / MODULE / NOTEBOOK, folder, {SOLUTION: triage_source})


def test_reference_earns_every_autograded_point(tmp_path_factory):
    # the module's reference, graded once per session (tests/shared_gradings.py)
    check_reference(tmp_path_factory, MODULE, NOTEBOOK, POINTS, MANUAL)


def test_untouched_release_scores_zero_without_crashing(tmp_path_factory):
    check_untouched_release(tmp_path_factory, MODULE, NOTEBOOK, POINTS)


def test_partial_submission_earns_exactly_the_clauses_it_meets(source_root, tmp_path):
    folder = submission(source_root, tmp_path / "partial", ONLY_TRANSIENT)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "work", source_root=source_root)
    assert report.problems == []
    assert autograded_points(report) == {
        **POINTS,
        "c1_total_tests": 0,  # a refusal (StructuredOutputError) escapes
        "c3_fallback_tests": 0,  # malformed answers on a bad day escape
        "c6_budget_tests": 0,  # BudgetExceeded escapes
    }
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 1" in errors and "raised StructuredOutputError" in errors
    assert "Clause 6" in errors and "raised BudgetExceeded" in errors


def test_fitting_the_visible_checks_fails_the_hidden_accuracy_clause(source_root, tmp_path):
    folder = submission(source_root, tmp_path / "fitted", FITTED_TO_DEV)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "work", source_root=source_root)
    assert report.problems == []
    assert autograded_points(report)["c7_quality_tests"] == 0
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 7: category accuracy" in errors  # visible dev check passed, hidden split did not
