"""Bar 3: a documented prompt technique keeps its effect when written in other words, and a
prompt that carries no information gets little of it."""

from __future__ import annotations

import math

import pytest

from . import harness as h
from .report import technique_detail


@pytest.mark.parametrize("tier", h.TIERS)
@pytest.mark.parametrize("name", h.technique_names())
def test_paraphrases_keep_the_documented_effect(name: str, tier: str) -> None:
    fig = h.technique(name, tier)
    assert fig.effect >= h.MIN_DOCUMENTED_EFFECT, (
        f"{name} on {tier}: the documented phrasing moves '{fig.metric}' by only "
        f"{fig.effect:.3f} ({fig.without:.3f} -> {fig.documented:.3f}); with less than "
        f"{h.MIN_DOCUMENTED_EFFECT} there is no documented effect to keep.\n"
        f"{technique_detail(name, tier)}"
    )
    median = fig.paraphrase_median
    assert median >= h.PARAPHRASE_MEDIAN_MIN, (
        f"{name} on {tier}: paraphrases keep a median {median:.2f} of the documented effect; "
        f"the bar is {h.PARAPHRASE_MEDIAN_MIN}.\n{technique_detail(name, tier)}"
    )


@pytest.mark.parametrize("tier", h.TIERS)
@pytest.mark.parametrize("name", h.technique_names())
def test_content_free_prompts_get_little_of_the_effect(name: str, tier: str) -> None:
    fig = h.technique(name, tier)
    mean = fig.content_free_mean
    assert not math.isnan(mean), (
        f"{name} on {tier}: the documented effect ({fig.effect:.3f}) is too small to compare "
        f"content-free prompts with.\n{technique_detail(name, tier)}"
    )
    assert mean <= h.CONTENT_FREE_MAX, (
        f"{name} on {tier}: prompts with no information get {mean:.2f} of the documented effect "
        f"on average; the bar is {h.CONTENT_FREE_MAX}.\n{technique_detail(name, tier)}"
    )
