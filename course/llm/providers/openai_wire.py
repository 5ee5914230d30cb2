"""Translation between the course's request type and the OpenAI chat-completions wire shape.

The simulator speaks the same shape, so both the sim provider and the openai provider use it.
"""

from __future__ import annotations

import json
from typing import Any

from course.llm.types import LLMRequest, Message


def message_dict(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def request_messages(request: LLMRequest) -> list[dict[str, Any]]:
    return [message_dict(m) for m in request.messages]


def response_format(request: LLMRequest) -> dict[str, Any] | None:
    if request.json_schema is not None:
        return {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": request.json_schema, "strict": False},
        }
    if request.json_mode:
        return {"type": "json_object"}
    return None
