"""Bars of issue 7 that the simulator does not meet yet, marked as known gaps.

Each entry names one test (by its id) and why it still fails. The test still runs and still
asserts its bar: a known gap is reported as `xfail` (or `XPASS` the day it passes), never
skipped, so `pytest -rxX tests/sim_realism` shows where the simulator stands. Remove an entry as
soon as its bar is met; add one only with the measured figure and the reason.
"""

from __future__ import annotations

import pytest

_TIERS = ("sim-small", "sim-large")
_BARS = {"sim-small": 0.70, "sim-large": 0.85}
# Measured with `python -m tests.sim_realism.report` (sim-small, sim-large).
_LAYOUT_ACCURACY = {
    "bullets": (0.731, 0.797),
    "prose": (0.488, 0.563),
    "parentheses": (0.725, 0.771),
    "table": (0.720, 0.797),
    "yaml": (0.725, 0.795),
    "json_schema": (0.741, 0.803),
    "one_of": (0.565, 0.613),
}
_PARAPHRASE_MEDIAN = {
    "label_definitions": (0.53, 0.59),
    "few_shot_examples": (0.47, 0.55),
    "tool_descriptions": (0.53, 0.56),
}
_EXTRACT = {
    "sim-large": "every field right 0.922 against 0.95: gift_wrap stated in another language "
    "(the lexicon has no word for it) is read as no",
}
_OFF_LABEL = "off-label replies 0.029 against 0.02, all in one prose label set that is not parsed"


def _known_gaps() -> dict[str, str]:
    gaps: dict[str, str] = {}
    for layout, figures in _LAYOUT_ACCURACY.items():
        small, large = figures
        reason = (
            f"{layout}: accuracy {small} / {large} (sim-small / sim-large) against 0.70 / 0.85; "
            "intents and moderation stay weak (static model; sim-large re-reads close cases)"
        )
        for tier, figure in zip(_TIERS, figures, strict=True):
            if figure < _BARS[tier]:
                test = "test_unambiguous_inputs_are_classified_right_in_every_layout"
                gaps[f"{test}[{tier}-{layout}]"] = reason
    for technique, (small, large) in _PARAPHRASE_MEDIAN.items():
        reason = f"{technique}: paraphrase median ratio {small} / {large} against 0.70"
        for tier in _TIERS:
            gaps[f"test_paraphrases_keep_the_documented_effect[{technique}-{tier}]"] = reason
    for tier in _TIERS:
        gaps[f"test_replies_are_always_one_of_the_labels[{tier}]"] = _OFF_LABEL
    for tier, reason in _EXTRACT.items():
        gaps[f"test_every_field_is_extracted_right[{tier}]"] = reason
    return gaps


KNOWN_GAPS = _known_gaps()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_GAPS.get(item.name)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"known gap (issue 7): {reason}"))
