"""Scorers: edge cases (None, "", Unicode, whitespace, punctuation), SQuAD's F1, JSON Schema
validation and running code out of process."""

from __future__ import annotations

import builtins
import collections
import math
import random
import re
import string

import pytest

from course.errors import CourseError
from course.evals import code_check, exact, json_schema_valid, normalise, normalised, token_f1

# -- normalise ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ﬁnal", "final"),  # NFKC: the "ﬁ" ligature is two letters
        ("ＡＢＣ　１２３", "abc 123"),  # NFKC: full-width letters, digits and space
        ("Straße", "strasse"),  # casefold, not just lower()
        ("  The\tEiffel\n\u00a0Tower!! ", "eiffel tower"),  # articles, punctuation, whitespace
        ("U.S.A.", "usa"),  # punctuation is deleted, not replaced by a space
        ("«Bonjour», dit-il…", "bonjour ditil"),  # non-ASCII punctuation too
        ("Par\u200bis\ufeff", "paris"),  # zero-width space and byte-order mark
        ("an apple a day", "apple day"),
        ("theatre", "theatre"),  # "the" only as a whole word
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_steps(raw, expected):
    assert normalise(raw) == expected


# -- exact and normalised -------------------------------------------------------------------


def test_exact_is_exact():
    assert exact("Paris", "Paris").passed
    assert exact({"a": 1}, {"a": 1}).passed
    near = exact("paris ", "Paris")
    assert (near.value, near.passed) == (0.0, False)
    assert "equal after normalise" in near.detail
    assert not exact("ﬁ", "fi").passed  # exact means exact: no Unicode folding either
    assert exact("", "").passed
    assert not exact("", "x").passed
    assert not exact("3", 3).passed


def test_none_output_fails_and_missing_expected_is_unscored():
    for scorer in (exact, normalised, token_f1):
        failed = scorer(None, "Paris")
        assert (failed.value, failed.passed, failed.error) == (0.0, False, None)
        unscored = scorer("Paris", None)
        assert math.isnan(unscored.value) and not unscored.passed
        assert "no expected value" in unscored.error


def test_normalised_matches_what_a_human_would_accept():
    assert normalised("ﬁnal answer", "final answer").passed
    assert normalised("  The  EIFFEL\tTower!! ", "eiffel tower").passed
    assert normalised("", "").passed
    assert not normalised("", "Paris").passed
    assert not normalised("Paris, France", "Paris").passed


def test_normalised_accepts_any_of_several_answers():
    score = normalised("NYC", ["New York City", "nyc", "New York"])
    assert score.passed and "'nyc'" in score.detail
    assert not normalised("Boston", ["New York City", "NYC"]).passed
    assert math.isnan(normalised("x", []).value)  # no acceptable answers: nothing to compare


# -- token F1 (SQuAD) -----------------------------------------------------------------------


def squad_v2_f1(gold: str, prediction: str) -> float:
    """compute_f1 from SQuAD v2.0's official evaluate-v2.0.py, verbatim in substance."""

    def normalize_answer(s):
        s = s.lower()
        s = "".join(ch for ch in s if ch not in set(string.punctuation))
        s = re.sub(re.compile(r"\b(a|an|the)\b", re.UNICODE), " ", s)
        return " ".join(s.split())

    gold_toks = normalize_answer(gold).split() if gold else []
    pred_toks = normalize_answer(prediction).split() if prediction else []
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


@pytest.mark.parametrize(
    "prediction, gold, f1",
    [
        ("Denver Broncos", "Denver Broncos", 1.0),
        ("Denver Broncos", "Broncos", 2 / 3),  # P = 1/2, R = 1
        ("the Denver Broncos won", "Denver Broncos", 0.8),  # P = 2/3, R = 1
        ("x x x y", "x y", 2 / 3),  # multiset: only one "x" is shared, P = 2/4, R = 1
        ("Carolina Panthers", "Denver Broncos", 0.0),
        ("", "", 1.0),  # both empty
        ("The.", "", 1.0),  # both empty after normalising
        ("", "Broncos", 0.0),  # one empty
        ("Broncos", "", 0.0),
    ],
)
def test_token_f1_worked_examples(prediction, gold, f1):
    score = token_f1(prediction, gold)
    assert score.value == pytest.approx(f1)
    assert score.value == pytest.approx(squad_v2_f1(gold, prediction))


def test_token_f1_matches_the_official_squad_script_on_random_ascii_text():
    rng = random.Random(0)
    vocabulary = ["a", "an", "the", "cat", "Cat", "sat", "mat", "on", "x", "y", "!", ",", "'s"]

    def sentence():
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 7)))

    for _ in range(500):
        prediction, gold = sentence(), sentence()
        assert token_f1(prediction, gold).value == pytest.approx(squad_v2_f1(gold, prediction))


def test_token_f1_takes_the_best_answer_and_applies_the_threshold():
    score = token_f1("Denver Broncos", ["Broncos", "Denver Broncos"])
    assert score.value == 1.0
    assert not token_f1("Denver Broncos", "Broncos", threshold=0.7).passed
    assert token_f1("Denver Broncos", "Broncos", threshold=0.6).passed


# -- JSON Schema ----------------------------------------------------------------------------

TICKET = {
    "type": "object",
    "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
    "required": ["order_id"],
    "additionalProperties": False,
}


def test_json_schema_valid_accepts_text_or_objects():
    assert json_schema_valid('{"order_id": "ORD-1", "amount": 9.5}', TICKET).passed
    assert json_schema_valid({"order_id": "ORD-1"}, TICKET).passed
    assert json_schema_valid('  {"order_id": "ü"}\n', TICKET).passed


def test_json_schema_invalid_output_fails_with_the_reasons():
    score = json_schema_valid({"amount": "ten", "extra": 1}, TICKET)
    assert (score.value, score.passed, score.error) == (0.0, False, None)
    assert "'order_id' is a required property" in score.detail
    assert "$.amount: 'ten' is not of type 'number'" in score.detail


@pytest.mark.parametrize(
    "output, reason",
    [
        ('{"order_id": "ORD-1",}', "not JSON"),
        ("", "not JSON"),
        ('```json\n{"order_id": "ORD-1"}\n```', "code fence"),
        ("Sure! Here it is.", "not JSON"),
    ],
)
def test_non_json_is_a_failing_score_not_an_exception(output, reason):
    score = json_schema_valid(output, TICKET)
    assert not score.passed and score.value == 0.0
    assert reason in score.detail


def test_json_schema_uses_draft_2020_12():
    # prefixItems exists only from Draft 2020-12; an older validator would ignore it.
    pair = {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}]}
    assert json_schema_valid("[1, 2]", pair).passed
    assert not json_schema_valid('[1, "two"]', pair).passed


def test_json_schema_none_output_and_invalid_schema():
    assert not json_schema_valid(None, TICKET).passed
    with pytest.raises(CourseError, match="Schema itself is invalid"):
        json_schema_valid("{}", {"type": "no-such-type"})


# -- code_check -----------------------------------------------------------------------------

ADD = "def add(a, b):\n    return a + b\n"


def test_code_check_passes_correct_code():
    score = code_check(ADD, "assert add(2, 3) == 5\nassert add(-1, 1) == 0")
    assert (score.value, score.passed, score.detail) == (1.0, True, "tests passed")


def test_code_check_reports_the_failing_assert():
    score = code_check(ADD.replace("+", "-"), "assert add(1, 1) == 0\nassert add(2, 3) == 5")
    assert not score.passed
    assert score.detail == "test line 2: assert add(2, 3) == 5 -> AssertionError"
    crash = code_check("def f():\n    return 1 / 0\n", "assert f() == 0")
    assert crash.detail == "source line 2: return 1 / 0 -> ZeroDivisionError: division by zero"


def test_code_check_syntax_error_fails_without_running():
    score = code_check("def add(a, b) return a + b", "assert False")
    assert not score.passed and score.detail.startswith("syntax error, line 1")


def test_code_check_without_tests_only_parses():
    assert code_check("import os; os.remove('/nonexistent')").passed  # parsed, never run
    assert not code_check("").passed
    assert not code_check(None).passed


def test_code_check_times_out():
    score = code_check("while True:\n    pass\n", "assert True", timeout_s=0.5)
    assert not score.passed and score.detail == "timed out after 0.5 s"


def test_code_check_fails_code_that_exits_before_the_tests():
    score = code_check("import sys\nsys.exit(0)\n", "assert False")
    assert not score.passed and "exited before the tests finished" in score.detail


def test_code_check_runs_out_of_process_without_secrets_or_network(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    source = "import builtins, os\nbuiltins.TOUCHED_BY_MODEL_CODE = True\n"
    tests = (
        "assert 'OPENAI_API_KEY' not in os.environ, sorted(os.environ)\n"
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except OSError as error:\n"
        "    assert 'disabled' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('network was reachable')\n"
    )
    score = code_check(source, tests)
    assert score.passed, score.detail
    assert not hasattr(builtins, "TOUCHED_BY_MODEL_CODE")
