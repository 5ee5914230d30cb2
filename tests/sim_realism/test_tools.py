"""Bar 5: requests in plain words call the right one of seven clearly described tools."""

from __future__ import annotations

import pytest

from . import harness as h
from .report import tools_table


@pytest.mark.parametrize("tier", h.TIERS)
def test_the_right_tool_is_called(tier: str) -> None:
    fig = h.tool_choice(tier)
    failures = "\n".join(f"  {f}" for f in fig.failures)
    assert fig.accuracy >= h.TOOL_BAR[tier], (
        f"{tier} called the right tool for {fig.accuracy:.3f} of requests; the bar is "
        f"{h.TOOL_BAR[tier]}.\n{tools_table()}\nFailing examples:\n{failures}"
    )
