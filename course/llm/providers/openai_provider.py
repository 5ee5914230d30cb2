"""OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, the simulator).

Uses the official SDK with its own retries switched off (max_retries=0), so every attempt
goes through the course's retry policy and lands in the trace store.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import openai

from course.errors import ConfigurationError
from course.llm.errors import (
    BadRequest,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimited,
    ServerError,
)
from course.llm.providers.base import ProviderReply, with_elapsed
from course.llm.providers.openai_wire import request_messages, response_format
from course.llm.types import LLMRequest, ToolCall

LOCAL_SERVER_KEY = "not-needed-for-local-servers"


def retry_after_seconds(headers: Any) -> float | None:
    """Parse Retry-After (seconds or an HTTP date) or OpenAI's retry-after-ms header."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class OpenAIProvider:
    name = "openai"
    virtual_time = False

    def __init__(self, api_key: str | None, base_url: str | None) -> None:
        if not api_key and not base_url:
            raise ConfigurationError(
                "OPENAI_API_KEY is not set.",
                hint="Export OPENAI_API_KEY=sk-... in the shell that starts Jupyter, or point "
                "COURSE_BASE_URL at an OpenAI-compatible server, or use COURSE_PROVIDER=sim.",
            )
        self.base_url = base_url
        self.endpoint = base_url or "https://api.openai.com/v1"
        self._client = openai.OpenAI(
            api_key=api_key or LOCAL_SERVER_KEY, base_url=base_url, max_retries=0
        )

    def send(self, request: LLMRequest, timeout_s: float) -> ProviderReply:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": request_messages(request),
            "temperature": request.temperature,
            "timeout": timeout_s,
        }
        optional = {
            "seed": request.seed,
            "max_tokens": request.max_tokens,
            "response_format": response_format(request),
            "tools": request.tools,
        }
        kwargs.update({key: value for key, value in optional.items() if value is not None})

        started = time.perf_counter()
        try:
            raw = self._client.chat.completions.with_raw_response.create(**kwargs)
        except openai.APIError as exc:
            raise with_elapsed(self._translate(exc), time.perf_counter() - started) from exc
        completion = raw.parse()
        elapsed = time.perf_counter() - started
        choice = completion.choices[0]
        usage = completion.usage
        return ProviderReply(
            text=choice.message.content,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            finish_reason=choice.finish_reason or "stop",
            request_id=raw.headers.get("x-request-id") or completion.id,
            latency_s=elapsed,
            tool_calls=[
                ToolCall(
                    id=call.id,
                    name=call.function.name,
                    arguments=json.loads(call.function.arguments or "{}"),
                )
                for call in choice.message.tool_calls or []
            ],
            refusal=getattr(choice.message, "refusal", None),
        )

    def _translate(self, exc: openai.APIError) -> Exception:
        """Map the SDK's exceptions onto the course's, with a hint for the ones people hit."""
        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeout("The request timed out.")
        if isinstance(exc, openai.APIConnectionError):
            return ProviderUnreachable(
                f"Cannot reach {self.endpoint}.",
                hint="Is the server running? For the simulator start `python -m course.sim serve`; "
                "for Ollama `ollama serve`. Check COURSE_BASE_URL.",
            )
        status = getattr(exc, "status_code", None)
        message = getattr(exc, "message", str(exc))
        if isinstance(exc, openai.RateLimitError):
            return RateLimited(
                f"429 from {self.endpoint}: {message}",
                retry_after_s=retry_after_seconds(exc.response.headers),
            )
        if isinstance(exc, openai.AuthenticationError):
            return ConfigurationError(
                f"{self.endpoint} rejected the API key (401).",
                hint="Check OPENAI_API_KEY; keys start with sk- and belong to one project.",
            )
        if isinstance(exc, openai.NotFoundError):
            return ConfigurationError(
                f"{self.endpoint} does not know this model or path: {message}",
                hint="Check COURSE_MODEL against the server's model list, and COURSE_BASE_URL "
                "(it usually ends in /v1).",
            )
        if status is not None and status >= 500:
            return ServerError(
                f"HTTP {status} from {self.endpoint}: {message}",
                status=status,
                retry_after_s=retry_after_seconds(exc.response.headers),
            )
        return BadRequest(f"HTTP {status} from {self.endpoint}: {message}")
