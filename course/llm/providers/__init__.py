"""Providers: the simulator, OpenAI (and compatible servers), Anthropic.

Every provider is one row of ``REGISTRY``: how to build it from the settings, and what it can
do. The client reads the row, never a provider's name, so a new provider is one new row (and
one entry in course/models.toml for its models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from course.config import Settings
from course.errors import ConfigurationError
from course.llm.providers.base import Provider, ProviderReply

if TYPE_CHECKING:
    from course.sim import FaultPlan


@dataclass(frozen=True)
class ProviderEntry:
    """How to build one provider, and what it does itself.

    ``native_faults``: it realises a FaultPlan itself (the simulator, with its latency model and
    real HTTP status codes over its server); any other provider gets faults from the chaos
    wrapper in the client.
    """

    build: Callable[[Settings, FaultPlan | None, bool], Provider]
    native_faults: bool = False


def _sim(settings: Settings, faults: FaultPlan | None, real_time: bool) -> Provider:
    from course.llm.providers.sim import SimProvider

    return SimProvider(faults=faults, real_time=real_time)


def _openai(settings: Settings, faults: FaultPlan | None, real_time: bool) -> Provider:
    from course.llm.providers.openai_provider import OpenAIProvider

    return OpenAIProvider(settings.api_key, settings.base_url)


def _anthropic(settings: Settings, faults: FaultPlan | None, real_time: bool) -> Provider:
    from course.llm.providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider(settings.api_key)


REGISTRY: dict[str, ProviderEntry] = {
    "sim": ProviderEntry(_sim, native_faults=True),
    "openai": ProviderEntry(_openai),
    "anthropic": ProviderEntry(_anthropic),
}


def provider_entry(name: str) -> ProviderEntry:
    """The registry row for ``name``; an unknown name is a configuration error, never a guess."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigurationError(
            f"No provider is registered as {name!r}.",
            hint=f"Use one of: {', '.join(REGISTRY)} (an OpenAI-compatible server is 'openai' "
            "with COURSE_BASE_URL), or add a row to course.llm.providers.REGISTRY.",
        ) from None


def make_provider(
    settings: Settings, faults: FaultPlan | None = None, real_time: bool = False
) -> Provider:
    """Build the provider the settings name; SDKs are imported only when used.

    ``faults`` reach only a provider that realises them natively; the client wraps the others.
    """
    entry = provider_entry(settings.provider)
    return entry.build(settings, faults if entry.native_faults else None, real_time)


__all__ = [
    "REGISTRY",
    "Provider",
    "ProviderEntry",
    "ProviderReply",
    "make_provider",
    "provider_entry",
]
