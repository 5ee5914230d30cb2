"""Providers come from one table; the client asks the table, never a provider's name."""

from __future__ import annotations

import pytest

from course.config import Settings
from course.errors import ConfigurationError
from course.llm import Client
from course.llm.providers import REGISTRY, ProviderEntry, make_provider, provider_entry
from course.llm.providers.chaos import ChaosProvider
from course.llm.types import LLMRequest, Message
from course.sim import FaultPlan


def test_an_unknown_provider_is_an_error_that_names_the_known_ones():
    with pytest.raises(ConfigurationError) as caught:
        make_provider(Settings("mistral-cloud", "some-model", None, None))
    assert "mistral-cloud" in str(caught.value)
    assert all(name in str(caught.value.hint) for name in REGISTRY)


def test_only_the_simulator_realises_faults_itself():
    assert [name for name, entry in REGISTRY.items() if entry.native_faults] == ["sim"]
    client = Client(
        "sim", "sim-small", faults=FaultPlan(script=["server_error"]), traces=False, cache=False
    )
    assert not isinstance(client.provider, ChaosProvider)


class EchoProvider:
    """A provider from outside the course: it knows nothing of faults."""

    name, endpoint, virtual_time = "echo", "echo://local", True

    def send(self, request, timeout_s):
        from course.llm.providers import ProviderReply

        return ProviderReply(request.messages[-1].content, 3, 3, "stop", "echo-1", 0.01)


def test_a_new_provider_is_one_row_and_gets_faults_from_the_chaos_wrapper(monkeypatch):
    monkeypatch.setitem(REGISTRY, "echo", ProviderEntry(lambda s, f, r: EchoProvider()))
    assert provider_entry("echo").native_faults is False
    provider = make_provider(Settings("echo", "sim-small", None, None))
    request = LLMRequest(
        provider="echo", model="sim-small", messages=[Message(role="user", content="ping")]
    )
    assert provider.send(request, 1.0).text == "ping"

    given = Client(
        "sim",
        "sim-small",
        provider_impl=EchoProvider(),
        traces=False,
        cache=False,
        faults=FaultPlan(script=["server_error", "ok"]),
    )
    assert isinstance(given.provider, ChaosProvider)
    assert given.complete("ping").attempts == 2  # the injected 503, then the echo
