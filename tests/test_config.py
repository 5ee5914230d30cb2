"""Configuration errors must say exactly how to fix them."""

from __future__ import annotations

import pytest

from course.config import resolve
from course.errors import ConfigurationError
from course.llm import Client
from course.models import build_catalog


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (
        "COURSE_PROVIDER",
        "COURSE_MODEL",
        "COURSE_BASE_URL",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "COURSE_MODELS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_default_is_the_simulator():
    settings = resolve()
    assert (settings.provider, settings.model) == ("sim", "sim-small")


def test_environment_chooses_provider_and_model(monkeypatch):
    monkeypatch.setenv("COURSE_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123456789012345678")
    settings = resolve()
    assert settings.provider == "openai" and settings.model == "gpt-4o-mini"
    assert settings.describe()["api_key"] == "set"
    assert "sk-test" not in str(settings.describe())


def test_arguments_override_environment(monkeypatch):
    monkeypatch.setenv("COURSE_MODEL", "sim-small")
    assert resolve(model="sim-large").model == "sim-large"


def test_unknown_model_lists_known_ones_and_how_to_add():
    with pytest.raises(ConfigurationError) as caught:
        resolve(model="gpt-99")
    assert "sim-small" in caught.value.hint and "COURSE_MODELS_FILE" in caught.value.hint


def test_unknown_provider():
    with pytest.raises(ConfigurationError, match="Unknown provider 'ollama'") as caught:
        resolve(provider="ollama")
    assert "COURSE_BASE_URL" in caught.value.hint


def test_model_of_another_provider_is_refused():
    with pytest.raises(ConfigurationError, match="belongs to provider 'anthropic'"):
        resolve(provider="openai", model="claude-haiku-4-5")


def test_compatible_server_may_serve_any_catalogued_model(monkeypatch):
    monkeypatch.setenv("COURSE_BASE_URL", "http://127.0.0.1:9/v1")
    settings = resolve(provider="openai", model="sim-small")
    assert settings.base_url == "http://127.0.0.1:9/v1"


def test_missing_openai_key_says_how_to_fix():
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY is not set") as caught:
        Client(provider="openai", traces=False, cache=False)
    assert "COURSE_PROVIDER=sim" in caught.value.hint


def test_missing_anthropic_key_says_how_to_fix():
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY is not set"):
        Client(provider="anthropic", traces=False, cache=False)


def test_extra_models_file_is_merged(tmp_path, monkeypatch):
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[models."qwen2.5:7b"]\nprovider = "openai"\ninput_usd_per_mtok = 0\n'
        "output_usd_per_mtok = 0\ncontext_window = 32768\n"
    )
    monkeypatch.setenv("COURSE_MODELS_FILE", str(extra))
    monkeypatch.setenv("COURSE_BASE_URL", "http://localhost:11434/v1")
    assert resolve(provider="openai", model="qwen2.5:7b").model == "qwen2.5:7b"


def test_broken_models_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[models."x"]\nprovider = "sim"\n')
    with pytest.raises(ConfigurationError, match="lacks input_usd_per_mtok"):
        build_catalog([bad])
    bad.write_text("[models\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        build_catalog([bad])


def test_embedding_models_are_listed_apart_from_chat_tiers():
    from course.models import catalog

    assert "sim-embed" not in catalog().ids("sim")
    assert catalog().ids("sim", kind="embedding") == ["sim-embed"]
    assert {"sim-small", "sim-large"} <= set(catalog().ids("sim"))
