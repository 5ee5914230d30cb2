"""One client for every provider, with the backend discipline built in.

A call goes: cache lookup -> circuit breaker -> budget check -> attempt -> (retry with backoff
on transient errors) -> cost -> trace -> (validate and repair structured output) -> cache store.
Each step has a switch, so a notebook can show what happens without it.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from course.config import Settings, resolve, state_dir
from course.errors import ConfigurationError
from course.llm.breaker import CircuitBreaker, ProviderUnavailable, breaker_for
from course.llm.budget import Budget
from course.llm.cache import ResponseCache, request_key
from course.llm.errors import BudgetExceeded, LLMError, StructuredOutputError, TransientError
from course.llm.events import AttemptEvent, AttemptSink, default_sink, utc_now
from course.llm.providers import Provider, ProviderReply, make_provider, provider_entry
from course.llm.providers.chaos import ChaosProvider
from course.llm.retry import RealClock, RetryPolicy, VirtualClock
from course.llm.structured import parse_structured, repair_messages, schema_for
from course.llm.types import LLMRequest, LLMResponse, Message, Usage
from course.models import ModelSpec, catalog
from course.tokens import count_tokens

if TYPE_CHECKING:
    import pandas as pd

    from course.sim import FaultPlan

T = TypeVar("T")
Prompt = str | list[Message] | list[dict[str, Any]]


@dataclass
class _Call:
    """Bookkeeping for one logical call: every attempt shares its id."""

    feature: str
    call_id: str
    trajectory_id: str | None = None
    attempts: int = 0


class Client:
    """Ask a model something; get a typed, costed, traced answer.

    Provider and model default to configuration (COURSE_PROVIDER, COURSE_MODEL), so the same
    notebook runs on the simulator, OpenAI, Anthropic or a local server unchanged.
    `faults` injects failures (429s, timeouts, 5xx, malformed JSON, ...) on any provider.
    """

    def __init__(
        self,
        provider: str | None = None,
        model: str | None = None,
        *,
        feature: str = "default",
        seed: int | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        cache: bool | ResponseCache = True,
        budget: Budget | float | None = None,
        traces: bool | AttemptSink = True,
        sinks: Sequence[AttemptSink] = (),
        run_id: str | None = None,
        faults: FaultPlan | None = None,
        real_time: bool = False,
        provider_impl: Provider | None = None,
        breaker: CircuitBreaker | bool | None = None,
    ) -> None:
        self.settings: Settings = resolve(provider, model)
        self.feature = feature
        self.seed = seed
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        if provider_impl is not None:
            self.provider = provider_impl
            native_faults = getattr(provider_impl, "native_faults", False)
        else:
            native_faults = provider_entry(self.settings.provider).native_faults
            self.provider = make_provider(self.settings, faults=faults, real_time=real_time)
        if faults is not None and not native_faults:
            self.provider = ChaosProvider(self.provider, faults)
        self.clock = VirtualClock() if self.provider.virtual_time else RealClock()
        if breaker is None:  # by default only real waits need a breaker
            breaker = not self.provider.virtual_time
        self.breaker = _default_or(breaker, lambda: breaker_for(self.provider.endpoint))
        self.cache = _default_or(cache, lambda: ResponseCache(state_dir() / "cache.sqlite"))
        self.traces = _default_or(traces, default_sink)
        self.sinks = [sink for sink in (self.traces, *sinks) if sink is not None]
        self.budget = Budget(budget) if isinstance(budget, int | float) else budget
        self.run_id = run_id or os.environ.get("COURSE_RUN_ID") or uuid.uuid4().hex[:12]
        self.spent_usd = 0.0
        self._jitter = random.Random(seed)

    @property
    def model(self) -> str:
        return self.settings.model

    def complete(
        self,
        prompt: Prompt,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = None,
        response_model: type[BaseModel] | None = None,
        json_mode: bool = False,
        tools: list[dict[str, Any]] | None = None,
        timeout_s: float | None = None,
        use_cache: bool | None = None,
        feature: str | None = None,
        repair: bool = True,
        trajectory_id: str | None = None,
    ) -> LLMResponse:
        """One logical call. Raises a course.llm.errors type if it cannot succeed.

        `use_cache` defaults to caching only deterministic requests (temperature 0), so
        sampling experiments (pass^k, flakiness) see fresh trials. `repair=False` skips the
        repair turn, so an invalid structured reply fails at once (to measure what repair buys).
        `trajectory_id` tags the attempts with the agent run they belong to (course.agents).
        """
        spec = self._spec(model)
        request = LLMRequest(
            provider=self.settings.provider,
            model=spec.id,
            messages=_as_messages(prompt, system),
            temperature=temperature,
            seed=self.seed if seed is None else seed,
            max_tokens=max_tokens,
            json_schema=schema_for(response_model) if response_model else None,
            json_mode=json_mode,
            tools=tools,
        )
        call = _Call(feature or self.feature, uuid.uuid4().hex[:16], trajectory_id)
        cacheable = use_cache if use_cache is not None else temperature == 0
        caching = self.cache is not None and cacheable
        key = request_key(request, self.provider.endpoint) if caching else ""

        cached = self.cache.get(key) if caching else None
        if cached is not None:
            response = self._from_cache(cached, request, call)
        else:
            response = self._with_retries(request, spec, call, timeout_s or self.timeout_s)
        if response_model is not None and not response.cached:
            response = self._validated(
                response, request, spec, call, timeout_s, response_model, repair
            )
        elif response_model is not None:
            response.parsed, _ = parse_structured(response.text, response_model)
        if caching and not response.cached:
            self.cache.put(key, response)
        return response

    def calls(self, feature: str | None = None) -> pd.DataFrame:
        """This run's attempts from the trace store."""
        if self.traces is None or not hasattr(self.traces, "calls"):
            raise ConfigurationError(
                "This client has no trace store to read attempts from.",
                hint="Create it with traces=True (the default) or traces=TraceStore(path).",
            )
        return self.traces.calls(run_id=self.run_id, feature=feature)

    # -- steps -----------------------------------------------------------------------------

    def _spec(self, model: str | None) -> ModelSpec:
        if model is None:
            return catalog().get(self.settings.model)
        chosen = resolve(self.settings.provider, model)
        return catalog().get(chosen.model)

    def _with_retries(
        self, request: LLMRequest, spec: ModelSpec, call: _Call, timeout_s: float
    ) -> LLMResponse:
        waited = spent_latency = 0.0
        for attempt in range(1, self.retry.max_attempts + 1):
            call.attempts += 1
            self._through_breaker(request, call)
            self._reserve(request, spec, call)
            started = utc_now()
            try:
                reply = self.provider.send(request, timeout_s)
            except Exception as error:
                if self.breaker is not None:
                    self.breaker.record(error)
                elapsed = getattr(error, "elapsed_s", 0.0)
                spent_latency += elapsed
                retrying = isinstance(error, TransientError) and attempt < self.retry.max_attempts
                delay = self.retry.delay_s(attempt, error, self._jitter) if retrying else 0.0
                self._trace(
                    call, request, "error", started, latency_s=elapsed, backoff_s=delay, error=error
                )
                if not retrying:
                    error.call_id, error.run_id = call.call_id, self.run_id  # type: ignore[attr-defined]
                    if isinstance(error, TransientError):
                        error.add_note(self._give_up_note(attempt, call))
                    raise
                self.clock.sleep(delay)
                waited += delay
                continue
            if self.breaker is not None:
                self.breaker.record(None)
            cost = spec.cost_usd(reply.input_tokens, reply.output_tokens)
            self._charge(cost)
            self._trace(
                call, request, "ok", started, latency_s=reply.latency_s, reply=reply, cost=cost
            )
            return _response(
                reply, request, cost, spent_latency + reply.latency_s + waited, attempt
            )
        raise AssertionError("unreachable: the loop returns or raises")

    def _through_breaker(self, request: LLMRequest, call: _Call) -> None:
        """Raise ProviderUnavailable (traced as an error attempt) if the breaker is open."""
        if self.breaker is None:
            return
        try:
            self.breaker.before_attempt()
        except ProviderUnavailable as error:
            self._trace(call, request, "error", utc_now(), error=error)
            raise self._tagged(error, call) from None

    def _tagged(self, error: LLMError, call: _Call) -> LLMError:
        """Attach the ids that find this call's attempts in the trace store."""
        error.call_id, error.run_id = call.call_id, self.run_id  # type: ignore[attr-defined]
        return error

    def _give_up_note(self, attempts: int, call: _Call) -> str:
        where = (
            f"each is in the trace store (run_id={self.run_id!r}, call_id={call.call_id!r})"
            if self.traces is not None
            else "tracing is off"
        )
        return f"Gave up after {attempts} attempt(s); {where}."

    def _validated(
        self,
        response: LLMResponse,
        request: LLMRequest,
        spec: ModelSpec,
        call: _Call,
        timeout_s: float | None,
        response_model: type[BaseModel],
        repair: bool,
    ) -> LLMResponse:
        parsed, errors = parse_structured(response.text, response_model)
        if parsed is not None:
            response.parsed = parsed
            return response
        if response.refusal:
            raise self._tagged(
                StructuredOutputError(
                    "The model refused instead of answering.",
                    raw_text=response.text,
                    errors=response.refusal,
                    hint="Rephrase, or handle refusals as a fallback path.",
                ),
                call,
            )
        if not repair:
            raise self._tagged(
                StructuredOutputError(
                    f"Output did not match {response_model.__name__} (repair is off): {errors}",
                    raw_text=response.text,
                    errors=errors or "",
                    hint="Turn repair on, or fall back to a baseline.",
                ),
                call,
            )
        repair_request = request.model_copy(
            update={
                "messages": repair_messages(
                    request.messages, response.text, errors or "", request.json_schema or {}
                )
            }
        )
        second = self._with_retries(repair_request, spec, call, timeout_s or self.timeout_s)
        parsed, errors = parse_structured(second.text, response_model)
        if parsed is None:
            raise self._tagged(
                StructuredOutputError(
                    f"Output did not match {response_model.__name__} after one repair: {errors}",
                    raw_text=second.text,
                    errors=errors or "",
                    hint="Use a stronger model, simplify the schema, or fall back to a baseline.",
                ),
                call,
            )
        return second.model_copy(
            update={
                "parsed": parsed,
                "cost_usd": response.cost_usd + second.cost_usd,
                "latency_s": response.latency_s + second.latency_s,
                "attempts": response.attempts + second.attempts,
                "usage": Usage(
                    input_tokens=response.usage.input_tokens + second.usage.input_tokens,
                    output_tokens=response.usage.output_tokens + second.usage.output_tokens,
                ),
            }
        )

    def _from_cache(self, cached: LLMResponse, request: LLMRequest, call: _Call) -> LLMResponse:
        call.attempts += 1
        self._trace(call, request, "cache_hit", utc_now(), latency_s=0.0, text=cached.text)
        return cached.model_copy(
            update={"cached": True, "cost_usd": 0.0, "latency_s": 0.0, "attempts": 0}
        )

    def _reserve(self, request: LLMRequest, spec: ModelSpec, call: _Call) -> None:
        if self.budget is None:
            return
        # Our token count is an estimate, so pad it: 20% plus a few tokens of chat framing per
        # message. The output side is exact: a provider never returns more than max_tokens.
        text = request.model_dump_json(include={"messages", "tools", "json_schema"})
        prompt_tokens = int(count_tokens(text) * 1.2) + 8 * len(request.messages)
        worst = spec.cost_usd(prompt_tokens, request.max_tokens or spec.max_output_tokens)
        try:
            self.budget.reserve(worst)
        except BudgetExceeded as error:
            self._trace(call, request, "budget_stop", utc_now(), error=error)
            raise self._tagged(error, call) from None

    def _charge(self, cost: float) -> None:
        self.spent_usd += cost
        if self.budget is not None:
            self.budget.charge(cost)

    def _trace(
        self,
        call: _Call,
        request: LLMRequest,
        status: str,
        started: str,
        *,
        latency_s: float = 0.0,
        backoff_s: float = 0.0,
        reply: ProviderReply | None = None,
        cost: float = 0.0,
        error: BaseException | None = None,
        text: str | None = None,
    ) -> None:
        if not self.sinks:
            return
        event = AttemptEvent(
            run_id=self.run_id,
            feature=call.feature,
            call_id=call.call_id,
            trajectory_id=call.trajectory_id,
            attempt=call.attempts,
            status=status,
            provider=self.settings.provider,
            request=request,
            started_at=started,
            reply=reply,
            error=error,
            cached_text=text,
            cost_usd=cost,
            latency_s=latency_s,
            backoff_s=backoff_s,
        )
        for sink in self.sinks:
            sink.record(event)


def _default_or(choice: bool | T, make_default: Callable[[], T]) -> T | None:
    """True means "the default one", False means "off", anything else is used as given."""
    if choice is True:
        return make_default()
    return None if choice is False else choice


def _as_messages(prompt: Prompt, system: str | None) -> list[Message]:
    if isinstance(prompt, str):
        messages = [Message(role="user", content=prompt)]
    else:
        messages = [m if isinstance(m, Message) else Message.model_validate(m) for m in prompt]
    if system is not None:
        messages.insert(0, Message(role="system", content=system))
    if not messages:
        raise ValueError("A call needs at least one message.")
    return messages


def _response(
    reply: ProviderReply, request: LLMRequest, cost: float, latency_s: float, attempts: int
) -> LLMResponse:
    return LLMResponse(
        text=reply.text,
        tool_calls=reply.tool_calls,
        refusal=reply.refusal,
        usage=Usage(input_tokens=reply.input_tokens, output_tokens=reply.output_tokens),
        cost_usd=cost,
        latency_s=latency_s,
        model=request.model,
        provider=request.provider,
        finish_reason=reply.finish_reason,
        request_id=reply.request_id,
        attempts=attempts,
    )
