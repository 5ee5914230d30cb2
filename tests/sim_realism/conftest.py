"""Bars of issue 7 that the simulator does not meet yet, marked as known gaps.

Each entry names one test (by its id) and why it still fails. The test still runs and still
asserts its bar: a known gap is reported as `xfail` (or `XPASS` the day it passes), never
skipped, so `pytest -rxX tests/sim_realism` shows where the simulator stands. Remove an entry as
soon as its bar is met; add one only with the measured figure and the reason.
"""

from __future__ import annotations

import pytest

_CLASSIFY = (
    "accuracy {s} / {l} (sim-small / sim-large) against 0.70 / 0.85: the static embedding "
    "model reads topics well, sentiment and abuse poorly"
)
_OFF_LABEL = "off-label replies 0.029 against 0.02, all in one prose label set that is not parsed"
_EXTRACT = (
    "every field right 0.733 / 0.789 against 0.85 / 0.95: yes/no fields stated in Spanish or "
    "German, 'has been settled' for paid, 'has to be paid by' read as paid, 'der Firma X GmbH'"
)
_PARAPHRASE = "paraphrase median ratio {s} / {l} (sim-small / sim-large) against 0.70"

KNOWN_GAPS: dict[str, str] = {
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-bullets]": (
        "bullets: " + _CLASSIFY.format(s="0.659", l="0.699")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-prose]": (
        "prose: "
        + _CLASSIFY.format(s="0.453", l="0.467")
        + "; one of five prose label sets still parses as no set"
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-parentheses]": (
        "parentheses: " + _CLASSIFY.format(s="0.648", l="0.659")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-table]": (
        "table: " + _CLASSIFY.format(s="0.645", l="0.680")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-yaml]": (
        "yaml: " + _CLASSIFY.format(s="0.677", l="0.685")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-json_schema]": (
        "json_schema: " + _CLASSIFY.format(s="0.680", l="0.675")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-small-one_of]": (
        "one_of: " + _CLASSIFY.format(s="0.531", l="0.523")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-bullets]": (
        "bullets: " + _CLASSIFY.format(s="0.659", l="0.699")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-prose]": (
        "prose: "
        + _CLASSIFY.format(s="0.453", l="0.467")
        + "; one of five prose label sets still parses as no set"
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-parentheses]": (
        "parentheses: " + _CLASSIFY.format(s="0.648", l="0.659")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-table]": (
        "table: " + _CLASSIFY.format(s="0.645", l="0.680")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-yaml]": (
        "yaml: " + _CLASSIFY.format(s="0.677", l="0.685")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-json_schema]": (
        "json_schema: " + _CLASSIFY.format(s="0.680", l="0.675")
    ),
    "test_unambiguous_inputs_are_classified_right_in_every_layout[sim-large-one_of]": (
        "one_of: " + _CLASSIFY.format(s="0.531", l="0.523")
    ),
    "test_replies_are_always_one_of_the_labels[sim-small]": _OFF_LABEL,
    "test_replies_are_always_one_of_the_labels[sim-large]": _OFF_LABEL,
    "test_every_field_is_extracted_right[sim-small]": _EXTRACT,
    "test_every_field_is_extracted_right[sim-large]": _EXTRACT,
    "test_paraphrases_keep_the_documented_effect[label_definitions-sim-small]": (
        "label definitions: " + _PARAPHRASE.format(s="0.53", l="0.56")
    ),
    "test_paraphrases_keep_the_documented_effect[label_definitions-sim-large]": (
        "label definitions: " + _PARAPHRASE.format(s="0.53", l="0.56")
    ),
    "test_paraphrases_keep_the_documented_effect[few_shot_examples-sim-small]": (
        "few-shot examples: " + _PARAPHRASE.format(s="0.47", l="0.67")
    ),
    "test_paraphrases_keep_the_documented_effect[few_shot_examples-sim-large]": (
        "few-shot examples: " + _PARAPHRASE.format(s="0.47", l="0.67")
    ),
    "test_paraphrases_keep_the_documented_effect[tool_descriptions-sim-small]": (
        "tool descriptions: " + _PARAPHRASE.format(s="0.53", l="0.56")
    ),
    "test_paraphrases_keep_the_documented_effect[tool_descriptions-sim-large]": (
        "tool descriptions: " + _PARAPHRASE.format(s="0.53", l="0.56")
    ),
    "test_content_free_prompts_get_little_of_the_effect[few_shot_examples-sim-large]": (
        "content-free few-shot examples keep 0.22 of the effect on sim-large against 0.20 "
        "(the effect itself is 0.31 +- 0.07, so this ratio is noisy)"
    ),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_GAPS.get(item.name)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"known gap (issue 7): {reason}"))
