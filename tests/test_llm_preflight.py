"""provider_or_sim: one test call, and the simulator when the provider cannot answer it."""

from __future__ import annotations

import pytest

from course.errors import ConfigurationError
from course.llm import provider_or_sim
from course.sim.server import serve_in_thread
from course.tracing.store import default_store


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with serve_in_thread() as running:
        monkeypatch.setenv("COURSE_BASE_URL", running.base_url)
        yield running


def test_the_simulator_is_taken_as_it_is_without_a_call(capsys):
    assert provider_or_sim(None, None, seed=0, feature="t-pre") == (
        None,
        None,
        provider_or_sim("sim", None, seed=0, feature="t-pre")[2],
    )
    provider, model, settings = provider_or_sim("sim", "sim-large", seed=1, feature="t-pre")
    assert (provider, model, settings.provider, settings.model) == (
        "sim", "sim-large", "sim", "sim-large"
    )  # fmt: skip
    assert default_store().count() == 0, "the simulator was sent a test call it cannot fail"
    assert capsys.readouterr().out == ""


def test_a_working_provider_is_kept_and_the_call_is_traced_under_the_feature(server, capsys):
    provider, model, settings = provider_or_sim("openai", "sim-small", seed=3, feature="t-pre")
    assert (provider, model) == ("openai", "sim-small")
    assert (settings.provider, settings.base_url) == ("openai", server.base_url)
    calls = default_store().calls(feature="t-pre")
    assert len(calls) == 1, f"expected one test call traced as 't-pre', found {len(calls)}"
    assert server.completions_received == 1, "the server did not see exactly one test call"
    assert capsys.readouterr().out == ""


def test_a_failing_provider_falls_back_to_the_simulator_and_says_why(server, capsys):
    # the simulator's server does not serve gpt-4o-mini: a final error, as a wrong key would be
    provider, model, settings = provider_or_sim("openai", "gpt-4o-mini", seed=0, feature="t-pre")
    assert (provider, model) == ("sim", None)
    assert (settings.provider, settings.model) == ("sim", "sim-small")
    out = capsys.readouterr().out
    assert out.startswith("openai failed a first test call: "), out
    assert "does not know this model" in out, "the provider's own reason is not shown"
    assert "continues on the offline simulator" in out


def test_a_configuration_mistake_is_raised_not_hidden(monkeypatch):
    monkeypatch.delenv("COURSE_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="belongs to provider"):
        provider_or_sim("anthropic", "sim-small", seed=0, feature="t-pre")
