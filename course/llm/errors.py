"""The errors a call can end in. Transient ones are retried; the rest fail fast.

Every provider maps its own exceptions onto these, so feature code handles one set of
errors whichever provider is configured.
"""

from __future__ import annotations

from course.errors import ConfigurationError, CourseError

__all__ = [
    "BadRequest",
    "BudgetExceeded",
    "ConfigurationError",
    "LLMError",
    "ProviderTimeout",
    "ProviderUnreachable",
    "RateLimited",
    "ServerError",
    "StructuredOutputError",
    "TransientError",
]


class LLMError(CourseError):
    """Any failure of a model call."""


class TransientError(LLMError):
    """Worth retrying: the same request may succeed a moment later."""

    retry_after_s: float | None = None


class RateLimited(TransientError):
    """HTTP 429. Providers say how long to wait in a Retry-After header; we honour it."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class ProviderTimeout(TransientError):
    """No answer within the per-call timeout."""


class ServerError(TransientError):
    """HTTP 5xx: the provider failed, not the request."""

    def __init__(
        self, message: str, *, status: int = 500, hint: str = "", retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.retry_after_s = retry_after_s


class ProviderUnreachable(TransientError):
    """Connection refused or DNS failure: usually a server that is not running."""


class BadRequest(LLMError):
    """HTTP 4xx other than 429: retrying the same request cannot help."""


class BudgetExceeded(LLMError):
    """The call would take spending past the run's budget, so it was not made."""


class StructuredOutputError(LLMError):
    """The model's output did not validate against the schema, even after one repair."""

    def __init__(self, message: str, *, raw_text: str | None, errors: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.raw_text = raw_text
        self.errors = errors
