"""Bar 1: unambiguous inputs are classified right in every layout people write label sets in."""

from __future__ import annotations

import pytest

from . import harness as h
from .report import classification_failures, classification_table


@pytest.mark.parametrize("layout", h.LAYOUTS)
@pytest.mark.parametrize("tier", h.TIERS)
def test_unambiguous_inputs_are_classified_right_in_every_layout(tier: str, layout: str) -> None:
    accuracy = h.classification(tier).accuracy[layout]
    assert accuracy >= h.CLASSIFY_BAR[tier], (
        f"{tier} classified {accuracy:.3f} of unambiguous inputs right in the {layout!r} layout; "
        f"the bar is {h.CLASSIFY_BAR[tier]}.\n{classification_table()}\n"
        f"Failing examples:\n{classification_failures(tier, layout)}"
    )


@pytest.mark.parametrize("tier", h.TIERS)
def test_replies_are_always_one_of_the_labels(tier: str) -> None:
    off = h.classification(tier).off_label
    assert off <= h.OFF_LABEL_MAX, (
        f"{tier}: {off:.3f} of replies are not exactly one of the labels (after stripping "
        f"whitespace, quotes, a trailing period and case); the bar is {h.OFF_LABEL_MAX}.\n"
        f"{classification_table()}\nExamples:\n{classification_failures(tier)}"
    )
