"""Bar 2: structured extraction gets every field right, in the normal form the schema asks for."""

from __future__ import annotations

import pytest

from . import harness as h
from .report import extraction_failures, extraction_table


@pytest.mark.parametrize("tier", h.TIERS)
def test_every_field_is_extracted_right(tier: str) -> None:
    fig = h.extraction(tier)
    assert fig.all_right >= h.EXTRACT_BAR[tier], (
        f"{tier}: {fig.all_right:.3f} of messages had every field right; the bar is "
        f"{h.EXTRACT_BAR[tier]}.\n{extraction_table()}\n"
        f"Failing examples:\n{extraction_failures(tier)}"
    )
