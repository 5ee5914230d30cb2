"""Module 2 assignment (07): submissions that want the points without the work get none of them.

Three mechanisms, each tested from the outside with submissions written the way a learner who
games the grader would write them:

- the quality clauses (8, 9) run on a handbook generated at grading time from a seed that is not
  in the repository (course.data.fresh_handbook), so a copy of the shipped answers is worth
  nothing;
- the contract's "no course.evals, no scipy" and the solver's rules are checked in the code the
  learner wrote (autograder.contracts), whatever the disguise: aliases, attribute chains,
  importlib, __import__, sys.modules, getattr with a built name, a helper in another cell;
- every call is counted at the simulator, so a private client (a bigger model) is seen.

The static and data checks are fast; the graded submissions are marked slow.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from assignment_helpers import (
    autograded_points,
    contract_zeroed,
    single_notebook_source,
    submission_with,
)

from autograder.contracts import CONTRACTS
from autograder.grading import grade_submission
from course.data.fresh_handbook import FIRST_ID, fresh_handbook
from course.data.handbook import NOT_IN_HANDBOOK, contains_fact, load_corpus, load_qa
from course.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]
MODULE, NAME = "module2_evals", "07_assignment_eval_harness"
SOURCE = ROOT / "autograder" / "source" / MODULE / f"{NAME}.ipynb"
RELEASE = ROOT / MODULE / f"{NAME}.ipynb"
SCORERS = ("c1_normalise_tests", "c2_exact_match_tests", "c3_token_f1_tests")
SOLVER = ("c8_improvement_tests", "c9_cost_tests")


def _right(question, answer: str) -> bool:
    """The notebook's answer metric, restated: key facts present, no stale value; or abstention."""
    if not question.answerable:
        return bool(re.search(r"not stated in the handbook|\bdon't know\b", answer, re.IGNORECASE))
    stale = question.outdated_answer and contains_fact(answer, question.outdated_answer)
    return all(contains_fact(answer, fact) for fact in question.key_facts) and not stale


# ------------------------------------------------------------------------------------------
# The held-out handbook
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def held_out():
    return [fresh_handbook(seed) for seed in (3, 77, 2**31 - 2)]


def test_memorised_answers_are_right_for_no_generated_question(held_out):
    shipped = load_qa()
    by_text = {q.question.casefold(): q.answer for q in shipped}
    for book in held_out:
        for q in book.questions:
            remembered = by_text.get(q.question.casefold())
            assert remembered is None or not _right(q, remembered), (
                f"seed {book.seed}: {q.id} {q.question!r} is answered by the shipped {remembered!r}"
            )
        # A cruder memoriser: the best shipped answer by word overlap with the question.
        hits = sum(_right(q, _nearest_answer(q.question, shipped)) for q in book.questions)
        assert hits == 0, f"seed {book.seed}: the nearest shipped answer is right for {hits}"


def _nearest_answer(question: str, shipped) -> str:
    words = set(re.findall(r"\w+", question.lower()))
    return max(
        shipped, key=lambda s: len(words & set(re.findall(r"\w+", s.question.lower())))
    ).answer


def test_generated_ids_never_collide_with_shipped_ids(held_out):
    shipped_ids = {q.id for q in load_qa()}
    for book in held_out:
        ids = [q.id for q in book.questions]
        assert len(set(ids)) == len(ids) and not set(ids) & shipped_ids
        assert min(int(i[2:]) for i in ids) == FIRST_ID


def test_a_generated_handbook_is_new_text_with_every_kind_of_question(held_out):
    shipped_bodies = {d.body for d in load_corpus()}
    for book in held_out:
        changed = sum(d.body not in shipped_bodies for d in book.documents)
        assert changed > len(book.documents) // 2, f"seed {book.seed}: only {changed} pages differ"
        kinds = {q.type for q in book.questions}
        assert {"lookup", "numeric", "paraphrase", "multi-hop", "unanswerable"} <= kinds, kinds
        assert 90 <= len(book.questions) <= 220, len(book.questions)


def test_unanswerable_questions_name_something_the_handbook_never_mentions(held_out):
    for book in held_out:
        text = "\n".join(f"{d.title}\n{d.body}" for d in book.documents)
        for q in (q for q in book.questions if not q.answerable):
            assert q.answer == NOT_IN_HANDBOOK
            assert not any(contains_fact(text, term) for term in q.key_facts), q.question


def test_the_same_seed_gives_the_same_questions_and_another_seed_other_values():
    a, b, c = fresh_handbook(41), fresh_handbook(41), fresh_handbook(42)
    assert [q.model_dump() for q in a.questions] == [q.model_dump() for q in b.questions]
    assert {(q.question, q.answer) for q in a.questions} != {
        (q.question, q.answer) for q in c.questions
    }


@pytest.mark.parametrize("seed", ["7", 1.5, None, True])
def test_a_seed_that_is_not_an_integer_is_a_clear_error(seed):
    with pytest.raises(CourseError, match="an integer seed"):
        fresh_handbook(seed)


def test_an_unknown_split_is_a_clear_error():
    with pytest.raises(CourseError, match="Unknown split"):
        fresh_handbook(1, split="train")


# ------------------------------------------------------------------------------------------
# The contract check, static
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notebooks():
    return nbformat.read(SOURCE, as_version=4), nbformat.read(RELEASE, as_version=4)


def _zeroed(notebooks, replacements: dict[str, str], added: str | None = None) -> set[str]:
    # a cell of the learner's own goes just before exercise 1's solution
    return contract_zeroed(
        MODULE, NAME, notebooks, replacements, added, added_before="ex1_solution"
    )


def test_the_reference_breaks_no_rule(notebooks):
    assert _zeroed(notebooks, {}) == set()


WRAPPERS = {
    "from-import alias": "from course.evals.text import normalise as lib\n\n\n"
    "def normalise(text):\n    return lib(text)\n",
    "module alias": "import course.evals.text as t\n\n\n"
    "def normalise(text):\n    return t.normalise(text)\n",
    "attribute chain": "import course\n\n\n"
    "def normalise(text):\n    return course.evals.text.normalise(text)\n",
    "from the package": "from course import evals\n\n\ndef normalise(text):\n"
    "    return evals.normalise(text)\n",
    "importlib literal": "import importlib\n\n\ndef normalise(text):\n"
    "    return importlib.import_module('course.evals.text').normalise(text)\n",
    "importlib built name": "import importlib\n\nPARTS = ['course', 'evals', 'text']\n\n\n"
    "def normalise(text):\n    return importlib.import_module('.'.join(PARTS)).normalise(text)\n",
    "__import__": "def normalise(text):\n"
    "    return __import__('course.evals.text', fromlist=['x']).normalise(text)\n",
    "sys.modules": "import sys\n\n\ndef normalise(text):\n"
    "    return sys.modules['course.evals.text'].normalise(text)\n",
    "getattr with a built name": "import course.evals\n\n\ndef normalise(text):\n"
    "    return getattr(course.evals, 'te' + 'xt').normalise(text)\n",
    "a function's globals": "def normalise(text):\n"
    "    return token_f1.__globals__['normalise'](text)\n",
}


@pytest.mark.parametrize("source", WRAPPERS.values(), ids=WRAPPERS.keys())
def test_every_disguise_of_the_library_costs_the_clauses_that_run_it(notebooks, source):
    assert _zeroed(notebooks, {"ex1_solution": source}) == set(SCORERS)


def test_a_helper_in_a_cell_of_ones_own_carries_the_ban(notebooks):
    helper = "from course.evals import text as _t\n\n\ndef clean(x):\n    return _t.normalise(x)\n"
    uses = "def normalise(text):\n    return clean(text)\n"
    assert _zeroed(notebooks, {"ex1_solution": uses}, added=helper) == set(SCORERS)


def test_rebinding_a_graded_name_in_a_cell_of_ones_own_is_caught(notebooks):
    stub = "def recall_at_k(retrieved, gold, k):\n    raise NotImplementedError()\n"
    later = "from course.retrieval import recall_at_k\n"
    got = _zeroed(notebooks, {"ex3_solution": stub}, added=later)
    assert got == {"c4_recall_at_k_tests"}


def test_scipy_in_a_scorer_costs_its_clause(notebooks):
    source = (
        "from scipy.spatial import distance as d\n\n\n"
        "def recall_at_k(retrieved, gold, k):\n"
        "    return 1.0 - d.jaccard([1, 0], [1, 0])\n"
    )
    assert _zeroed(notebooks, {"ex3_solution": source}) == {"c4_recall_at_k_tests"}


def test_the_grading_harness_is_not_a_scoring_library(notebooks):
    source = (
        "def exact_match(output, expected):\n"
        "    got = GRADING.compare({'score': [output]}, {'score': [expected]})\n"
        "    return float(got.difference)\n\n\n"
        "def token_f1(output, expected):\n    raise NotImplementedError()\n"
    )
    assert _zeroed(notebooks, {"ex2_solution": source}) == {SCORERS[1], SCORERS[2]}


SOLVER_CHEATS = {
    "gold from load_qa": "from course.data.handbook import load_qa\n"
    "GOLD = {q.question: q.answer for q in load_qa()}\n\n\n"
    "def improved_solver(query, client, handbook):\n    client.complete('hi')\n"
    "    return GOLD.get(query.question, '')\n",
    "dev answers": "def improved_solver(query, client, handbook):\n"
    "    known = {q.question: q.answer for q in dev}\n    client.complete('hi')\n"
    "    return known.get(query.question, '')\n",
    "a private client": "def improved_solver(query, client, handbook):\n"
    "    big = Client('sim', 'sim-large')\n    return big.complete(query.question).text\n",
    "the generator": "from course.data import generate_handbook as g\n\n\n"
    "def improved_solver(query, client, handbook):\n    return client.complete(str(g.SEED)).text\n",
    "the harness by a built name": "def improved_solver(query, client, handbook):\n"
    "    client.complete(query.question)\n"
    "    return str(globals()['GRA' + 'DING'])\n",
    "the simulator itself": "import course.sim\n\n\ndef improved_solver(query, client, handbook):\n"
    "    return client.complete(query.question).text\n",
}


@pytest.mark.parametrize("source", SOLVER_CHEATS.values(), ids=SOLVER_CHEATS.keys())
def test_a_solver_that_breaks_its_rules_scores_nothing(notebooks, source):
    assert _zeroed(notebooks, {"ex7_solution": source}) == set(SOLVER)


HONEST = {
    "a comment naming the library": "# not course.evals.text.normalise: my own\n"
    "import unicodedata\n\n\ndef normalise(text):\n"
    "    return ' '.join(unicodedata.normalize('NFKC', str(text or '')).casefold().split())\n",
    "a string naming scipy": "def normalise(text):\n"
    "    note = 'scipy.stats is not used here'\n    return str(text or '').strip()\n",
    "a local variable called course": "def normalise(text):\n"
    "    course = str(text or '')\n    return course.strip()\n",
    "importlib for something else": "import importlib.metadata\n\n\ndef normalise(text):\n"
    "    return str(text or '').strip()\n",
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST.keys())
def test_honest_code_that_merely_mentions_a_library_breaks_nothing(notebooks, source):
    assert _zeroed(notebooks, {"ex1_solution": source}) == set()


def test_every_rule_names_clauses_that_exist(notebooks):
    source, _ = notebooks
    graded = {c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells}
    for rule in CONTRACTS[(MODULE, NAME)]:
        for cell, clauses in rule.cells.items():
            assert cell in graded and set(clauses) <= graded, (cell, clauses)


# ------------------------------------------------------------------------------------------
# Graded end to end (slow): the points a cheating submission keeps
# ------------------------------------------------------------------------------------------

POINTS = {
    "c1_normalise_tests": 2,
    "c2_exact_match_tests": 2,
    "c3_token_f1_tests": 2,
    "c4_recall_at_k_tests": 1,
    "c5_judge_tests": 3,
    "c8_improvement_tests": 3,
    "c9_cost_tests": 2,
}

# Reads the shipped QA file without a banned name (so only the fresh handbook can stop it), makes
# a throwaway call, returns the gold answer of every question it recognises.
MEMORISER = """
import json
import pathlib

import course.data

_GOLD = {}
_FILE = pathlib.Path(course.data.__file__).parent / "handbook" / "qa.jsonl"
for _line in _FILE.read_text().splitlines():
    _row = json.loads(_line)
    _GOLD[_row["question"]] = _row["answer"]


def improved_solver(query, client, handbook):
    reply = client.complete("Say OK.", max_tokens=5)
    return _GOLD.get(query.question, reply.text or "")
"""

# A bigger model of its own, reached without the word Client.
PRIVATE_CLIENT = """
def improved_solver(query, client, handbook):
    big = type(client)("sim", "sim-large", seed=0, cache=False, traces=False)
    hits = handbook.bm25.search(query.question, k=5)
    passages = "\\n\\n".join(handbook.chunk_by_id[h.chunk_id].text for h in hits)
    client.complete("Say OK.", max_tokens=5)
    answer = big.complete(f"Context:\\n{passages}\\n\\nQuestion: {query.question}", max_tokens=150)
    return answer.text or ""
"""

LIBRARY_SCORERS = {
    "ex1_solution": WRAPPERS["module alias"],
    "ex3_solution": (
        "import course.retrieval as r\n\n\n"
        "def recall_at_k(retrieved, gold, k):\n    return r.recall_at_k(retrieved, gold, k)\n"
    ),
}


@pytest.fixture(scope="module")
def source_root(tmp_path_factory) -> Path:
    return single_notebook_source(tmp_path_factory.mktemp("source"), MODULE, f"{NAME}.ipynb")


def _grade(source_root: Path, tmp_path: Path, replacements: dict[str, str]):
    folder = submission_with(source_root / MODULE / f"{NAME}.ipynb", tmp_path / "sub", replacements)
    report = grade_submission(MODULE, folder, workdir=tmp_path / "work", source_root=source_root)
    assert report.problems == []
    return report


@pytest.mark.slow
def test_memorised_gold_keeps_no_quality_point(source_root, tmp_path):
    report = _grade(source_root, tmp_path, {"ex7_solution": MEMORISER})
    points = autograded_points(report)
    assert points["c8_improvement_tests"] == 0 and points["c9_cost_tests"] == 0, points
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 6: expected the 95% CI" in errors and "text of a reply" in errors


@pytest.mark.slow
def test_a_private_bigger_model_keeps_no_solver_point(source_root, tmp_path):
    report = _grade(source_root, tmp_path, {"ex7_solution": PRIVATE_CLIENT})
    points = autograded_points(report)
    assert points["c8_improvement_tests"] == 0 and points["c9_cost_tests"] == 0, points
    errors = "\n".join(report.notebooks[0].errors)
    assert "Clause 6: expected every call to go through the client passed in" in errors, errors
    assert "Clause 7: expected no client but the one passed in" in errors, errors


@pytest.mark.slow
def test_library_wrappers_keep_no_point_and_the_report_names_the_rule(source_root, tmp_path):
    report = _grade(source_root, tmp_path, LIBRARY_SCORERS)
    lost = {*SCORERS, "c4_recall_at_k_tests"}
    assert autograded_points(report) == {g: 0 if g in lost else p for g, p in POINTS.items()}
    reasons = {c.grade_id: c.reason or "" for c in report.notebooks[0].cells}
    assert all("no course.evals, no scipy" in reasons[g] for g in lost), reasons
    assert all(reasons[g] is None or reasons[g] == "" for g in POINTS if g not in lost), reasons
