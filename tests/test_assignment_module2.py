"""The module 2 assignment (07 · the eval harness) grades clause by clause, for the right reasons.

Each grading runs only this notebook (a source tree holding just it), so the file stays fast:
the reference earns every autograded point, the untouched release none, and each plausible bug
costs exactly the clause it breaks, asserted per grade id: a normalise without Unicode folding
loses clause 1 (and not the scorers built on it), a recall@k that reads one id too many loses
clause 4, a paired bootstrap that resamples the two runs independently loses clause 6 (and not
the gate built on it), and a cosmetic "improvement" loses clause 8 (and not the cost clause).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from assignment_helpers import autograded_points, single_notebook_source, submission_with
from shared_gradings import check_reference, check_untouched_release

from autograder.grading import GradeReport, grade_submission

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # may wait for a whole module grading

MODULE = "module2_evals"
NOTEBOOK = "07_assignment_eval_harness.ipynb"
POINTS = {
    "c1_normalise_tests": 2,
    "c2_exact_match_tests": 2,
    "c3_token_f1_tests": 2,
    "c4_recall_at_k_tests": 1,
    "c5_judge_tests": 3,
    "c8_improvement_tests": 3,
    "c9_cost_tests": 2,
}
MANUAL = {"ship_answer": 3, "writeup_answer": 5}

# Lower-cases and strips ASCII punctuation only: right on ASCII text, wrong on "ﬁ", "Straße",
# full-width letters, curly quotes and zero-width spaces.
NO_UNICODE_FOLDING = """
def normalise(text) -> str:
    if text is None:
        return ""
    text = "".join(ch for ch in str(text).lower() if ch not in string.punctuation)
    text = re.sub(r"\\b(?:a|an|the)\\b", " ", text)
    return " ".join(text.split())
"""

# Reads ranks 0..k, one id more than the first k.
OFF_BY_ONE = """
def recall_at_k(retrieved, gold, k):
    if k < 1:
        raise ValueError("k must be at least 1")
    gold = set(gold)
    if not gold:
        return math.nan
    found = {passage for rank, passage in enumerate(retrieved) if rank <= k and passage in gold}
    return len(found) / len(gold)
"""

# One line that names no failure: the judge then passes wrong, superseded and invented answers.
VAGUE_RUBRIC = """
JUDGE_RUBRIC = "The output answers the question well."
"""

# The baseline reworded, plus a request for citations: nothing the error analysis points at.
COSMETIC = """
COSMETIC_SYSTEM = (
    "You are a helpful assistant. Answer the question about the Northwind Cloud handbook from the "
    "passages in the context. Cite the passage id in square brackets after each sentence."
)


def improved_solver(query, client, handbook):
    hits = handbook.bm25.search(query.question, k=8)
    chunk = handbook.chunk_by_id
    passages = "\\n\\n".join(f"[{hit.chunk_id}] {chunk[hit.chunk_id].text}" for hit in hits)
    reply = client.complete(f"Context:\\n{passages}\\n\\nQuestion: {query.question}",
                            system=COSMETIC_SYSTEM, max_tokens=150)
    return reply.text or ""
"""


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    return single_notebook_source(tmp_path_factory.mktemp("source"), MODULE, NOTEBOOK)


def submission(source_root: Path, folder: Path, replacements: dict[str, str]) -> Path:
    """The reference notebook with some solution cells replaced, as a learner would hand it in."""
    return submission_with(source_root / MODULE / NOTEBOOK, folder, replacements)


def grade(source_root: Path, folder: Path, workdir: Path) -> GradeReport:
    report = grade_submission(MODULE, folder, workdir=workdir, source_root=source_root)
    assert report.problems == []
    return report


def test_reference_earns_every_autograded_point(tmp_path_factory):
    # the module's reference, graded once per session (tests/shared_gradings.py)
    check_reference(tmp_path_factory, MODULE, NOTEBOOK, POINTS, MANUAL)


def test_untouched_release_scores_zero_without_crashing(tmp_path_factory):
    check_untouched_release(tmp_path_factory, MODULE, NOTEBOOK, POINTS)


@pytest.mark.parametrize(
    ("cell", "source", "clause", "message"),
    [
        # exact_match and token_f1 call this normalise too; their tests are ASCII, so they score.
        ("ex1_solution", NO_UNICODE_FOLDING, "c1_normalise_tests", "Clause 1: normalise("),
        ("ex3_solution", OFF_BY_ONE, "c4_recall_at_k_tests", "Clause 4: p3 is third"),
        (
            "ex4_solution",
            VAGUE_RUBRIC,
            "c5_judge_tests",
            "Clause 5: expected TPR >= 0.80 and TNR >= 0.55",
        ),
    ],
    ids=["no-unicode-folding", "recall-off-by-one", "vague-judge-rubric"],
)
def test_a_bug_costs_exactly_its_clause(source_root, tmp_path, cell, source, clause, message):
    folder = submission(source_root, tmp_path / "buggy", {cell: source})
    report = grade(source_root, folder, tmp_path / "work")
    assert autograded_points(report) == {**POINTS, clause: 0}
    assert message in "\n".join(report.notebooks[0].errors)


def test_a_cosmetic_change_fails_only_the_improvement_clause(source_root, tmp_path):
    folder = submission(source_root, tmp_path / "cosmetic", {"ex7_solution": COSMETIC})
    report = grade(source_root, folder, tmp_path / "work")
    # Cheap enough, so clause 9 holds; only the improvement clause is lost.
    assert autograded_points(report) == {**POINTS, "c8_improvement_tests": 0}
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 6: expected the 95% CI of improved - baseline" in errors
