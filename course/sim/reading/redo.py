"""Repair turns: "your answer was wrong, do it again" asks to redo the earlier task.

When structured output fails validation, a client sends the conversation back with the model's
bad reply as an assistant turn and a user turn saying what was wrong (course.llm.structured's
repair_messages). That user turn is not a new task: it holds instructions and a schema, and
the data to work on is still in the earlier user turn. A real model understands that; the
simulator recognises it with two rules, so any wording of a correction works, not only ours:

1. the turn asks for a correction: a correction word (again, redo, retry, fix, correct,
   invalid, malformed, wrong, error, "did not match"...) together with a reference to the
   previous answer ("your reply", "the previous output", "again"); or
2. the turn brings no new content: once JSON objects (a schema) are cut out, every content
   word is an instruction word (reply, json, schema, field, required, valid, only...) or was
   already in the conversation (field names and values the error message echoes).

Either way, and only right after an assistant turn with text (not a tool call), the request
is answered as if it ended at the earlier user turn, the task: same skill, same rules, fresh
random draws (the request hash includes the correction). A schema found in the correction is
used when the request itself carries none, and broken JSON is half as likely as on the first
try (REDO_FACTOR): the model has seen its mistake. The reply carries the behaviour "redo".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from course.sim.reading.prompt import text_of
from course.sim.reading.text import stem, words

REDO_FACTOR = 0.5  # malformed_json_rate is multiplied by this on a redo

_CORRECTION = re.compile(
    r"\b(?:again|redo|re-do|retry|re-try|fix|fixed|correct|corrected|correction|invalid|"
    r"malformed|wrong|mistake|errors?|failed|fails|broken|did\s+not\s+match|didn't\s+match|"
    r"does\s+not\s+match|doesn't\s+match|not\s+valid|not\s+parse)\b",
    re.I,
)
_BACK_REFERENCE = re.compile(
    r"\b(?:your|the|that|this)\s+(?:(?:previous|last|earlier|above|first|own)\s+)?"
    r"(?:reply|answer|response|output|json|result|attempt|message)\b"
    r"|\b(?:previous|last|earlier)\s+(?:reply|answer|response|output|attempt)\b|\bagain\b",
    re.I,
)
_JSON_WORD = re.compile(r"\bjson\b|\bschema\b", re.I)
# Words that instruct about form rather than bring content (pydantic's error vocabulary too).
_INSTRUCTION_TEXT = """reply replies answer respond response return output give send write only
    just json object schema match matches matching field fields key keys value values valid
    validate validation format formatted required require requires problem problems error
    errors type types string integer int number float boolean bool array list dict null none
    properties property title description again please correct fix redo retry try previous
    last exactly follow following use make sure must should need nothing else text without
    markdown code fence fences prose missing input expected got extra forbidden permitted
    literal enum parse unable conform strictly one item items object objects here above
    below same instead new version proper properly right correctly mistake wrong invalid
    malformed broken failed fail"""
_INSTRUCTION_WORDS = frozenset(stem(w) for w in _INSTRUCTION_TEXT.split())


@dataclass(frozen=True)
class Redo:
    """A correction turn: the messages that end at the task to redo, and what it said."""

    messages: list[dict]
    correction: str
    schema: dict | None = None


def _json_objects(text: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level balanced {...} span: a schema or an example."""
    spans, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, index + 1))
    return spans


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    kept, last = [], 0
    for start, end in spans:
        kept.append(text[last:start])
        last = end
    return "".join(kept) + text[last:]


def schema_in(text: str) -> dict | None:
    """The first JSON object in `text` that looks like a JSON Schema (has properties/type)."""
    for start, end in _json_objects(text):
        try:
            found = json.loads(text[start:end])
        except ValueError:
            continue
        if isinstance(found, dict) and ("properties" in found or "$defs" in found):
            return found
    return None


def asks_to_redo(text: str, earlier: list[dict]) -> bool:
    """True if `text` (a user turn after an answer) asks to redo it (rules in the docstring)."""
    if _CORRECTION.search(text) and _BACK_REFERENCE.search(text):
        return True
    spans = _json_objects(text)
    content = set(words(_without(text, spans)))
    if not content and not spans:
        return False  # an empty turn asks for nothing
    seen = set().union(*(words(text_of(m)) for m in earlier)) if earlier else set()
    instructive = bool(spans) or bool(_JSON_WORD.search(text)) or bool(content & _INSTRUCTION_WORDS)
    return instructive and not (content - _INSTRUCTION_WORDS - seen)


def _answered(message: dict) -> bool:
    return message.get("role") == "assistant" and not message.get("tool_calls")


def redo_view(messages: list[dict]) -> Redo | None:
    """The redo the last turn asks for, or None if it is an ordinary turn.

    Walks back over a chain of corrections (a repair of a repair) to the original task.
    """
    last = len(messages) - 1
    if last < 2 or messages[last].get("role") != "user" or not _answered(messages[last - 1]):
        return None
    correction = text_of(messages[last])
    if not asks_to_redo(correction, messages[:last]):
        return None
    task = last - 2
    while task >= 0 and messages[task].get("role") != "user":
        task -= 1
    while task >= 2 and _answered(messages[task - 1]):
        if not asks_to_redo(text_of(messages[task]), messages[:task]):
            break
        earlier = task - 2
        while earlier >= 0 and messages[earlier].get("role") != "user":
            earlier -= 1
        if earlier < 0:
            break
        task = earlier
    if task < 0:
        return None
    return Redo(messages=messages[: task + 1], correction=correction, schema=schema_in(correction))
