"""Client-side fault injection for any provider: chaos testing without a simulator.

The simulator injects faults itself (and its HTTP server turns them into real status codes).
For a real provider you cannot ask OpenAI for a 429 on demand, so this wrapper draws from the
same FaultPlan and raises the same errors before the call (rate limit, timeout, 5xx) or damages
the real answer after it (malformed JSON, truncation, a latency spike). Injected waits, and
the client's backoff waits during a chaos run, are counted rather than slept, so chaos costs
no wall time beyond the real calls.
"""

from __future__ import annotations

import random

from course.llm.errors import ProviderTimeout, RateLimited, ServerError
from course.llm.providers.base import Provider, ProviderReply, with_elapsed
from course.llm.types import LLMRequest
from course.sim.faults import REFUSAL_TEXT, FaultPlan, break_json


class ChaosProvider:
    """Wraps a provider; each attempt first draws the plan's next fault."""

    def __init__(self, inner: Provider, plan: FaultPlan) -> None:
        self.inner = inner
        self.plan = plan
        self.name = inner.name
        self.endpoint = inner.endpoint
        self.virtual_time = True
        self._rng = random.Random(plan.seed)

    def send(self, request: LLMRequest, timeout_s: float) -> ProviderReply:
        fault = self.plan.next_fault()
        if fault == "rate_limit":
            raise with_elapsed(
                RateLimited(
                    "Injected 429 Too Many Requests.", retry_after_s=self.plan.retry_after_s
                ),
                0.0,
            )
        if fault == "server_error":
            raise with_elapsed(ServerError("Injected HTTP 503.", status=503), 0.0)
        if fault == "timeout":
            waited = min(timeout_s, self.plan.hang_s)
            raise with_elapsed(
                ProviderTimeout(f"Injected hang past the {timeout_s:g} s timeout."), waited
            )
        if fault == "refusal":
            return ProviderReply(None, 0, 0, "stop", "chaos-refusal", 0.0, refusal=REFUSAL_TEXT)

        reply = self.inner.send(request, timeout_s)
        if fault == "latency_spike":
            reply.latency_s += self.plan.spike_s
            if reply.latency_s > timeout_s:
                raise with_elapsed(
                    ProviderTimeout("Injected latency spike hit the timeout."), timeout_s
                )
        elif fault == "malformed_json" and reply.text:
            reply.text = break_json(reply.text, self._rng)
        elif fault == "truncation" and reply.text:
            reply.text = reply.text[: max(1, len(reply.text) // 2)]
            reply.finish_reason = "length"
        return reply
