"""The agent loop: ask the model, run the tools it calls, feed the results back, until it answers
or a budget, a loop, repeated tool errors or a refusal stops it.

Every stop has an explicit reason (``StopReason``), because "the agent gave up" is not one
failure: running out of steps, circling the same call and being refused are fixed in
different places. Every model call goes through the course ``Client`` (so retries, cost and
the trace store work as everywhere else, on any provider) tagged with the trajectory id; every
tool call is recorded next to it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from course.agents.tools import Tool, ToolBox
from course.agents.trajectory import Step, StopReason, Trajectory
from course.llm import Client
from course.llm.errors import LLMError
from course.llm.events import utc_now
from course.llm.types import LLMResponse, Message

# Given the conversation so far, the user's next message, or None when the user has nothing more
# to say. Tasks script it ("my order number is ...") so an agent that must ask can be tested.
UserTurn = Callable[[list[Message]], str | None]


@dataclass(frozen=True)
class AgentBudget:
    """Limits for one run. Whichever is reached first stops it with ``StopReason.BUDGET``."""

    max_model_turns: int = 10
    max_tokens: int = 20_000
    max_cost_usd: float = 0.05
    max_seconds: float = 120.0  # model latency (virtual on the simulator) plus tool run time
    max_repeats: int = 3  # the same tool with the same arguments this often is a loop
    max_tool_errors: int = 3  # tool errors in a row before giving up


class Agent:
    """A model, a system prompt, tools and budgets; ``run`` turns a goal into a ``Trajectory``."""

    def __init__(
        self,
        client: Client,
        tools: list[Tool],
        *,
        system: str = "",
        budget: AgentBudget | None = None,
        temperature: float = 0.0,
        feature: str = "agent",
    ) -> None:
        self.client = client
        self.toolbox = ToolBox(tools)
        self.system = system
        self.budget = budget or AgentBudget()
        self.temperature = temperature
        self.feature = feature

    def run(
        self, goal: str, *, user: UserTurn | None = None, seed: int | None = None
    ) -> Trajectory:
        """Work on ``goal`` until an answer or a stop; never raises for the model's mistakes."""
        trajectory = Trajectory(id=uuid.uuid4().hex[:16], goal=goal)
        messages = [Message(role="system", content=self.system)] if self.system else []
        messages.append(Message(role="user", content=goal))
        calls_seen: Counter[str] = Counter()
        errors_in_a_row = 0
        while True:
            stop = self._over_budget(trajectory)
            if stop:
                return _stopped(trajectory, StopReason.BUDGET, stop)
            try:
                response = self._ask(messages, trajectory.id, seed)
            except LLMError as exc:
                return _stopped(trajectory, StopReason.MODEL_ERROR, f"{type(exc).__name__}: {exc}")
            trajectory.steps.append(_model_step(len(trajectory.steps), response))
            if response.refusal:
                return _stopped(trajectory, StopReason.REFUSED, response.refusal)
            if not response.tool_calls:
                messages.append(Message(role="assistant", content=response.text))
                follow_up = user(messages) if user else None
                if follow_up is None:
                    trajectory.answer = response.text
                    return _stopped(trajectory, StopReason.ANSWERED)
                messages.append(Message(role="user", content=follow_up))
                continue
            messages.append(
                Message(role="assistant", content=response.text, tool_calls=response.tool_calls)
            )
            for call in response.tool_calls:
                signature = json.dumps([call.name, call.arguments], sort_keys=True, default=str)
                calls_seen[signature] += 1
                step = self._run_tool(trajectory, call.name, call.arguments)
                messages.append(Message(role="tool", content=step.text, tool_call_id=call.id))
                errors_in_a_row = errors_in_a_row + 1 if step.error else 0
                if calls_seen[signature] >= self.budget.max_repeats:
                    return _stopped(
                        trajectory,
                        StopReason.LOOP,
                        f"{call.name} called {calls_seen[signature]} times with the same arguments",
                    )
                if errors_in_a_row >= self.budget.max_tool_errors:
                    return _stopped(
                        trajectory,
                        StopReason.TOOL_ERRORS,
                        f"{errors_in_a_row} tool errors in a row",
                    )

    def _ask(self, messages: list[Message], trajectory_id: str, seed: int | None) -> LLMResponse:
        return self.client.complete(
            messages,
            tools=self.toolbox.specs(),
            temperature=self.temperature,
            seed=seed,
            feature=self.feature,
            trajectory_id=trajectory_id,
        )

    def _run_tool(self, trajectory: Trajectory, name: str, arguments: dict) -> Step:
        started, clock = utc_now(), time.perf_counter()
        result, key = self.toolbox.run(name, arguments, trajectory.id)
        step = Step(
            index=len(trajectory.steps),
            kind="tool",
            text=result.content,
            tool=name,
            arguments=arguments,
            error=result.error,
            idempotency_key=key,
            replayed=result.replayed,
            latency_s=time.perf_counter() - clock,
        )
        trajectory.steps.append(step)
        self._record(trajectory.id, step, started)
        return step

    def _record(self, trajectory_id: str, step: Step, started: str) -> None:
        """Tool calls go to the trace store beside the model calls, when the client has one."""
        write = getattr(self.client.traces, "write_tool_call", None)
        if write is None:
            return
        from course.tracing import ToolCallRecord

        write(
            ToolCallRecord(
                trajectory_id=trajectory_id,
                step=step.index,
                tool=step.tool or "",
                arguments=step.arguments or {},
                result_text=step.text,
                error=step.error,
                idempotency_key=step.idempotency_key,
                replayed=step.replayed,
                latency_s=step.latency_s,
                started_at=started,
            )
        )

    def _over_budget(self, trajectory: Trajectory) -> str | None:
        limits = self.budget
        checks = (
            (
                trajectory.model_turns >= limits.max_model_turns,
                f"{trajectory.model_turns} model turns (limit {limits.max_model_turns})",
            ),
            (
                trajectory.tokens >= limits.max_tokens,
                f"{trajectory.tokens} tokens (limit {limits.max_tokens})",
            ),
            (
                trajectory.cost_usd >= limits.max_cost_usd,
                f"${trajectory.cost_usd:.4f} (limit ${limits.max_cost_usd:.4f})",
            ),
            (
                trajectory.latency_s >= limits.max_seconds,
                f"{trajectory.latency_s:.1f} s (limit {limits.max_seconds:g} s)",
            ),
        )
        return next((why for hit, why in checks if hit), None)


def _model_step(index: int, response: LLMResponse) -> Step:
    return Step(
        index=index,
        kind="model",
        text=response.text if response.refusal is None else f"[refusal] {response.refusal}",
        input_tokens=response.usage.input_tokens,
        output_tokens=response.usage.output_tokens,
        cost_usd=response.cost_usd,
        latency_s=response.latency_s,
    )


def _stopped(trajectory: Trajectory, reason: StopReason, detail: str = "") -> Trajectory:
    trajectory.stop_reason = reason
    trajectory.stop_detail = detail
    return trajectory
