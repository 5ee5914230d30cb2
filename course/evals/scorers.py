"""Scorers: one output (and what was expected) in, one Score out.

A scorer never raises for anything an output can be: None, "", odd Unicode, invalid JSON.
An exception would stop a 500-item run at item 317; a Score records what happened and the
run goes on. A scorer is any callable `scorer(output, expected) -> Score`; to fix an
argument, wrap it: `lambda output, expected: json_schema_valid(output, SCHEMA)`.

The scorers that run code or call a model live in their own modules: `codecheck.code_check`
and `judge.LLMJudge`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from course.errors import CourseError
from course.evals.text import normalise, words

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class Score:
    """How one output fared.

    value:  the metric for this item: 1.0 / 0.0 for pass-fail scorers, F1 in [0, 1], and NaN
            when it could not be scored (means skip NaN and count it, so a broken judge
            cannot quietly drag a mean to zero).
    passed: whether it cleared the bar.
    error:  why it could not be scored, or None when it was.
    detail: one readable line for failure analysis.
    """

    value: float
    passed: bool
    error: str | None = None
    detail: str = ""

    @classmethod
    def verdict(cls, passed: bool, detail: str = "") -> Score:
        """A pass-fail score: value 1.0 or 0.0."""
        return cls(1.0 if passed else 0.0, passed, None, detail)

    @classmethod
    def unscored(cls, error: str, detail: str = "") -> Score:
        """Not scored: value NaN, passed False, with the reason."""
        return cls(math.nan, False, error, detail)


NO_OUTPUT = Score.verdict(False, "no output (None)")
NO_EXPECTED = Score.unscored("the item has no expected value to compare with")


def exact(output: Any, expected: Any) -> Score:
    """Pass when output == expected, with no trimming or case folding.

    Right for ids, labels and numbers. A string that differs only in case, punctuation or
    spacing still fails; `detail` then says "equal after normalise", a hint to use `normalised`.
    """
    if expected is None:
        return NO_EXPECTED
    if output is None:
        return NO_OUTPUT
    if output == expected:
        return Score.verdict(True, "identical")
    detail = f"{short(output)} != {short(expected)}"
    if isinstance(output, str) and isinstance(expected, str) and _same_text(output, expected):
        detail += " (equal after normalise)"
    return Score.verdict(False, detail)


def _same_text(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def normalised(output: Any, expected: Any) -> Score:
    """Pass when normalise(output) == normalise(expected).

    normalise (course.evals.text) applies Unicode NFKC, casefolds, deletes punctuation and
    the articles a/an/the, and collapses whitespace, so "The Eiffel Tower." matches
    "eiffel tower". `expected` may be a list of acceptable answers: any one matching passes.
    """
    answers = _answers(expected)
    if answers is None:
        return NO_EXPECTED
    if output is None:
        return NO_OUTPUT
    got = normalise(as_text(output))
    for answer in answers:
        if got == normalise(answer):
            return Score.verdict(True, f"matches {short(answer)}")
    return Score.verdict(False, f"{short(got)} matches none of {short(answers)}")


def token_f1(output: Any, expected: Any, *, threshold: float = 0.5) -> Score:
    """SQuAD's token F1 between the normalised words of output and expected.

    Words are counted as multisets: common = Σ_w min(count_output(w), count_expected(w)).
      precision P = common / |output words|,  recall R = common / |expected words|,
      F1 = 2·P·R / (P + R), and 0 when common = 0.
    Both empty -> 1.0 (nothing expected, nothing said); exactly one empty -> 0.0. With a list
    of acceptable answers the best F1 counts, as in SQuAD. passed = F1 >= threshold.
    """
    answers = _answers(expected)
    if answers is None:
        return NO_EXPECTED
    if output is None:
        return NO_OUTPUT
    predicted = words(as_text(output))
    best, best_answer = max((_f1(predicted, words(a)), a) for a in answers)
    return Score(best, best >= threshold, None, f"F1 {best:.2f} against {short(best_answer)}")


def _f1(predicted: list[str], gold: list[str]) -> float:
    if not predicted or not gold:
        return float(predicted == gold)
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def json_schema_valid(output: Any, schema: Mapping[str, Any]) -> Score:
    """Pass when the output is JSON that validates against `schema` (JSON Schema Draft 2020-12).

    A str output is parsed as JSON text first: invalid JSON is a failing Score carrying the
    parse error, not an exception. A dict, list or number is validated as it is. "format"
    keywords are annotations only, as Draft 2020-12 specifies by default. An invalid *schema*
    is the caller's bug and raises CourseError.
    """
    validator = _validator(schema)
    if output is None:
        return NO_OUTPUT
    if isinstance(output, BaseModel):
        output = output.model_dump(mode="json")
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except json.JSONDecodeError as error:
            return Score.verdict(False, f"not JSON: {error}{_fence_hint(output)}")
    problems = sorted(validator.iter_errors(output), key=lambda e: e.json_path)
    if not problems:
        return Score.verdict(True, "valid")
    listed = "; ".join(f"{p.json_path}: {p.message}" for p in problems[:3])
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return Score.verdict(False, listed + more)


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    # Imported here: jsonschema's format checkers take ~1 s to import, which every
    # `python -m course.evals gate` in CI would pay even when no schema is checked.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise CourseError(
            f"The JSON Schema itself is invalid: {error.message}",
            hint="Check it against https://json-schema.org/draft/2020-12 "
            "(pydantic's Model.model_json_schema() produces a valid one).",
        ) from None
    return Draft202012Validator(schema)


def _fence_hint(text: str) -> str:
    if text.strip().startswith("```"):
        return " (the reply is wrapped in a code fence: strip it, or ask for JSON mode)"
    return " (the output is empty)" if not text.strip() else ""


def _answers(expected: Any) -> list[str] | None:
    """Acceptable answers as strings; None when there is nothing to compare with."""
    if expected is None:
        return None
    if isinstance(expected, list | tuple):
        return [as_text(answer) for answer in expected] or None
    return [as_text(expected)]


def as_text(value: Any) -> str:
    """Any output as text: strings as they are, models and containers as JSON, else str()."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def short(value: Any, limit: int = 80) -> str:
    """repr() cut to `limit` characters, for one-line details."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
