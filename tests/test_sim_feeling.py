"""The valence reading (course.sim.feeling) and where the classifier lets it count.

Inputs written for this file. Valence must help sets that are about feeling (sentiment, abuse,
emotions) and stay out of sets that are about topics, even when a topic's definition mentions
trouble ("crashes", "lost") and the customer is angry.
"""

import importlib
import random

import pytest

from course.sim import feeling
from course.sim.reading.prompt import LabelSpec

classify = importlib.import_module("course.sim.skills.classify")


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("What a wonderful afternoon, thank you so much", 1),
        ("The soup was cold and the waiter ignored us for an hour", -1),
        ("This is not good at all", -1),  # negation flips "good"
        ("You are a disgusting, worthless coward", -1),
    ],
)
def test_valence_has_the_sign_a_reader_expects(text: str, sign: int) -> None:
    assert feeling.valence(text) * sign > 0.3


@pytest.mark.parametrize("text", ["", "   ", "The form has four fields", "zxqv blorp"])
def test_plain_or_unknown_text_is_neutral(text: str) -> None:
    assert abs(feeling.valence(text)) < 0.2


def test_share_counts_feeling_words_not_trouble_words() -> None:
    assert feeling.share("insults, threats and hateful slurs") > 0.5
    assert feeling.share("pages that do not load after the update") == 0.0


def _profile(defs: dict[str, str]):
    return classify.profile_of(LabelSpec(labels=list(defs), definitions=defs))


def test_a_feeling_scale_switches_the_reading_on() -> None:
    moods = {"glad": "the writer is pleased", "upset": "the writer is annoyed", "flat": ""}
    assert _profile(moods).feeling == 1.0


def test_topic_queues_keep_it_off_even_when_definitions_mention_trouble() -> None:
    desks = {
        "payments": "charges, invoices, card payments and refunds",
        "outages": "crashes, errors, pages that do not load, lost data",
        "deliveries": "late, lost or damaged parcels",
    }
    assert _profile(desks).feeling == 0.0


def test_an_angry_payment_question_stays_with_payments() -> None:
    desks = {
        "payments": "charges, invoices, card payments and refunds",
        "outages": "crashes, errors, pages that do not load, lost data",
    }
    spec = LabelSpec(labels=list(desks), definitions=desks)
    text = "I am furious, you charged my card twice for one invoice"
    decision = classify.decide(text, spec, 0.0, 0.0, random.Random(0))
    assert decision.best == "payments"


def test_praise_and_abuse_are_told_apart_with_bare_names() -> None:
    spec = LabelSpec(labels=["kind", "hostile", "plain"], definitions={})
    rng = random.Random(0)
    praise = classify.decide("Thank you, you were so helpful and patient", spec, 0.0, 0.0, rng)
    attack = classify.decide("Shut up, you pathetic idiot, I hate you", spec, 0.0, 0.0, rng)
    assert praise.best == "kind"
    assert attack.best == "hostile"
