"""is_right, the course's answer metric for handbook questions, and its two parts."""

from __future__ import annotations

import re

import pytest

from course.data.fresh_handbook import _right
from course.data.handbook import (
    ABSTAINED,
    NOT_IN_HANDBOOK,
    QAItem,
    is_right,
    load_qa,
    missing_facts,
    states_outdated,
)


def question(**fields) -> QAItem:
    base = dict(
        id="q-9001",
        split="dev",
        type="numeric",
        question="How long is the grace period for failed payments?",
        answer="14 days, then the account is suspended.",
        answerable=True,
        supporting_passage_ids=["doc-0001#p2"],
        key_facts=["14 days", "suspended"],
    )
    return QAItem(**{**base, **fields})


TRAP = question(
    type="outdated-trap",
    trap_passage_ids=["doc-0002#p1"],
    outdated_answer="7 days",
)
UNANSWERABLE = question(
    type="unanswerable",
    answerable=False,
    supporting_passage_ids=[],
    key_facts=["quantum billing"],
    answer=NOT_IN_HANDBOOK,
)


@pytest.mark.parametrize(
    "answer, right",
    [
        ("After 14 days the account is suspended.", True),
        ("After 14 DAYS the account is SUSPENDED.", True),  # case does not matter
        ("After 14 days, nothing happens.", False),  # one key fact missing
        ("After 114 days the account is suspended.", False),  # 14 days is not in 114 days
        ("", False),
    ],
)
def test_an_answerable_question_needs_every_key_fact(answer, right):
    assert is_right(question(), answer) is right


def test_missing_facts_lists_what_is_absent_in_the_questions_order():
    assert missing_facts(question(), "It is suspended eventually.") == ["14 days"]
    assert missing_facts(question(), "Nothing useful.") == ["14 days", "suspended"]
    assert missing_facts(question(), "14 days, then suspended.") == []


def test_the_superseded_value_makes_an_answer_wrong_even_with_every_key_fact():
    stale = "It used to be 7 days; now 14 days, then the account is suspended."
    assert states_outdated(TRAP, stale)
    assert not is_right(TRAP, stale)
    assert is_right(TRAP, "14 days, then the account is suspended.")
    assert not states_outdated(question(), stale), "no outdated answer, nothing is stale"


@pytest.mark.parametrize(
    "answer, right",
    [
        (NOT_IN_HANDBOOK, True),
        ("I don't know.", True),
        ("i do not know", True),
        ("Quantum billing costs $5.", False),  # a confident answer to what cannot be answered
        ("I don't knowingly guess.", False),  # "know" as a whole word only
    ],
)
def test_an_unanswerable_question_needs_an_abstention(answer, right):
    assert is_right(UNANSWERABLE, answer) is right


def test_the_caller_says_what_counts_as_abstaining():
    declines = re.compile(r"cannot answer", re.IGNORECASE)
    assert is_right(UNANSWERABLE, "I cannot answer that from the context.", declines)
    assert not is_right(UNANSWERABLE, NOT_IN_HANDBOOK, declines)
    # the pattern matters only when the question is unanswerable
    assert is_right(question(), "14 days, then suspended.", declines)


def test_every_shipped_single_hop_reference_answer_is_right():
    """The gold answers pass their own metric. Multi-hop ones are the exception: their key facts
    include the bridge (the team that owns the service), which the short reference omits."""
    wrong = [q.id for q in load_qa() if q.type != "multi-hop" and not is_right(q, q.answer)]
    assert not wrong, f"reference answers that fail is_right: {wrong[:10]}"
    assert ABSTAINED.search(NOT_IN_HANDBOOK)


def test_the_fresh_generator_counts_only_the_exact_shipped_abstention():
    assert _right(UNANSWERABLE, NOT_IN_HANDBOOK)
    assert not _right(UNANSWERABLE, "I don't know.")
    assert not _right(UNANSWERABLE, NOT_IN_HANDBOOK + " Sorry.")
    assert _right(question(), "14 days, then suspended.")
