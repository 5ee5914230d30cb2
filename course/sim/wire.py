"""The OpenAI wire format (chat completions, embeddings): request JSON in, response JSON out.

Kept apart from the HTTP plumbing so the translation can be read (and tested) on its own. A
request the real API would reject gets a 400 here too, with a message saying what to fix.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from dataclasses import dataclass
from typing import Any

from course.sim.engine import EmbedResult, SimRequest, SimResult

ROLES = ("system", "developer", "user", "assistant", "tool")
RESPONSE_FORMATS = ("text", "json_object", "json_schema")
ENCODING_FORMATS = ("float", "base64")
MAX_EMBEDDING_INPUTS = 2048  # OpenAI's limit on inputs per request


class BadRequest(ValueError):
    """The body is not a valid chat-completions request; the message says why."""


def error_body(message: str, kind: str, code: str | None, param: str | None = None) -> dict:
    """OpenAI's error envelope, which the SDK turns into its typed exceptions."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _check_messages(messages: Any) -> list[dict]:
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list of {role, content} objects.")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise BadRequest(f"{where} must be an object with 'role' and 'content'.")
        if message.get("role") not in ROLES:
            raise BadRequest(f"{where}.role must be one of {', '.join(ROLES)}.")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise BadRequest(f"{where}.content must be a string, a list of parts, or null.")
        if message["role"] == "tool" and not message.get("tool_call_id"):
            raise BadRequest(f"{where} has role 'tool' but no 'tool_call_id'.")
    return messages


def _check_number(body: dict, name: str, low: float, high: float, integer: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        return None
    wanted = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, wanted) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise BadRequest(f"'{name}' must be {kind} between {low:g} and {high:g}, got {value!r}.")
    return value


def _check_response_format(value: Any) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in RESPONSE_FORMATS:
        raise BadRequest(f"'response_format.type' must be one of {', '.join(RESPONSE_FORMATS)}.")
    if value["type"] == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict) or not spec.get("name"):
            raise BadRequest("'response_format.json_schema' must be an object with a 'name'.")
        if "schema" in spec and not isinstance(spec["schema"], dict):
            raise BadRequest("'response_format.json_schema.schema' must be a JSON Schema object.")
    return value


def _check_tools(tools: Any, tool_choice: Any) -> list[dict] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise BadRequest("'tools' must be a list of {type: 'function', function: {...}} objects.")
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(function, dict)
            or tool.get("type") != "function"
            or not function.get("name")
        ):
            raise BadRequest(
                f"tools[{index}] must be {{type: 'function', function: {{name, ...}}}}."
            )
    if tool_choice == "none":
        return None  # the model may not call tools, so it answers as if none were offered
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name")
        chosen = [t for t in tools if t["function"]["name"] == name]
        if not chosen:
            raise BadRequest(f"'tool_choice' names {name!r}, which is not in 'tools'.")
        return chosen
    return tools or None


def chat_request(raw: bytes) -> SimRequest:
    """Parse and validate a POST /v1/chat/completions body."""
    body, model = _body_and_model(raw, "messages", "sim-small")
    if body.get("stream"):
        raise BadRequest("stream=true is not supported by the simulator; leave 'stream' unset.")
    if body.get("n") not in (None, 1):
        raise BadRequest("Only n=1 is supported; make several calls to get several answers.")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest(f"'seed' must be an integer, got {seed!r}.")
    max_tokens = _check_number(body, "max_completion_tokens", 1, 10**7, integer=True)
    if max_tokens is None:
        max_tokens = _check_number(body, "max_tokens", 1, 10**7, integer=True)
    temperature = _check_number(body, "temperature", 0, 2)
    return SimRequest(
        model=model,
        messages=_check_messages(body.get("messages")),
        temperature=float(temperature or 0.0),
        seed=seed,
        max_tokens=max_tokens,
        response_format=_check_response_format(body.get("response_format")),
        tools=_check_tools(body.get("tools"), body.get("tool_choice")),
    )


def completion_body(request: SimRequest, result: SimResult) -> dict[str, Any]:
    """The chat.completion object the OpenAI API would return for this result."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": result.content,
        "refusal": result.refusal,
        "annotations": [],
    }
    if result.tool_calls:
        message["tool_calls"] = result.tool_calls
    return {
        "id": "chatcmpl-" + result.request_id.removeprefix("sim-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "system_fingerprint": "course-sim",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": result.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": result.input_tokens,
            "completion_tokens": result.output_tokens,
            "total_tokens": result.input_tokens + result.output_tokens,
        },
    }


@dataclass(frozen=True)
class EmbeddingRequest:
    """A POST /v1/embeddings body: texts always as a list, however they were sent."""

    model: str
    inputs: list[str]
    dimensions: int | None = None
    encoding_format: str = "float"


def embedding_request(raw: bytes) -> EmbeddingRequest:
    """Parse and validate a POST /v1/embeddings body (input: a string or a list of strings)."""
    body, model = _body_and_model(raw, "input", "sim-embed")
    given = body.get("input")
    inputs = [given] if isinstance(given, str) else given
    if not isinstance(inputs, list) or not inputs:
        raise BadRequest("'input' must be a string or a non-empty list of strings.")
    if not all(isinstance(text, str) for text in inputs):
        raise BadRequest(
            "'input' must hold strings; token arrays are not supported by the simulator."
        )
    if any(not text for text in inputs):
        raise BadRequest("'input' cannot contain an empty string.")
    if len(inputs) > MAX_EMBEDDING_INPUTS:
        raise BadRequest(f"'input' holds {len(inputs)} texts; at most {MAX_EMBEDDING_INPUTS}.")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ENCODING_FORMATS:
        raise BadRequest(f"'encoding_format' must be one of {', '.join(ENCODING_FORMATS)}.")
    dimensions = _check_number(body, "dimensions", 1, 4096, integer=True)
    return EmbeddingRequest(model, inputs, dimensions, encoding)


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    """A vector as JSON floats, or as base64 of little-endian float32 (the SDK's default)."""
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def embedding_body(request: EmbeddingRequest, result: EmbedResult) -> dict[str, Any]:
    """The list object the OpenAI embeddings API returns."""
    return {
        "object": "list",
        "data": [
            {
                "object": "embedding",
                "index": index,
                "embedding": _encode(vector, request.encoding_format),
            }
            for index, vector in enumerate(result.vectors)
        ],
        "model": request.model,
        "usage": {"prompt_tokens": result.input_tokens, "total_tokens": result.input_tokens},
    }


def _body_and_model(raw: bytes, content_key: str, example_model: str) -> tuple[dict, str]:
    """The JSON object every endpoint takes, and its required 'model', or a 400 saying why."""
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise BadRequest(
            f"The request body must be a JSON object with 'model' and '{content_key}'."
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        kind = "an embeddings model id" if content_key == "input" else "a model id"
        raise BadRequest(f"'model' is required: {kind} such as '{example_model}'.")
    return body, model
