"""The circuit breaker: a provider that is plainly down stops being called for a while.

Unit tests drive the breaker with a hand-made clock; the client tests go through the openai
SDK to the simulator's HTTP server with every attempt answered by a 5xx.
"""

from __future__ import annotations

import pytest

from course.llm import Client, RateLimited, RetryPolicy, ServerError
from course.llm.breaker import CircuitBreaker, ProviderUnavailable, breaker_for
from course.llm.errors import BadRequest, ProviderTimeout
from course.sim import FaultPlan
from course.sim.server import serve_in_thread
from course.tracing import TraceStore


class Hands:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def down() -> ServerError:
    return ServerError("503 from the provider", status=503)


def test_it_opens_after_failures_in_a_row_and_refuses_without_sending():
    clock = Hands()
    breaker = CircuitBreaker("p", failures_to_open=3, cooldown_s=30, now=clock)
    for _ in range(2):
        breaker.before_attempt()
        breaker.record(down())
    assert breaker.state == "closed"
    breaker.before_attempt()
    breaker.record(ProviderTimeout("no answer in 30 s"))
    assert breaker.state == "open"
    with pytest.raises(ProviderUnavailable) as refused:
        breaker.before_attempt()
    assert "3 attempts in a row" in str(refused.value) and "30 s" in str(refused.value)


def test_a_reply_or_a_rate_limit_in_between_means_the_provider_is_up():
    breaker = CircuitBreaker("p", failures_to_open=3, cooldown_s=30, now=Hands())
    for outcome in (down(), down(), None, down(), down(), RateLimited("slow down"), down()):
        breaker.before_attempt()
        breaker.record(outcome)
    assert breaker.state == "open"  # the 429 neither counts nor resets: 3 failures after a reply
    fresh = CircuitBreaker("p", failures_to_open=2, cooldown_s=30, now=Hands())
    for outcome in (BadRequest("your request is wrong"), down(), None, down()):
        fresh.before_attempt()
        fresh.record(outcome)
    assert fresh.state == "closed"


def test_after_the_cooldown_one_trial_goes_through_and_decides():
    clock = Hands()
    breaker = CircuitBreaker("p", failures_to_open=1, cooldown_s=30, now=clock)
    breaker.before_attempt()
    breaker.record(down())
    clock.t += 29.9
    with pytest.raises(ProviderUnavailable):
        breaker.before_attempt()
    clock.t += 0.2
    assert breaker.state == "half-open"
    breaker.before_attempt()  # the trial
    with pytest.raises(ProviderUnavailable):
        breaker.before_attempt()  # a second caller while the trial is out
    breaker.record(down())  # the trial failed: a new pause from now
    assert breaker.state == "open"
    clock.t += 30.0
    breaker.before_attempt()
    breaker.record(None)
    assert breaker.state == "closed"
    breaker.before_attempt()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="failures_to_open"):
        CircuitBreaker(failures_to_open=0)


def test_a_client_stops_calling_a_dead_server_and_says_why(tmp_path, monkeypatch):
    store = TraceStore(tmp_path / "traces.sqlite")
    clock = Hands()
    breaker = CircuitBreaker("sim server", failures_to_open=4, cooldown_s=60, now=clock)
    plan = FaultPlan(rates={"server_error": 1.0}, server_retry_after_s=0.0)
    with serve_in_thread(faults=plan) as server:
        monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
        client = Client(
            "openai",
            "sim-small",
            retry=RetryPolicy(max_attempts=4, base_delay_s=0.0),
            traces=store,
            cache=False,
            breaker=breaker,
        )
        with pytest.raises(ServerError):
            client.complete("Where is my parcel?")
        assert server.completions_received == 4
        for _ in range(5):
            with pytest.raises(ProviderUnavailable, match="nothing was sent"):
                client.complete("Where is my parcel?")
        assert server.completions_received == 4, "an open breaker sent requests"
        clock.t += 60
        # The trial reaches the server and fails, so the call's next retry is refused at once.
        with pytest.raises(ProviderUnavailable):
            client.complete("Where is my parcel?")
        assert server.completions_received == 5
    refused = store.calls(run_id=client.run_id).query("error_type == 'ProviderUnavailable'")
    assert len(refused) == 5 + 1, "every refused call (and the retry after the trial) is traced"
    assert (refused["status"] == "error").all()


def test_real_providers_share_a_breaker_per_endpoint_and_the_simulator_has_none(monkeypatch):
    monkeypatch.setenv("COURSE_BASE_URL", "http://127.0.0.1:9/v1")
    first, second = Client("openai", "sim-small"), Client("openai", "sim-large")
    assert first.breaker is not None and first.breaker is second.breaker
    assert first.breaker is breaker_for(first.provider.endpoint)
    assert Client("sim", "sim-small").breaker is None
    assert Client("openai", "sim-small", breaker=False).breaker is None
