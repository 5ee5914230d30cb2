"""A scripted provider for unit tests of the client's own logic (retries, cache, budget)."""

from __future__ import annotations

from course.llm.providers.base import ProviderReply, with_elapsed
from course.llm.types import LLMRequest


def reply(text: str = "ok", input_tokens: int = 100, output_tokens: int = 50) -> ProviderReply:
    return ProviderReply(
        text=text,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        finish_reason="stop",
        request_id="req-1",
        latency_s=0.25,
    )


class ScriptedProvider:
    """Plays back replies and errors in order; records what it was sent."""

    name = "sim"
    endpoint = "fake://scripted"
    virtual_time = True

    def __init__(self, script: list[ProviderReply | Exception]) -> None:
        self.script = list(script)
        self.requests: list[LLMRequest] = []
        self.timeouts: list[float] = []

    def send(self, request: LLMRequest, timeout_s: float) -> ProviderReply:
        self.requests.append(request)
        self.timeouts.append(timeout_s)
        if not self.script:
            raise AssertionError("ScriptedProvider ran out of script")
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise with_elapsed(step, 0.1)
        return step
