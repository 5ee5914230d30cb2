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

from autograder.grading import GradeReport, grade_reference, grade_submission
from autograder.release import generate_release

pytestmark = pytest.mark.slow

MODULE = "module2_evals"
NOTEBOOK = "07_assignment_eval_harness.ipynb"
POINTS = {
    "c1_normalise_tests": 2,
    "c2_exact_match_tests": 2,
    "c3_token_f1_tests": 2,
    "c4_recall_at_k_tests": 1,
    "c5_bootstrap_tests": 2,
    "c6_paired_tests": 3,
    "c7_gate_tests": 3,
    "c8_improvement_tests": 3,
    "c9_cost_tests": 2,
}
MANUAL = {"writeup_answer": 5}

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

# Resamples each run on its own, as for two independent samples; McNemar is right.
UNPAIRED = """
def paired_bootstrap(a, b, *, confidence=0.95, n_resamples=10_000, seed=0):
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or x.shape != y.shape:
        raise ValueError("same non-zero length needed")
    rng = np.random.default_rng(seed)
    mean_a = x[rng.integers(0, len(x), size=(n_resamples, len(x)))].mean(axis=1)
    mean_b = y[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
    deltas = mean_b - mean_a
    alpha = 1 - confidence
    low, high = np.quantile(deltas, [alpha / 2, 1 - alpha / 2])
    p_value = min(1.0, 2 * min(float(np.mean(deltas <= 0)), float(np.mean(deltas >= 0))))
    return Comparison(float(y.mean() - x.mean()), float(low), float(high), p_value)


def mcnemar_exact(a_pass, b_pass):
    x, y = np.asarray(a_pass, dtype=bool), np.asarray(b_pass, dtype=bool)
    if x.size == 0 or x.shape != y.shape:
        raise ValueError("same non-zero length needed")
    a_only, b_only = int(np.sum(x & ~y)), int(np.sum(~x & y))
    n = a_only + b_only
    if n == 0:
        return McNemar(0, 0, 1.0)
    tail = sum(math.comb(n, i) for i in range(min(a_only, b_only) + 1)) / 2**n
    return McNemar(a_only, b_only, min(1.0, 2 * tail))
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


def test_reference_earns_every_autograded_point(source_root, tmp_path):
    report = grade_reference(MODULE, workdir=tmp_path, source_root=source_root)
    assert report.full_auto_marks, report.notebooks[0].errors
    assert autograded_points(report) == POINTS
    assert report.pending_manual == sum(MANUAL.values())  # the write-up waits for a person


def test_untouched_release_scores_zero_without_crashing(source_root, tmp_path):
    release = tmp_path / "release"
    generate_release(MODULE, release, source_root=source_root)
    report = grade(source_root, release, tmp_path / "work")
    assert report.score == 0 and report.pending_manual == 0
    assert set(autograded_points(report)) == set(POINTS)


@pytest.mark.parametrize(
    ("cell", "source", "clause", "message"),
    [
        # exact_match and token_f1 call this normalise too; their tests are ASCII, so they score.
        ("ex1_solution", NO_UNICODE_FOLDING, "c1_normalise_tests", "Clause 1: normalise("),
        ("ex3_solution", OFF_BY_ONE, "c4_recall_at_k_tests", "Clause 4: p3 is third"),
        # The gate calls this paired_bootstrap; it applies its rule to the learner's statistics.
        ("ex5_solution", UNPAIRED, "c6_paired_tests", "resample the items together"),
    ],
    ids=["no-unicode-folding", "recall-off-by-one", "unpaired-bootstrap"],
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
    assert "Clause 8: expected the 95% CI of improved - baseline" in errors
