"""course.evals.counted: the clients the graded assignments run a learner's function with."""

from __future__ import annotations

import pytest

from course.baselines import KeywordTriage
from course.evals.counted import (
    CountedClient,
    PrivateClients,
    Recording,
    Runaway,
    metered_simulator,
)
from course.llm import Client
from course.llm.providers.sim import SimProvider
from course.models import catalog


@pytest.fixture
def clients():
    made = PrivateClients("t-counted", feature="t-counted", max_calls=3)
    yield made
    made.folder.cleanup()


def test_a_client_counts_its_calls_per_item_and_keeps_the_reply_texts(clients):
    client = clients.client("a")
    assert isinstance(client, CountedClient) and client.max_calls == 3
    texts = [client.complete(f"Say {word}.").text.strip() for word in ("one", "two")]
    assert client.calls_this_item == 2
    assert client.replies_this_item == tuple(texts)
    client.new_item()
    assert (client.calls_this_item, client.replies_this_item) == (0, ())


def test_one_call_too_many_for_an_item_is_a_runaway_that_except_exception_cannot_catch(clients):
    client = clients.client("loop")
    for _ in range(3):
        client.complete("again")
    with pytest.raises(Runaway):
        try:
            client.complete("again")
        except Exception:  # what a careless retry loop in the code under test would write
            pytest.fail("Runaway was caught by `except Exception`")
    client.new_item()
    client.complete("again")  # the next item starts from zero


def test_clients_run_on_the_default_tier_with_private_traces_and_caches(clients):
    first, second = clients.client("x"), clients.client("x", seed=1)
    assert first.model == clients.model == catalog().default_for("sim")
    first.complete("hello")
    second.complete("hello")
    assert len(first.calls()) == 1 and len(second.calls()) == 1, "the trace stores are shared"
    assert first.calls()["status"].tolist() == ["ok"], "a private cache started non-empty"


def test_a_shared_cache_is_shared_on_purpose(clients):
    cache = clients.cache("shared")
    clients.client("p", cache=cache).complete("hello")
    replay = clients.client("q", cache=cache)
    replay.complete("hello")
    assert replay.calls()["status"].tolist() == ["cache_hit"]


def test_the_meter_counts_every_request_the_simulator_serves(clients):
    own = clients.client("own")
    other = Client("sim", clients.model, cache=False, traces=False)
    original = SimProvider.send
    with metered_simulator(own) as meter:
        own.complete("one")
        other.complete("two")
        other.complete("three")
    assert (meter["sends"], meter["own"]) == (3, 1)
    assert meter["cost_usd"] > 0
    assert SimProvider.send is original
    other.complete("after")  # outside the block nothing is counted
    assert meter["sends"] == 3


def test_the_meter_puts_the_simulator_back_when_the_block_raises():
    original = SimProvider.send
    with pytest.raises(RuntimeError), metered_simulator():
        assert SimProvider.send is not original
        raise RuntimeError("the code under test failed")
    assert SimProvider.send is original


def test_recording_answers_as_the_wrapped_predictor_and_keeps_every_text():
    inner = KeywordTriage()
    recorder = Recording(inner)
    assert recorder.fit(["ignored"]) is recorder
    texts = ["I was charged twice", "the app crashes on login"]
    assert recorder.predict_many(texts) == [inner.predict(t) for t in texts]
    assert recorder.texts == texts
