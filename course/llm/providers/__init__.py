"""Providers: the simulator, OpenAI (and compatible servers), Anthropic."""

from __future__ import annotations

from course.config import Settings
from course.llm.providers.base import Provider, ProviderReply


def make_provider(settings: Settings, **sim_options: object) -> Provider:
    """Build the provider the settings name; SDKs are imported only when used."""
    if settings.provider == "sim":
        from course.llm.providers.sim import SimProvider

        return SimProvider(**sim_options)  # type: ignore[arg-type]
    if settings.provider == "openai":
        from course.llm.providers.openai_provider import OpenAIProvider

        return OpenAIProvider(settings.api_key, settings.base_url)
    from course.llm.providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider(settings.api_key)


__all__ = ["Provider", "ProviderReply", "make_provider"]
