"""The non-LLM triage baselines: rules behave as documented, the trained model is deterministic."""

from __future__ import annotations

import pytest

from course.baselines import (
    CATEGORY_KEYWORDS,
    PRIORITY_KEYWORDS,
    KeywordTriage,
    TfidfTriage,
    TriageLabel,
    best_label,
    keyword_scores,
)
from course.data.tickets import CATEGORIES, PRIORITIES, Ticket, TicketFields


def ticket(n: int, subject: str, body: str, category: str, priority: str) -> Ticket:
    return Ticket(
        id=f"T-{n:04d}",
        split="train",
        subject=subject,
        body=body,
        language="en",
        category=category,
        priority=priority,
        contains_pii=False,
        is_injection=False,
        fields=TicketFields(),
    )


TRAIN = [
    ticket(1, "Refund please", "I was charged twice, refund my card", "billing", "high"),
    ticket(2, "Invoice wrong", "The invoice shows the wrong amount", "billing", "normal"),
    ticket(3, "App crashes", "The app crashes when I open settings", "bug", "high"),
    ticket(4, "Error on save", "Saving fails with an error message", "bug", "normal"),
    ticket(5, "Parcel late", "My parcel has not arrived, tracking is stuck", "shipping", "normal"),
    ticket(6, "Where is my package", "The courier lost my package", "shipping", "high"),
    ticket(7, "Dark mode", "It would be great to have dark mode", "feature_request", "low"),
    ticket(8, "Export idea", "Please add CSV export as a feature", "feature_request", "low"),
]


def test_keyword_lists_cover_the_dataset_labels():
    assert set(CATEGORY_KEYWORDS) == set(CATEGORIES)
    assert set(PRIORITY_KEYWORDS) <= set(PRIORITIES)


def test_keywords_match_case_insensitively_at_word_starts():
    keywords = {"billing": ["refund"], "bug": ["bug"]}
    assert keyword_scores("REFUNDED twice", keywords) == {"billing": 1, "bug": 0}
    assert keyword_scores("a nonrefundable debug build", keywords) == {"billing": 0, "bug": 0}
    assert keyword_scores("Rückerstattung", {"billing": ["rückerstattung"]}) == {"billing": 1}


def test_scores_count_distinct_keywords_not_repeats():
    keywords = {"billing": ["refund"], "bug": ["crash", "error"]}
    assert keyword_scores("refund refund refund, crash error", keywords) == {"billing": 1, "bug": 2}


def test_best_label_breaks_ties_by_order_and_falls_back_to_default():
    assert best_label({"billing": 1, "bug": 1}, "other") == "billing"
    assert best_label({"bug": 1, "billing": 1}, "other") == "bug"
    assert best_label({"billing": 0, "bug": 0}, "other") == "other"
    assert best_label({}, "other") == "other"


def test_keyword_triage_predicts_category_and_most_severe_priority():
    rules = KeywordTriage(
        {"billing": ["refund"], "bug": ["crash"], "other": []},
        {"urgent": ["outage"], "high": ["cannot"], "low": ["question"]},
    )
    assert rules.predict("Refund please") == TriageLabel("billing", "normal")
    assert rules.predict("Outage: I cannot log in, a question") == TriageLabel("other", "urgent")
    assert rules.predict("") == TriageLabel("other", "normal")
    assert rules.fit(TRAIN) is rules
    assert rules.predict_many(["crash", "question"]) == [
        TriageLabel("bug", "normal"),
        TriageLabel("other", "low"),
    ]


def test_default_rules_catch_the_obvious_cases():
    rules = KeywordTriage()
    assert rules.predict("I want a refund for my subscription").category == "billing"
    assert rules.predict("The app crashes on start").category == "bug"


def test_tfidf_learns_the_training_vocabulary_deterministically():
    first = TfidfTriage(seed=0).fit(TRAIN)
    second = TfidfTriage(seed=0).fit(TRAIN)
    texts = ["my card was charged twice", "the courier lost the parcel", "crashes with an error"]
    predictions = first.predict_many(texts)
    assert [p.category for p in predictions] == ["billing", "shipping", "bug"]
    assert predictions == second.predict_many(texts)
    assert first.predict(texts[0]) == predictions[0]
    assert first.predict_many([]) == []


def test_tfidf_confidence_is_a_probability_per_text():
    model = TfidfTriage().fit(TRAIN)
    confidence = model.confidence_many(["refund my invoice", "hello"], field="category")
    assert len(confidence) == 2
    assert all(1 / len(CATEGORIES) <= c <= 1 for c in confidence)
    assert confidence[0] > confidence[1]  # clear billing words beat a greeting
    assert len(model.confidence_many(["hello"], field="priority")) == 1


def test_tfidf_refuses_to_predict_untrained_or_train_on_nothing():
    with pytest.raises(RuntimeError, match="fit"):
        TfidfTriage().predict("anything")
    with pytest.raises(ValueError, match="at least one"):
        TfidfTriage().fit([])
    with pytest.raises(ValueError, match="two distinct"):
        TfidfTriage().fit(TRAIN[:2])
