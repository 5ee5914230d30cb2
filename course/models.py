"""The model catalogue: every model id, price and context window, read from one TOML file.

Keeping this in data rather than code means a retired or re-priced model is a one-line change,
and notebooks can ask for "the default model of this provider" instead of naming one.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from course.errors import ConfigurationError

BUILTIN_MODELS_FILE = Path(__file__).with_name("models.toml")
PROVIDERS = ("sim", "openai", "anthropic")
MODEL_KINDS = ("chat", "embedding")


@dataclass(frozen=True)
class ModelSpec:
    """One model: who serves it, what it costs, how much it can read and write."""

    id: str
    provider: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    context_window: int
    max_output_tokens: int
    kind: str = "chat"  # "chat" or "embedding"
    sim: dict[str, float] = field(default_factory=dict)

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        """Price of one call; per-million-token prices are how every provider quotes them."""
        return (
            input_tokens * self.input_usd_per_mtok + output_tokens * self.output_usd_per_mtok
        ) / 1_000_000


@dataclass(frozen=True)
class Catalog:
    """All known models plus the default model for each provider."""

    models: dict[str, ModelSpec]
    default_provider: str
    default_models: dict[str, str]

    def get(self, model_id: str) -> ModelSpec:
        """Look a model up, or explain exactly how to make it known."""
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise ConfigurationError(
                f"Unknown model {model_id!r}.",
                hint=f"Use one of: {known}. To add a model (e.g. a local Ollama one), put a "
                f'[models."{model_id}"] table with provider and prices in a TOML file and '
                "set COURSE_MODELS_FILE to its path.",
            ) from None

    def default_for(self, provider: str) -> str:
        """The model a notebook gets when it names only a provider."""
        check_provider(provider)
        return self.default_models[provider]

    def ids(self, provider: str | None = None, kind: str = "chat") -> list[str]:
        """Model ids, optionally of one provider; chat models unless `kind` says otherwise."""
        return sorted(
            m.id for m in self.models.values() if provider in (None, m.provider) and m.kind == kind
        )


def check_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ConfigurationError(
            f"Unknown provider {provider!r}.",
            hint=f"Set COURSE_PROVIDER to one of: {', '.join(PROVIDERS)}. Any OpenAI-compatible "
            "server (Ollama, vLLM, llama.cpp, LM Studio) is provider 'openai' + COURSE_BASE_URL.",
        )
    return provider


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(
            f"Models file {path} does not exist.",
            hint="Fix or unset COURSE_MODELS_FILE.",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"Models file {path} is not valid TOML: {exc}.",
            hint='Fix the syntax; every model is a [models."id"] table.',
        ) from None


def _spec(model_id: str, raw: dict[str, Any], source: Path) -> ModelSpec:
    required = ("provider", "input_usd_per_mtok", "output_usd_per_mtok", "context_window")
    missing = [key for key in required if key not in raw]
    if missing:
        raise ConfigurationError(
            f"Model {model_id!r} in {source} lacks {', '.join(missing)}.",
            hint="Every model needs provider, input_usd_per_mtok, output_usd_per_mtok and "
            "context_window.",
        )
    return ModelSpec(
        id=model_id,
        provider=check_provider(raw["provider"]),
        input_usd_per_mtok=float(raw["input_usd_per_mtok"]),
        output_usd_per_mtok=float(raw["output_usd_per_mtok"]),
        context_window=int(raw["context_window"]),
        max_output_tokens=int(raw.get("max_output_tokens", 4096)),
        kind=_kind(model_id, raw.get("kind", "chat"), source),
        sim=dict(raw.get("sim", {})),
    )


def _kind(model_id: str, kind: str, source: Path) -> str:
    if kind not in MODEL_KINDS:
        raise ConfigurationError(
            f"Model {model_id!r} in {source} has kind {kind!r}.",
            hint=f"Use one of: {', '.join(MODEL_KINDS)} (or leave it out for chat).",
        )
    return kind


def build_catalog(paths: list[Path]) -> Catalog:
    """Merge model files in order; later files override earlier ones entry by entry."""
    models: dict[str, ModelSpec] = {}
    defaults: dict[str, str] = {}
    for path in paths:
        data = _read_toml(path)
        defaults.update(data.get("defaults", {}))
        for model_id, raw in data.get("models", {}).items():
            models[model_id] = _spec(model_id, raw, path)
    default_provider = check_provider(defaults.pop("provider", "sim"))
    return Catalog(models=models, default_provider=default_provider, default_models=defaults)


@cache
def _cached_catalog(extra: str | None) -> Catalog:
    paths = [BUILTIN_MODELS_FILE] + ([Path(extra)] if extra else [])
    return build_catalog(paths)


def catalog() -> Catalog:
    """The catalogue in force: the built-in file plus COURSE_MODELS_FILE if set."""
    return _cached_catalog(os.environ.get("COURSE_MODELS_FILE") or None)
