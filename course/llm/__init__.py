"""course.llm: one client API for the simulator, OpenAI (and compatible servers) and Anthropic."""

from course.llm.budget import Budget
from course.llm.cache import ResponseCache, request_key
from course.llm.client import Client
from course.llm.errors import (
    BadRequest,
    BudgetExceeded,
    ConfigurationError,
    LLMError,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimited,
    ServerError,
    StructuredOutputError,
    TransientError,
)
from course.llm.preflight import provider_or_sim
from course.llm.retry import NO_RETRY, RetryPolicy
from course.llm.types import LLMRequest, LLMResponse, Message, ToolCall, Usage

__all__ = [
    "NO_RETRY",
    "BadRequest",
    "Budget",
    "BudgetExceeded",
    "Client",
    "ConfigurationError",
    "LLMError",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "ProviderTimeout",
    "ProviderUnreachable",
    "RateLimited",
    "ResponseCache",
    "RetryPolicy",
    "ServerError",
    "StructuredOutputError",
    "ToolCall",
    "TransientError",
    "Usage",
    "provider_or_sim",
    "request_key",
]
