"""The openai provider, through the official SDK, against the simulator's HTTP server."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from course.errors import ConfigurationError
from course.llm import (
    Client,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimited,
    RetryPolicy,
    ServerError,
)
from course.llm.events import AttemptRecorder
from course.sim import FaultPlan
from course.sim.server import serve_in_thread


@pytest.fixture
def server():
    with serve_in_thread() as running:
        yield running


def http_client(base_url, monkeypatch, **options):
    monkeypatch.setenv("COURSE_BASE_URL", base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    options.setdefault("traces", False)
    options.setdefault("cache", False)
    return Client("openai", "sim-small", **options)


class Ticket(BaseModel):
    category: str
    priority: str


def test_plain_call_has_usage_cost_and_request_id(server, monkeypatch):
    client = http_client(server.base_url, monkeypatch)
    response = client.complete("Say hello to the course.")
    assert response.provider == "openai" and response.model == "sim-small"
    assert response.text and response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.cost_usd > 0 and response.request_id
    assert response.finish_reason == "stop"


def test_http_answers_match_in_process_answers(server, monkeypatch):
    prompt = "Classify this ticket. Labels: billing, bug, account.\nTicket: refund my double charge"
    over_http = http_client(server.base_url, monkeypatch).complete(prompt)
    in_process = Client("sim", "sim-small", traces=False, cache=False).complete(prompt)
    assert over_http.text == in_process.text
    assert over_http.usage == in_process.usage


def test_structured_output_over_http(server, monkeypatch):
    client = http_client(server.base_url, monkeypatch)
    response = client.complete(
        "Extract the ticket fields. Ticket: the app crashes on login, urgent!",
        response_model=Ticket,
    )
    assert isinstance(response.parsed, Ticket)


def test_tool_calls_over_http(server, monkeypatch):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_order_status",
                "description": "Look up the shipping status of an order by its id",
                "parameters": {
                    "type": "object",
                    "properties": {"order_id": {"type": "string"}},
                    "required": ["order_id"],
                },
            },
        }
    ]
    response = http_client(server.base_url, monkeypatch).complete(
        "What is the shipping status of order 'A-1742'?", tools=tools
    )
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0].name == "get_order_status"
    assert "order_id" in response.tool_calls[0].arguments


def test_429_retry_after_is_honoured_over_http(monkeypatch):
    plan = FaultPlan(script=["rate_limit", "ok"], retry_after_s=0.2)
    with serve_in_thread(faults=plan) as running:
        client = http_client(running.base_url, monkeypatch, retry=RetryPolicy(max_attempts=2))
        response = client.complete("hello")
    assert response.attempts == 2
    assert response.latency_s >= 0.2


def test_persistent_429_surfaces_rate_limited(monkeypatch):
    plan = FaultPlan(rates={"rate_limit": 1.0}, retry_after_s=0.01)
    with serve_in_thread(faults=plan) as running:
        client = http_client(running.base_url, monkeypatch, retry=RetryPolicy(max_attempts=2))
        with pytest.raises(RateLimited) as caught:
            client.complete("hello")
    assert caught.value.retry_after_s == pytest.approx(0.01, abs=0.01)


@pytest.mark.parametrize("retry_after_s", [None, 0.0, 0.3])
def test_a_5xx_is_retried_and_its_retry_after_wins_over_the_backoff(monkeypatch, retry_after_s):
    """A 503 may say when to come back, like a 429; without the header the backoff decides."""
    script = ["server_error", "server_error", "server_error", "ok"]
    plan = FaultPlan(script=script, server_retry_after_s=retry_after_s)
    backoff = 5.0 if retry_after_s is not None else 0.05  # a header must cut a 5 s backoff
    recorder = AttemptRecorder()
    with serve_in_thread(faults=plan) as running:
        client = http_client(
            running.base_url,
            monkeypatch,
            retry=RetryPolicy(max_attempts=2, base_delay_s=backoff),
            sinks=[recorder],
        )
        with pytest.raises(ServerError) as caught:  # two 5xx: the last one surfaces
            client.complete("hello")
        response = client.complete("hello again")  # a 5xx, then an answer
    assert caught.value.retry_after_s == retry_after_s
    assert response.attempts == 2
    assert recorder.statuses() == ["error", "error", "error", "ok"]
    waits = [event.backoff_s for event in recorder.events]
    if retry_after_s is None:  # jittered backoff within [0, base] after a retried attempt
        assert 0 <= waits[0] <= backoff and 0 <= waits[2] <= backoff
    else:  # the header's wait after each retried attempt, not up to 5 s of backoff
        assert waits[0] == waits[2] == retry_after_s
    assert waits[1] == waits[3] == 0.0  # no wait after the last attempt or a success


def test_timeout_over_http(monkeypatch):
    plan = FaultPlan(script=["timeout"], hang_s=1.0)
    with serve_in_thread(faults=plan, hang_s=1.0) as running:
        client = http_client(
            running.base_url,
            monkeypatch,
            timeout_s=0.2,
            retry=RetryPolicy(max_attempts=2, base_delay_s=0.01),
        )
        response = client.complete("hello")  # second attempt succeeds
    assert response.attempts == 2


def test_unknown_model_on_server_is_a_configuration_error(server, monkeypatch):
    monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
    client = Client("openai", "gpt-4o-mini", traces=False, cache=False)
    with pytest.raises(ConfigurationError, match="does not know this model"):
        client.complete("hello")


def test_unreachable_server_says_how_to_fix(monkeypatch):
    client = http_client(
        "http://127.0.0.1:9/v1", monkeypatch, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01)
    )
    with pytest.raises(ProviderUnreachable) as caught:
        client.complete("hello")
    assert "python -m course.sim serve" in caught.value.hint


def test_timeout_is_a_real_timeout_in_process():
    plan = FaultPlan(script=["latency_spike"], spike_s=10.0)
    client = Client(
        "sim",
        "sim-small",
        faults=plan,
        timeout_s=2.0,
        traces=False,
        cache=False,
        retry=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(ProviderTimeout):
        client.complete("hello")


def test_chaos_faults_work_on_a_non_sim_provider(server, monkeypatch):
    """The same FaultPlan injects client-side when the provider cannot be asked to fail."""
    plan = FaultPlan(script=["rate_limit", "server_error", "malformed_json"], retry_after_s=2.0)
    client = http_client(server.base_url, monkeypatch, faults=plan)
    first = client.complete("hello")  # 429 (Retry-After 2 s, counted not slept), 5xx, then ok
    assert first.attempts == 3
    assert first.latency_s >= 2.0
    repaired = client.complete(
        "Extract the ticket fields. Ticket: the app crashes on login, urgent!",
        response_model=Ticket,
    )
    assert isinstance(repaired.parsed, Ticket)
    # Injected failures never reach the server: one request for the first call, then one per
    # attempt of the second (two if the damaged JSON needed the repair turn).
    assert server.completions_received == 1 + repaired.attempts
