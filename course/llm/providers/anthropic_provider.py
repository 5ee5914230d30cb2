"""Anthropic's Messages API through the official SDK, mapped onto the course's types.

Differences from the OpenAI shape handled here: the system prompt is a separate field,
max_tokens is required, tools use `input_schema`, tool results are user-turn blocks, and
there is no JSON-schema mode, so structured output is requested in the system prompt and
validated by the client like any other reply.
"""

from __future__ import annotations

import inspect
import json
import time
from typing import Any

import anthropic

from course.errors import ConfigurationError
from course.llm.errors import (
    BadRequest,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimited,
    ServerError,
)
from course.llm.providers.base import ProviderReply, with_elapsed
from course.llm.providers.openai_provider import retry_after_seconds
from course.llm.types import LLMRequest, Message, ToolCall

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
}
DEFAULT_MAX_TOKENS = 1024
# Recent SDKs dropped sampling parameters for current models; send temperature only where
# the installed SDK still accepts it.
SDK_TAKES_TEMPERATURE = (
    "temperature" in inspect.signature(anthropic.resources.Messages.create).parameters
)


def _turn(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        block = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.content or "",
        }
        return {"role": "user", "content": [block]}
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls or []:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return {"role": message.role, "content": blocks}


def _system_prompt(request: LLMRequest) -> str:
    parts = [m.content or "" for m in request.messages if m.role == "system"]
    if request.json_schema is not None:
        parts.append(
            "Reply with only a JSON object that matches this JSON Schema, no prose:\n"
            + json.dumps(request.json_schema)
        )
    elif request.json_mode:
        parts.append("Reply with only a JSON object, no prose.")
    return "\n\n".join(p for p in parts if p)


def _tools(request: LLMRequest) -> list[dict[str, Any]]:
    return [
        {
            "name": tool["function"]["name"],
            "description": tool["function"].get("description", ""),
            "input_schema": tool["function"].get("parameters", {"type": "object"}),
        }
        for tool in request.tools or []
    ]


class AnthropicProvider:
    name = "anthropic"
    endpoint = "https://api.anthropic.com"
    virtual_time = False

    def __init__(self, api_key: str | None, http_client: Any = None) -> None:
        if not api_key:
            raise ConfigurationError(
                "ANTHROPIC_API_KEY is not set.",
                hint="Export ANTHROPIC_API_KEY=sk-ant-... in the shell that starts Jupyter, "
                "or use COURSE_PROVIDER=sim.",
            )
        self._client = anthropic.Anthropic(api_key=api_key, max_retries=0, http_client=http_client)

    def send(self, request: LLMRequest, timeout_s: float) -> ProviderReply:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [_turn(m) for m in request.messages if m.role != "system"],
            "timeout": timeout_s,
        }
        if SDK_TAKES_TEMPERATURE:
            kwargs["temperature"] = request.temperature
        system = _system_prompt(request)
        if system:
            kwargs["system"] = system
        if request.tools:
            kwargs["tools"] = _tools(request)

        started = time.perf_counter()
        try:
            message = self._client.messages.create(**kwargs)
        except anthropic.APIError as exc:
            raise with_elapsed(self._translate(exc), time.perf_counter() - started) from exc
        elapsed = time.perf_counter() - started
        text = "".join(block.text for block in message.content if block.type == "text")
        finish = STOP_REASONS.get(message.stop_reason or "end_turn", "stop")
        return ProviderReply(
            text=text or None,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            finish_reason=finish,
            request_id=getattr(message, "_request_id", None) or message.id,
            latency_s=elapsed,
            tool_calls=[
                ToolCall(id=block.id, name=block.name, arguments=dict(block.input))
                for block in message.content
                if block.type == "tool_use"
            ],
            refusal=text if finish == "refusal" else None,
        )

    def _translate(self, exc: anthropic.APIError) -> Exception:
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderTimeout("The request timed out.")
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderUnreachable(
                f"Cannot reach {self.endpoint}.", hint="Check your network connection."
            )
        status = getattr(exc, "status_code", None)
        message = getattr(exc, "message", str(exc))
        if isinstance(exc, anthropic.RateLimitError):
            return RateLimited(
                f"429 from Anthropic: {message}",
                retry_after_s=retry_after_seconds(exc.response.headers),
            )
        if isinstance(exc, anthropic.AuthenticationError):
            return ConfigurationError(
                "Anthropic rejected the API key (401).", hint="Check ANTHROPIC_API_KEY."
            )
        if isinstance(exc, anthropic.NotFoundError):
            return ConfigurationError(
                f"Anthropic does not know this model: {message}",
                hint="Check COURSE_MODEL against course/models.toml.",
            )
        if status is not None and status >= 500:
            return ServerError(
                f"HTTP {status} from Anthropic: {message}",
                status=status,
                retry_after_s=retry_after_seconds(exc.response.headers),
            )
        return BadRequest(f"HTTP {status} from Anthropic: {message}")
