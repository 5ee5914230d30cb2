"""Notebook prose states no run-specific numbers or verdicts; the run computes them.

Every number a notebook's markdown states about a run (an accuracy, a p-value, an interval,
"TF-IDF wins on every axis", "phrasing 5 won on dev by +0.039") goes stale the moment the
simulator, the seed or the provider changes, and then the prose contradicts the table printed
above it. So those readings live in code cells that build the sentence from the run's variables
(IPython.display.Markdown with f-strings), and markdown keeps only the teaching: why, how to read
it, the interview framing.

This is a cheap static check over the instructor sources of modules 1 and 2. It flags markdown
that carries the shapes run-specific figures take (signed decimals such as +0.099, "p = 0.002",
"CI -0.026 to +0.096", "+10%", "about 17 times as much", "(this run: ...)") and the verdicts once
written by hand. Ordinary teaching numbers pass: "three seeds", "100 columns", "k = 60", "p95",
"alpha = 0.05", "20% of attempts a 429". It also checks that the computed readings exist and stay
out of grading.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.paths import source_notebooks

SOURCE = Path(__file__).resolve().parents[1] / "autograder" / "source"
NOTEBOOKS = source_notebooks()  # every module's, so a new module is checked from its first day

# Shapes a run-specific figure takes in prose. Each is a reason a sentence would go stale.
RUN_SPECIFIC = {
    "a run label such as '(this run: the simulator, seed 0, ...)'": re.compile(
        r"\(this run\b|\bthis run\s*:|\(the simulator, seed\b", re.IGNORECASE
    ),
    "a signed decimal such as +0.099 or −0.026 (a measured difference)": re.compile(
        r"(?<![\w.])[+−-]\d*\.\d+"
    ),
    "a stated p-value such as 'p = 0.002'": re.compile(r"\bp\s*(?:=|<|≤)\s*\d*\.\d+"),
    "a stated confidence interval such as 'CI +0.036 to +0.159'": re.compile(
        r"\bCI\s*(?:of\s*)?[+−-]?\d*\.\d+"
    ),
    "a signed percentage such as '+10%' (a measured change)": re.compile(
        r"(?<![\w.])[+−-]\d+(?:\.\d+)?\s?%"
    ),
    "a measured ratio such as 'about 17 times as much'": re.compile(
        r"\b(?:\d+(?:\.\d+)?|two|three|four|five|ten|twenty)(?: and a half)?\s+times\s+as\s+"
        r"(?:much|long|many|expensive|fast)",
        re.IGNORECASE,
    ),
}

# Verdicts that were once written by hand after a results table. They must come from the run.
HAND_WRITTEN_VERDICTS = re.compile(
    "|".join(
        re.escape(phrase)
        for phrase in (
            "wins on every axis",
            "roughly doubles",
            "roughly halves",
            "won on dev by",
            "holds on test",
            "Every raw pass rate sits to the right",
            "misses the truth entirely",
            "The judge passes more than the humans",
            "may well be something else",
            "the dear tier sits up and to the right",
            "hybrid beats BM25 by",
            "Every obeyed attack was caught",
            "every one that obeyed is flagged",
            "Ship TF-IDF + logistic regression for both fields",
            "More passages: no significant change",
        )
    ),
    re.IGNORECASE,
)

# Markdown allowed to state measured numbers, and why.
ALLOWED = {
    ("module2_evals", "07_assignment_eval_harness.ipynb", "contract"): (
        "the published bar: measured by the instructor on the hidden test split before release; "
        "the notebook cannot recompute it without loading that split"
    ),
}

# The computed readings that replaced hand-written ones: (module, notebook) -> code cell ids.
COMPUTED = {
    ("module1_llm_features", "00_orientation_and_setup.ipynb"): ["first-call-computed"],
    ("module1_llm_features", "01_first_calls_logged.ipynb"): ["tiers-computed"],
    ("module1_llm_features", "02_ticket_triage.ipynb"): [
        "comparison-verdict",
        "ablation-verdict",
        "recommendation-computed",
    ],
    ("module1_llm_features", "03_hardening.ipynb"): ["protections-computed"],
    ("module1_llm_features", "04_guardrails_and_rollback.ipynb"): [
        "redaction-computed",
        "compliance-computed",
        "checks-computed",
        "redteam-computed",
        "refund-computed",
        "versions-computed",
    ],
    ("module1_llm_features", "05_assignment_ship_a_feature.ipynb"): ["rehearsal-computed"],
    ("module2_evals", "01_ground_truth.ipynb"): ["split-computed"],
    ("module2_evals", "02_scorers_and_judges.ipynb"): [
        "outputs-computed",
        "leniency-computed",
        "rubrics-computed",
        "bias-computed",
        "report-computed",
    ],
    ("module2_evals", "03_the_harness.ipynb"): [
        "faults-computed",
        "overlap-computed",
        "pairing-computed",
        "needed-computed",
        "gates-computed",
        "nights-computed",
        "menu-computed",
    ],
    ("module2_evals", "04_retrieval.ipynb"): [
        "paired-computed",
        "by-type-computed",
        "diagnosis-computed",
    ],
    ("module2_evals", "05_vector_index_tradeoffs.ipynb"): [
        "sweep-computed",
        "e2e-computed",
        "scaled-computed",
        "per-vector-computed",
        "request-computed",
    ],
    ("module2_evals", "06_iterate_until_the_metric_moves.ipynb"): [
        "buckets-computed",
        "aa-computed",
        "log-computed",
        "abstain-computed",
        "interaction-computed",
        "trap-computed",
        "final-computed",
    ],
    ("module2_evals", "07_assignment_eval_harness.ipynb"): ["rehearsal-computed"],
}


def run_specific_figures(text: str) -> list[str]:
    """Each run-specific figure or hand-written verdict in `text`, with why it is flagged."""
    found = [
        f"{reason}: {match.group(0)!r}"
        for reason, pattern in RUN_SPECIFIC.items()
        for match in pattern.finditer(text)
    ]
    found += [
        f"a hand-written verdict: {m.group(0)!r}" for m in HAND_WRITTEN_VERDICTS.finditer(text)
    ]
    return found


def _key(path: Path) -> tuple[str, str]:
    return path.parent.name, path.name


@pytest.mark.parametrize(
    "text",
    [
        "* **titles=True: +0.099 (CI +0.036 to +0.159, p = 0.002, McNemar p = 0.001): adopted.**",
        "### Recommendation (this run: the simulator, seed 0, 60 dev tickets)",
        "The larger tier costs about 17 times as much per ticket for no clear gain in accuracy.",
        "On the simulator the TF-IDF baseline wins on every axis: it is more accurate.",
        "In this run phrasing 5 won on dev by +0.039, not significant",
        "It costs $0.137 per 1,000 questions against the baseline's $0.125 (+10%)",
        "is not significant (p = 0.11), so the gate lets it through",
        "Each defence roughly halves compliance",
    ],
)
def test_the_detector_flags_run_specific_prose(text):
    assert run_specific_figures(text), f"the detector should flag: {text!r}"


@pytest.mark.parametrize(
    "text",
    [
        "Every comparison below uses three seeds, and lines stay within 100 columns.",
        "with $k = 60$ the agreement wins (2/63 > 1/61)",
        "p50/p95 latency by feature; a 95% interval is roughly ±1.96·√(p(1−p)/n).",
        "return True when z is greater than the (1 - alpha) quantile (1.645 for alpha = 0.05)",
        "A FaultPlan makes 20% of attempts a 429 (with `Retry-After: 1`), 10% hang",
        "θ = (p_obs + TNR − 1) / (TPR + TNR − 1); with TPR 0.9 and TNR 0.6, p_obs = 0.65",
        "The computed reading above is this run's; the next run may read differently.",
    ],
)
def test_the_detector_allows_teaching_numbers(text):
    assert not run_specific_figures(text), run_specific_figures(text)


def test_the_notebooks_exist():
    assert len(NOTEBOOKS) >= 13, f"expected the module 1 and 2 sources in {SOURCE}: {NOTEBOOKS}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_markdown_states_no_run_specific_figures(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "markdown" or grading.get("solution"):
            continue  # a written answer is the learner's; its reference solution is an example
        if (*_key(path), grading.get("grade_id")) in ALLOWED:
            continue
        problems += [
            f"cell {index} ({grading.get('grade_id')}): {figure}"
            for figure in run_specific_figures(cell.source)
        ]
    assert not problems, (
        f"{path.relative_to(SOURCE)} states run-specific numbers in markdown; compute the sentence "
        "in a code cell from the run's variables (IPython.display.Markdown with an f-string, one "
        "branch per outcome) and keep only the teaching in markdown:\n  " + "\n  ".join(problems)
    )


@pytest.mark.parametrize("key", sorted(COMPUTED), ids=lambda k: f"{k[0]}/{k[1]}")
def test_computed_readings_exist_and_stay_out_of_grading(key):
    nb = nbformat.read(SOURCE / key[0] / key[1], as_version=4)
    ids = [cell.get("id") for cell in nb.cells]
    assert len(ids) == len(set(ids)), f"{key[1]}: duplicate cell ids"
    by_id = {cell.get("id"): cell for cell in nb.cells}
    for cell_id in COMPUTED[key]:
        cell = by_id.get(cell_id)
        assert cell is not None, f"{key[1]}: the computed reading {cell_id!r} is missing"
        assert cell.cell_type == "code" and "Markdown(" in cell.source, (
            f"{key[1]}: {cell_id!r} must be a code cell that displays Markdown built from the run"
        )
        assert "nbgrader" not in cell.metadata, (
            f"{key[1]}: {cell_id!r} is prose, not a graded cell; remove its nbgrader metadata"
        )
        assert not cell.get("outputs"), f"{key[1]}: {cell_id!r} is committed with outputs"
