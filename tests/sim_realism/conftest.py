"""Bars of issue 7 that the simulator does not meet yet, marked as known gaps.

Each entry names one test (by its id) and why it still fails. The test still runs and still
asserts its bar: a known gap is reported as `xfail` (or `XPASS` the day it passes), never
skipped, so `pytest -rxX tests/sim_realism` shows where the simulator stands. Remove an entry as
soon as its bar is met; add one only with the measured figure and the reason.
"""

from __future__ import annotations

import pytest

_TIERS = ("sim-small", "sim-large")
# Measured with `python -m tests.sim_realism.report` (sim-small, sim-large).
_LAYOUT_ACCURACY = {
    "bullets": (0.659, 0.699),
    "prose": (0.453, 0.467),
    "parentheses": (0.648, 0.659),
    "table": (0.645, 0.680),
    "yaml": (0.677, 0.685),
    "json_schema": (0.680, 0.675),
    "one_of": (0.531, 0.523),
}
_PARAPHRASE_MEDIAN = {
    "label_definitions": (0.53, 0.56),
    "few_shot_examples": (0.47, 0.67),
    "tool_descriptions": (0.53, 0.56),
}
_EXTRACT = (
    "every field right 0.733 / 0.789 against 0.85 / 0.95: yes/no fields stated in Spanish or "
    "German, 'has been settled' for paid, 'has to be paid by' read as paid, 'der Firma X GmbH'"
)
_OFF_LABEL = "off-label replies 0.029 against 0.02, all in one prose label set that is not parsed"


def _known_gaps() -> dict[str, str]:
    gaps: dict[str, str] = {}
    for layout, (small, large) in _LAYOUT_ACCURACY.items():
        reason = (
            f"{layout}: accuracy {small} / {large} (sim-small / sim-large) against 0.70 / 0.85; "
            "the static embedding model reads topics well, sentiment and abuse poorly"
        )
        for tier in _TIERS:
            name = f"test_unambiguous_inputs_are_classified_right_in_every_layout[{tier}-{layout}]"
            gaps[name] = reason
    for technique, (small, large) in _PARAPHRASE_MEDIAN.items():
        reason = f"{technique}: paraphrase median ratio {small} / {large} against 0.70"
        for tier in _TIERS:
            gaps[f"test_paraphrases_keep_the_documented_effect[{technique}-{tier}]"] = reason
    for tier in _TIERS:
        gaps[f"test_replies_are_always_one_of_the_labels[{tier}]"] = _OFF_LABEL
        gaps[f"test_every_field_is_extracted_right[{tier}]"] = _EXTRACT
    gaps["test_content_free_prompts_get_little_of_the_effect[few_shot_examples-sim-large]"] = (
        "content-free few-shot examples keep 0.22 of the effect on sim-large against 0.20 "
        "(the effect itself is 0.31 +- 0.07, so this ratio is noisy)"
    )
    return gaps


KNOWN_GAPS = _known_gaps()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_GAPS.get(item.name)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"known gap (issue 7): {reason}"))
