"""The client's backend discipline, tested against a scripted provider."""

from __future__ import annotations

import pytest
from fakes import ScriptedProvider, reply
from pydantic import BaseModel

from course.llm import (
    NO_RETRY,
    BadRequest,
    Budget,
    BudgetExceeded,
    Client,
    RateLimited,
    ResponseCache,
    RetryPolicy,
    ServerError,
    StructuredOutputError,
)
from course.llm.errors import ProviderTimeout
from course.models import catalog
from course.tracing import TraceStore


@pytest.fixture
def store(tmp_path):
    return TraceStore(tmp_path / "traces.sqlite")


@pytest.fixture
def cache(tmp_path):
    return ResponseCache(tmp_path / "cache.sqlite")


def make_client(script, store, cache=False, **options):
    provider = ScriptedProvider(script)
    client = Client(
        "sim", "sim-small", provider_impl=provider, traces=store, cache=cache, **options
    )
    return client, provider


def test_retry_after_is_honoured_exactly(store):
    client, provider = make_client(
        [RateLimited("429", retry_after_s=7.0), reply()], store, retry=RetryPolicy(jitter=True)
    )
    response = client.complete("hello")
    assert response.text == "ok"
    assert response.attempts == 2
    assert client.clock.slept_s == pytest.approx(7.0)
    assert response.latency_s == pytest.approx(0.1 + 7.0 + 0.25)
    assert len(provider.requests) == 2


def test_backoff_is_exponential_without_jitter(store):
    client, _ = make_client(
        [ServerError("500"), ServerError("502"), reply()],
        store,
        retry=RetryPolicy(base_delay_s=0.5, jitter=False),
    )
    client.complete("hello")
    assert client.clock.slept_s == pytest.approx(0.5 + 1.0)


def test_full_jitter_stays_within_the_exponential_cap():
    import random

    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0)
    rng = random.Random(0)
    error = ServerError("500")
    for attempt, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = [policy.delay_s(attempt, error, rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= cap
        assert max(delays) > cap * 0.8  # it really spreads over the range


def test_gives_up_after_max_attempts_and_traces_each(store):
    client, _ = make_client([ProviderTimeout("t")] * 4, store, retry=RetryPolicy(max_attempts=4))
    with pytest.raises(ProviderTimeout) as caught:
        client.complete("hello")
    assert any("Gave up after 4 attempt" in note for note in caught.value.__notes__)
    frame = client.calls()
    assert list(frame["attempt"]) == [1, 2, 3, 4]
    assert set(frame["status"]) == {"error"}
    assert set(frame["error_type"]) == {"ProviderTimeout"}
    assert frame["call_id"].nunique() == 1


def test_bad_request_is_not_retried(store):
    client, provider = make_client([BadRequest("400"), reply()], store)
    with pytest.raises(BadRequest):
        client.complete("hello")
    assert len(provider.requests) == 1


def test_per_call_timeout_reaches_the_provider(store):
    client, provider = make_client([reply(), reply()], store, timeout_s=12.0)
    client.complete("a")
    client.complete("b", timeout_s=0.5)
    assert provider.timeouts == [12.0, 0.5]


def test_cache_makes_reruns_free_and_identical(store, cache):
    client, provider = make_client([reply("first")], store, cache=cache)
    first = client.complete("same question")
    second = client.complete("same question")
    assert len(provider.requests) == 1
    assert second.cached and not first.cached
    assert second.text == first.text == "first"
    assert second.cost_usd == 0 and first.cost_usd > 0
    statuses = list(client.calls()["status"])
    assert statuses == ["ok", "cache_hit"]


def test_cache_key_changes_with_anything_that_changes_the_answer(store, cache):
    client, provider = make_client([reply("a"), reply("b"), reply("c")], store, cache=cache)
    client.complete("q")
    client.complete("q", system="be brief")
    client.complete("q", seed=3)
    assert len(provider.requests) == 3


def test_sampled_requests_are_not_cached_by_default(store, cache):
    client, _provider = make_client([reply("a"), reply("b")], store, cache=cache)
    assert client.complete("q", temperature=0.7).text == "a"
    assert client.complete("q", temperature=0.7).text == "b"
    assert len(cache) == 0


def test_errors_are_never_cached(store, cache):
    client, _provider = make_client([BadRequest("400"), reply("fine")], store, cache=cache)
    with pytest.raises(BadRequest):
        client.complete("q")
    assert client.complete("q").text == "fine"


def test_budget_stops_before_overspending(store):
    from course.tokens import count_tokens

    spec = catalog().get("sim-small")
    prompt = "Summarise this ticket about a refund that never arrived. " * 4
    tokens_in = count_tokens(prompt)
    per_call = spec.cost_usd(tokens_in, 20)
    limit = per_call * 3.5
    client, provider = make_client(
        [reply(input_tokens=tokens_in, output_tokens=20)] * 10, store, budget=Budget(limit)
    )
    made = 0
    with pytest.raises(BudgetExceeded):
        for _ in range(10):
            client.complete(prompt, max_tokens=20, use_cache=False)
            made += 1
    assert 1 <= made < 10
    assert client.budget.spent_usd <= limit
    assert client.calls()["status"].iloc[-1] == "budget_stop"
    assert len(provider.requests) == made


class Ticket(BaseModel):
    category: str
    urgent: bool


def test_structured_output_repairs_once(store, cache):
    bad = reply('Sure! {"category": "billing"}')
    good = reply('{"category": "billing", "urgent": true}')
    client, provider = make_client([bad, good], store, cache=cache)
    response = client.complete("classify", response_model=Ticket)
    assert response.parsed == Ticket(category="billing", urgent=True)
    assert "urgent" in provider.requests[1].messages[-1].content  # the error was shown
    assert response.cost_usd == pytest.approx(2 * catalog().get("sim-small").cost_usd(100, 50))
    again = client.complete("classify", response_model=Ticket)  # validated answer was cached
    assert again.cached and again.parsed == response.parsed
    assert len(provider.requests) == 2


def test_structured_output_fails_clearly_after_one_repair(store):
    client, _ = make_client([reply("nope"), reply("still nope")], store)
    with pytest.raises(StructuredOutputError) as caught:
        client.complete("classify", response_model=Ticket)
    assert caught.value.raw_text == "still nope"
    assert "Ticket" in str(caught.value)


def test_structured_output_accepts_code_fences(store):
    client, _ = make_client([reply('```json\n{"category": "bug", "urgent": false}\n```')], store)
    assert client.complete("c", response_model=Ticket).parsed.category == "bug"


def test_no_retry_policy_fails_fast(store):
    client, provider = make_client([ServerError("503"), reply()], store, retry=NO_RETRY)
    with pytest.raises(ServerError):
        client.complete("q")
    assert len(provider.requests) == 1


def test_cost_is_counted_once_per_billed_attempt(store):
    client, _ = make_client([RateLimited("429", retry_after_s=1), reply()], store)
    response = client.complete("q")
    frame = client.calls()
    assert frame["cost_usd"].sum() == pytest.approx(response.cost_usd)
    assert frame.loc[frame["status"] == "error", "cost_usd"].sum() == 0
    assert client.spent_usd == pytest.approx(response.cost_usd)


def test_repair_can_be_switched_off(store):
    client, provider = make_client(
        [reply("not json"), reply('{"category": "x", "urgent": 1}')], store
    )
    with pytest.raises(StructuredOutputError, match="repair is off") as caught:
        client.complete("classify", response_model=Ticket, repair=False)
    assert len(provider.requests) == 1
    assert caught.value.call_id == client.calls()["call_id"].iloc[-1]


def test_backoff_waits_are_in_the_trace_and_in_call_latency(store):
    from course.tracing import call_latency

    client, _ = make_client(
        [RateLimited("429", retry_after_s=3.0), ServerError("500"), reply()],
        store,
        retry=RetryPolicy(base_delay_s=0.5, jitter=False),
    )
    response = client.complete("q")
    frame = client.calls()
    assert list(frame["backoff_s"]) == [3.0, 1.0, 0.0]
    assert call_latency(frame).iloc[0] == pytest.approx(response.latency_s)


def test_errors_carry_the_ids_that_find_them_in_the_trace_store(store):
    client, _ = make_client([BadRequest("400")], store)
    with pytest.raises(BadRequest) as caught:
        client.complete("q")
    assert caught.value.run_id == client.run_id
    assert caught.value.call_id in set(client.calls()["call_id"])
