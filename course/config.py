"""Which provider and model to use, read from the environment so notebooks never change.

Variables (all optional; the default is the offline simulator):
  COURSE_PROVIDER     sim | openai | anthropic
  COURSE_MODEL        a model id from course/models.toml (or COURSE_MODELS_FILE)
  COURSE_BASE_URL     an OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama
  OPENAI_API_KEY      needed for provider openai against api.openai.com
  ANTHROPIC_API_KEY   needed for provider anthropic
  COURSE_HOME         where the trace store and response cache live (default ~/.course)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from course.errors import ConfigurationError
from course.models import catalog, check_provider

KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


@dataclass(frozen=True)
class Settings:
    """The resolved choice of provider and model, and where to reach it."""

    provider: str
    model: str
    base_url: str | None
    api_key: str | None

    def describe(self) -> dict[str, str]:
        """A printable summary that never shows the key itself."""
        return {
            "provider": self.provider,
            "model": self.model,
            "base_url": self.base_url or "(provider default)",
            "api_key": "set" if self.api_key else "not set",
        }


def state_dir() -> Path:
    """Folder for the trace store and cache; created on first use."""
    path = Path(os.environ.get("COURSE_HOME") or Path.home() / ".course").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve(provider: str | None = None, model: str | None = None) -> Settings:
    """Fill in whatever the caller left as None from the environment, then the models file.

    Arguments win over environment variables so papermill parameters can override a
    learner's shell; an empty string counts as "not given".
    """
    models = catalog()
    chosen_model = model or os.environ.get("COURSE_MODEL") or None
    chosen_provider = provider or os.environ.get("COURSE_PROVIDER") or None
    if chosen_provider is None and chosen_model is not None:
        chosen_provider = models.get(chosen_model).provider
    chosen_provider = check_provider(chosen_provider or models.default_provider)
    chosen_model = chosen_model or models.default_for(chosen_provider)

    spec = models.get(chosen_model)
    base_url = os.environ.get("COURSE_BASE_URL") or None if chosen_provider == "openai" else None
    # An OpenAI-compatible server (Ollama, vLLM, the simulator's own) may serve any model.
    if spec.provider != chosen_provider and base_url is None:
        raise ConfigurationError(
            f"Model {chosen_model!r} belongs to provider {spec.provider!r}, "
            f"not {chosen_provider!r}.",
            hint=f"Pick a {chosen_provider} model ({', '.join(models.ids(chosen_provider))}) "
            "or change COURSE_PROVIDER.",
        )
    api_key = os.environ.get(KEY_VARIABLES.get(chosen_provider, ""), "") or None
    return Settings(chosen_provider, chosen_model, base_url, api_key)
