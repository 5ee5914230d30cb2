"""What every provider returns, and the one method it must implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from course.llm.types import LLMRequest, ToolCall


@dataclass
class ProviderReply:
    """A provider's raw answer in the course's terms, before cost and tracing are added."""

    text: str | None
    input_tokens: int
    output_tokens: int
    finish_reason: str
    request_id: str
    latency_s: float
    tool_calls: list[ToolCall] = field(default_factory=list)
    refusal: str | None = None


class Provider(Protocol):
    """One model vendor (or the simulator) behind a single method.

    `send` makes exactly one attempt: retries, caching and budgets belong to the client so
    they behave the same for every provider. Failures raise course.llm.errors types, with
    the attempt's elapsed seconds in `error.elapsed_s` when the provider knows it.
    """

    name: str
    endpoint: str
    virtual_time: bool

    def send(self, request: LLMRequest, timeout_s: float) -> ProviderReply: ...


def with_elapsed(error: Exception, elapsed_s: float) -> Exception:
    """Tag an error with how long the failed attempt took, for the trace store."""
    error.elapsed_s = elapsed_s  # type: ignore[attr-defined]
    return error
