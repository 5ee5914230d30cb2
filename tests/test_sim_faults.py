"""Fault injection: the plan's parsing, its reproducible sequence, and each fault's effect."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest

from course.sim import (
    FAULT_KINDS,
    FaultPlan,
    SimRateLimit,
    SimRequest,
    SimServerError,
    SimTimeout,
    Simulator,
)
from course.sim.faults import REFUSAL_TEXT
from course.tokens import count_tokens

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
    "required": ["name", "email"],
}
JSON_REQUEST = SimRequest(
    model="sim-small",
    messages=[{"role": "user", "content": "I am Ana Lopez, write to ana@example.com please."}],
    response_format={"type": "json_schema", "json_schema": {"name": "contact", "schema": SCHEMA}},
)
TEXT_REQUEST = SimRequest(
    model="sim-small",
    messages=[{"role": "user", "content": "Explain why retries need idempotency keys at all"}],
)


def scripted(*kinds: str, **kw: float) -> Simulator:
    return Simulator(faults=FaultPlan(script=list(kinds), **kw))


# --- FaultPlan ---------------------------------------------------------------------------------


def test_parse_reads_rates_and_keywords() -> None:
    plan = FaultPlan.parse(" rate_limit=0.2, timeout=0.05,server_error=0.05 ", seed=7, hang_s=2.0)
    assert plan.rates == {"rate_limit": 0.2, "timeout": 0.05, "server_error": 0.05}
    assert (plan.seed, plan.hang_s) == (7, 2.0)
    assert FaultPlan.parse("").rates == {}


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("rate_limt=0.2", "valid kinds: rate_limit, timeout"),
        ("timeout=lots", "not a number"),
        ("timeout", "Missing '=rate'"),
        ("timeout=1.5", "between 0 and 1"),
        ("timeout=0.6,rate_limit=0.6", "more than 1"),
    ],
)
def test_parse_rejects_bad_specs_with_a_helpful_message(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        FaultPlan.parse(spec)
    assert fragment in str(info.value)


def test_bad_script_entry_is_rejected() -> None:
    with pytest.raises(ValueError, match="'ok' or one of"):
        FaultPlan(script=["rate_limit", "explode"])


def test_script_comes_first_then_seeded_draws() -> None:
    plan = FaultPlan(rates={"timeout": 1.0}, script=["rate_limit", "ok", "refusal"])
    assert [plan.next_fault() for _ in range(5)] == [
        "rate_limit",
        None,
        "refusal",
        "timeout",
        "timeout",
    ]


def test_fault_sequence_replays_with_the_same_seed() -> None:
    rates = {"rate_limit": 0.3, "server_error": 0.3}
    a, b, c = FaultPlan(rates, seed=1), FaultPlan(rates, seed=1), FaultPlan(rates, seed=2)
    seq_a = [a.next_fault() for _ in range(200)]
    assert seq_a == [b.next_fault() for _ in range(200)]
    assert seq_a != [c.next_fault() for _ in range(200)]


def test_rates_hold_over_many_draws() -> None:
    rates = {"rate_limit": 0.2, "timeout": 0.05, "server_error": 0.05, "truncation": 0.1}
    plan = FaultPlan(rates, seed=3)
    counts = Counter(plan.next_fault() for _ in range(2000))
    for kind, rate in rates.items():
        sigma = (rate * (1 - rate) / 2000) ** 0.5
        assert abs(counts[kind] / 2000 - rate) < 4 * sigma, (kind, counts[kind])
    assert abs(counts[None] / 2000 - 0.6) < 0.05


def test_next_fault_is_thread_safe() -> None:
    rates = {"rate_limit": 0.25, "timeout": 0.25, "refusal": 0.25}
    alone = FaultPlan(rates, seed=9)
    expected = Counter(alone.next_fault() for _ in range(4000))
    shared = FaultPlan(rates, seed=9)
    seen: list[str | None] = []
    lock = threading.Lock()

    def worker() -> None:
        local = [shared.next_fault() for _ in range(500)]
        with lock:
            seen.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every draw happened exactly once: the same multiset as drawing in one thread.
    assert Counter(seen) == expected


# --- each fault in-process ---------------------------------------------------------------------


def test_rate_limit_raises_with_retry_after() -> None:
    with pytest.raises(SimRateLimit) as info:
        scripted("rate_limit", retry_after_s=2.5).complete(TEXT_REQUEST)
    assert info.value.retry_after_s == 2.5 and info.value.kind == "rate_limit"


def test_timeout_raises_without_sleeping_in_virtual_time() -> None:
    started = time.perf_counter()
    with pytest.raises(SimTimeout) as info:
        scripted("timeout", hang_s=30.0).complete(TEXT_REQUEST)
    assert info.value.hang_s == 30.0
    assert time.perf_counter() - started < 1.0


def test_timeout_really_hangs_in_real_time() -> None:
    sim = Simulator(faults=FaultPlan(script=["timeout"], hang_s=0.3), real_time=True)
    started = time.perf_counter()
    with pytest.raises(SimTimeout):
        sim.complete(TEXT_REQUEST)
    assert time.perf_counter() - started >= 0.3


def test_real_time_sleeps_the_simulated_latency() -> None:
    started = time.perf_counter()
    result = Simulator(real_time=True).complete(TEXT_REQUEST)
    assert time.perf_counter() - started >= result.latency_s > 0


def test_server_error_has_a_5xx_status() -> None:
    statuses = set()
    for i in range(30):
        with pytest.raises(SimServerError) as info:
            scripted("server_error").complete(
                SimRequest("sim-small", TEXT_REQUEST.messages, seed=i)
            )
        statuses.add(info.value.status)
    assert statuses <= {500, 502, 503} and len(statuses) >= 2


def test_malformed_json_breaks_even_schema_output() -> None:
    good = Simulator().complete(JSON_REQUEST)
    bad = scripted("malformed_json").complete(JSON_REQUEST)
    json.loads(good.content)
    with pytest.raises(ValueError):
        json.loads(bad.content)
    assert bad.fault == "malformed_json"


def test_truncation_halves_and_reports_length() -> None:
    good = Simulator().complete(TEXT_REQUEST)
    cut = scripted("truncation").complete(TEXT_REQUEST)
    assert cut.finish_reason == "length" and cut.fault == "truncation"
    assert good.content.startswith(cut.content)
    assert cut.output_tokens <= good.output_tokens // 2 + 1
    assert cut.output_tokens == count_tokens(cut.content)


def test_refusal_has_no_content() -> None:
    result = scripted("refusal").complete(JSON_REQUEST)
    assert result.content is None and result.refusal == REFUSAL_TEXT
    assert result.fault == "refusal" and result.finish_reason == "stop"


def test_latency_spike_adds_spike_seconds() -> None:
    good = Simulator().complete(TEXT_REQUEST)
    slow = scripted("latency_spike", spike_s=8.0).complete(TEXT_REQUEST)
    assert slow.content == good.content
    assert slow.latency_s == pytest.approx(good.latency_s + 8.0)


def test_a_failed_call_is_not_a_trial() -> None:
    hot = SimRequest(
        "sim-small",
        [
            {"role": "system", "content": "Labels: alpha, beta, gamma, delta"},
            {"role": "user", "content": "no signal at all"},
        ],
        temperature=1.0,
    )
    flaky = scripted("rate_limit", "server_error")
    answers = []
    for _ in range(6):
        try:
            answers.append(flaky.complete(hot).content)
        except (SimRateLimit, SimServerError):
            continue
    clean = Simulator()
    assert answers == [clean.complete(hot).content for _ in range(4)]


def test_every_kind_is_covered_by_the_contract() -> None:
    assert set(FAULT_KINDS) == {
        "rate_limit",
        "timeout",
        "server_error",
        "malformed_json",
        "truncation",
        "refusal",
        "latency_spike",
    }
