"""The offline simulator as a provider: same contract as the real ones, virtual time by default."""

from __future__ import annotations

import json
import os
import time

from course.llm.errors import ProviderTimeout, RateLimited, ServerError
from course.llm.providers.base import ProviderReply, with_elapsed
from course.llm.providers.openai_wire import request_messages, response_format
from course.llm.types import LLMRequest, ToolCall
from course.sim import FaultPlan, SimRateLimit, SimRequest, SimServerError, SimTimeout, Simulator


class SimProvider:
    """Calls course.sim in-process. Faults come from `faults` or COURSE_SIM_FAULTS."""

    name = "sim"
    endpoint = "sim://in-process"
    native_faults = True  # it realises a FaultPlan itself; see course.llm.providers.REGISTRY

    def __init__(self, faults: FaultPlan | None = None, real_time: bool = False) -> None:
        if faults is None and os.environ.get("COURSE_SIM_FAULTS"):
            faults = FaultPlan.parse(os.environ["COURSE_SIM_FAULTS"])
        self.simulator = Simulator(faults=faults, real_time=False)
        self.real_time = real_time
        self.virtual_time = not real_time

    def send(self, request: LLMRequest, timeout_s: float) -> ProviderReply:
        sim_request = SimRequest(
            model=request.model,
            messages=request_messages(request),
            temperature=request.temperature,
            seed=request.seed,
            max_tokens=request.max_tokens,
            response_format=response_format(request),
            tools=request.tools,
        )
        try:
            result = self.simulator.complete(sim_request)
        except SimRateLimit as fault:
            raise with_elapsed(
                RateLimited("Simulated 429 Too Many Requests.", retry_after_s=fault.retry_after_s),
                self._wait(0.05, timeout_s),
            ) from None
        except SimServerError as fault:
            raise with_elapsed(
                ServerError(
                    f"Simulated HTTP {fault.status} from the provider.",
                    status=fault.status,
                    retry_after_s=fault.retry_after_s,
                ),
                self._wait(0.05, timeout_s),
            ) from None
        except SimTimeout as fault:
            raise self._timeout(timeout_s, fault.hang_s) from None

        if result.latency_s > timeout_s:
            raise self._timeout(timeout_s, result.latency_s)
        self._wait(result.latency_s, timeout_s)
        return ProviderReply(
            text=result.content,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            finish_reason=result.finish_reason,
            request_id=result.request_id,
            latency_s=result.latency_s,
            tool_calls=[
                ToolCall(
                    id=call["id"],
                    name=call["function"]["name"],
                    arguments=json.loads(call["function"]["arguments"] or "{}"),
                )
                for call in result.tool_calls
            ],
            refusal=result.refusal,
        )

    def _timeout(self, timeout_s: float, would_take_s: float) -> Exception:
        waited = self._wait(min(timeout_s, would_take_s), timeout_s)
        return with_elapsed(
            ProviderTimeout(f"No answer within the {timeout_s:g} s timeout (simulated)."), waited
        )

    def _wait(self, seconds: float, timeout_s: float) -> float:
        seconds = min(seconds, timeout_s)
        if self.real_time:
            time.sleep(seconds)
        return seconds
