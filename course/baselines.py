"""Non-LLM ticket triage: the numbers an LLM feature has to beat before it is worth paying for.

Both baselines cost nothing per call and answer in a millisecond or less, so an LLM must earn
its price and its latency against them (notebook 02 measures both; assignment 05 and module 2
reuse them):

- `KeywordTriage`: hand-written rules taken from the labelling guide (course/data/README.md).
  Transparent and needs no training data; brittle on paraphrases, typos and other languages.
- `TfidfTriage`: TF-IDF features and logistic regression trained on labelled tickets.
  Learns the data's own vocabulary and reports a confidence a cascade can route on; needs
  labelled data, and is only as good as that data is like tomorrow's tickets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Literal, Protocol, Self

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from threadpoolctl import ThreadpoolController

from course.data.tickets import Ticket

LabelField = Literal["category", "priority"]


def _cues(listed: str) -> tuple[str, ...]:
    return tuple(cue.strip() for cue in listed.split(",") if cue.strip())


# The labelling guide's cues (course/data/README.md): its "typical words" per category, and
# phrases from its priority definitions. Order matters: on a tie the category listed first
# wins, and priority cues are tried from the most to the least severe. Deliberately absent:
# "urgent" and "asap", because the guide says tone is not priority.
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "billing": _cues(
        "charged, billed, invoice, receipt, refund, money back, vat, card, payment, renewal, "
        "subscription price"
    ),
    "bug": _cues(
        "error, crash, keeps dropping, stopped working, blank page, 503, reboot, missing files, "
        "slow, firmware"
    ),
    "account": _cues(
        "log in, password, reset link, authenticator, locked, hacked, admin, owner, invite, "
        "delete my account"
    ),
    "shipping": _cues(
        "order, package, parcel, courier, tracking, delivered, arrived, box, return label, customs"
    ),
    "feature_request": _cues(
        "would be great, please add, any plans, suggestion, roadmap, option to"
    ),
    "other": (),
}
PRIORITY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "urgent": _cues(
        "outage, data loss, lost data, compromised, hacked, whole team, whole office, everyone, "
        "payroll"
    ),
    "high": _cues(
        "locked out, 2fa, reboot, dead, suspended, fraud, damaged, lost, no workaround, blocked"
    ),
    "low": _cues(
        "question, how do i, how to, would be great, suggestion, feedback, thank, partnership, "
        "cosmetic"
    ),
}
DEFAULT_CATEGORY = "other"
DEFAULT_PRIORITY = "normal"


@dataclass(frozen=True)
class TriageLabel:
    """What triage decides for one ticket: where it goes and how fast."""

    category: str
    priority: str


class Triage(Protocol):
    """The interface every triage approach offers, so evaluation code can swap them."""

    def fit(self, tickets: Iterable[Ticket]) -> Self: ...

    def predict(self, text: str) -> TriageLabel: ...

    def predict_many(self, texts: Iterable[str]) -> list[TriageLabel]: ...


@cache
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # A keyword must start a word ("refund" matches "Refunded", not "nonrefundable");
    # str patterns are Unicode-aware, so "facturación" and "Rückerstattung" work too.
    return re.compile(r"(?<!\w)" + re.escape(keyword))


def keyword_scores(text: str, keywords: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many distinct keywords of each label occur in `text` (case-insensitive)."""
    lowered = text.lower()
    return {
        label: sum(1 for kw in set(words) if _matches(kw.lower(), lowered))
        for label, words in keywords.items()
    }


def _matches(keyword: str, lowered: str) -> bool:
    # The substring test is a cheap filter; the pattern then checks the word boundary.
    return bool(keyword) and keyword in lowered and bool(_keyword_pattern(keyword).search(lowered))


def best_label(scores: Mapping[str, int], default: str) -> str:
    """The highest-scoring label, the earliest listed on a tie, `default` if nothing matched."""
    top = max(scores.values(), default=0)
    if top == 0:
        return default
    return next(label for label, score in scores.items() if score == top)


class KeywordTriage:
    """Rules from the labelling guide: count keyword hits per category, first severe cue wins.

    Good at: explaining every decision ("matched 'refund'"), needing no data, costing nothing,
    and catching the obvious cases an on-call engineer would hard-code anyway.
    Bad at: anything the lists did not foresee: synonyms ("reimburse me"), negation ("not a
    bug"), typos, other languages, and tickets whose words point at two categories.
    """

    def __init__(
        self,
        category_keywords: Mapping[str, Sequence[str]] = CATEGORY_KEYWORDS,
        priority_keywords: Mapping[str, Sequence[str]] = PRIORITY_KEYWORDS,
        *,
        default_category: str = DEFAULT_CATEGORY,
        default_priority: str = DEFAULT_PRIORITY,
    ) -> None:
        self.category_keywords = dict(category_keywords)
        self.priority_keywords = dict(priority_keywords)
        self.default_category = default_category
        self.default_priority = default_priority

    def fit(self, tickets: Iterable[Ticket] = ()) -> Self:
        """Rules learn nothing; present so every approach has the same interface."""
        return self

    def predict(self, text: str) -> TriageLabel:
        category = best_label(keyword_scores(text, self.category_keywords), self.default_category)
        return TriageLabel(category, self.priority(text))

    def predict_many(self, texts: Iterable[str]) -> list[TriageLabel]:
        return [self.predict(text) for text in texts]

    def priority(self, text: str) -> str:
        """The first priority (most severe first) with any cue in `text`, else the default."""
        scores = keyword_scores(text, self.priority_keywords)
        return next((label for label, hits in scores.items() if hits), self.default_priority)


@cache
def _thread_controller() -> ThreadpoolController:
    return ThreadpoolController()  # inspecting the loaded BLAS libraries costs ms: do it once


def _one_thread() -> AbstractContextManager[object]:
    """BLAS/OpenMP limited to one thread: a few hundred tickets is a tiny problem, and on a busy
    2-core machine thread contention turned a 0.2 s fit into 10 s and doubled p95 latency."""
    return _thread_controller().limit(limits=1)


def _text_classifier(seed: int, c: float) -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(C=c, max_iter=2000, random_state=seed),
    )


class TfidfTriage:
    """TF-IDF of words and word pairs, one logistic regression per field, trained on tickets.

    Good at: the vocabulary the training tickets actually use, including words nobody would
    put on a keyword list; deterministic; a probability per answer, so a cascade can send only
    the unsure tickets to an LLM.
    Bad at: words it never saw in training (new products, other languages), meaning that
    depends on word order or negation, and classes with few training examples. Its
    probabilities are not calibrated: treat a threshold on them as a knob to tune on dev.
    """

    def __init__(self, *, seed: int = 0, c: float = 10.0) -> None:
        self.seed = seed
        self.c = c
        self._models: dict[str, Pipeline] = {}

    def fit(self, tickets: Iterable[Ticket]) -> Self:
        """Train on labelled tickets (the train split: never dev or test)."""
        rows = list(tickets)
        if not rows:
            raise ValueError("TfidfTriage.fit needs at least one labelled ticket.")
        texts = [t.text for t in rows]
        for field in ("category", "priority"):
            labels = [getattr(t, field) for t in rows]
            if len(set(labels)) < 2:
                raise ValueError(f"TfidfTriage.fit needs at least two distinct {field} labels.")
            with _one_thread():
                self._models[field] = _text_classifier(self.seed, self.c).fit(texts, labels)
        return self

    def predict(self, text: str) -> TriageLabel:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Iterable[str]) -> list[TriageLabel]:
        batch = list(texts)
        if not batch:
            return []
        with _one_thread():
            categories = self._model("category").predict(batch)
            priorities = self._model("priority").predict(batch)
        return [TriageLabel(str(c), str(p)) for c, p in zip(categories, priorities, strict=True)]

    def confidence_many(self, texts: Iterable[str], field: LabelField = "category") -> list[float]:
        """The probability the model gives its own answer for `field`, per text."""
        batch = list(texts)
        if not batch:
            return []
        with _one_thread():
            probabilities = self._model(field).predict_proba(batch)
        return [float(p) for p in np.max(probabilities, axis=1)]

    def _model(self, field: str) -> Pipeline:
        if field not in self._models:
            raise RuntimeError("TfidfTriage is not trained yet: call .fit(train_tickets) first.")
        return self._models[field]
