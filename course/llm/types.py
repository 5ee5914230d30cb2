"""Typed requests and responses: one shape for every provider."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "refusal"]


class Message(BaseModel):
    """One chat turn. `tool_call_id` links a tool result to the call that asked for it."""

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class ToolCall(BaseModel):
    """A function the model asked us to run, with its arguments already parsed."""

    id: str
    name: str
    arguments: dict[str, Any]


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class LLMRequest(BaseModel):
    """Everything that determines an answer; its canonical JSON is the cache key."""

    provider: str
    model: str
    messages: list[Message]
    temperature: float = 0.0
    seed: int | None = None
    max_tokens: int | None = None
    json_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema the reply must follow (structured output)."
    )
    json_mode: bool = False
    tools: list[dict[str, Any]] | None = Field(
        default=None, description="Tool definitions in OpenAI's function-tool shape."
    )


class LLMResponse(BaseModel):
    """What a call returns, whichever provider served it."""

    text: str | None
    parsed: Any = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    refusal: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    model: str
    provider: str
    finish_reason: str = "stop"
    request_id: str = ""
    cached: bool = False
    attempts: int = 1


Message.model_rebuild()
