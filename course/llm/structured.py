"""Structured output: ask for a schema, validate with pydantic, repair once, then fail clearly.

Models sometimes wrap JSON in prose or code fences, or get a field wrong. One repair turn,
showing the model its own output and the validation errors, fixes most of these; a second
failure is a real error the caller must handle (fall back, or count it as wrong).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from course.llm.types import Message

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def schema_for(model_cls: type[BaseModel]) -> dict[str, Any]:
    return model_cls.model_json_schema()


def extract_json_text(text: str) -> str:
    """The JSON part of a reply: inside a code fence if any, else from the first brace."""
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text.strip()


def parse_structured(
    text: str | None, model_cls: type[BaseModel]
) -> tuple[BaseModel | None, str | None]:
    """(object, None) on success, (None, what was wrong) otherwise."""
    if not text:
        return None, "The reply was empty."
    candidate = extract_json_text(text)
    try:
        return model_cls.model_validate_json(candidate), None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        )
        return None, problems


def repair_messages(
    messages: list[Message], bad_text: str | None, errors: str, schema: dict[str, Any]
) -> list[Message]:
    """The conversation plus one turn that shows the model its mistake."""
    return [
        *messages,
        Message(role="assistant", content=bad_text or ""),
        Message(
            role="user",
            content=(
                "Your reply did not match the required JSON schema. Problems: "
                f"{errors}\nReply again with only a JSON object that matches this schema:\n"
                f"{json.dumps(schema)}"
            ),
        ),
    ]
