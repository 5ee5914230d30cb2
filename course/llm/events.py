"""What the client reports about every attempt, and the sinks that take the reports.

The client knows nothing of how attempts are stored: it emits one ``AttemptEvent`` per attempt
(hits, failures and budget stops included) to each of its sinks. The trace store is one sink
(it owns its table and turns an event into a row); ``AttemptRecorder`` keeps events in memory
for tests; a team could add a sink that ships events to its own telemetry.

The default sink is named by a dotted path, ``COURSE_TRACE_SINK`` (default
``course.tracing:default_store``), and loaded when a client first needs it, so this package
never imports the layers built on top of it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from course.errors import ConfigurationError
from course.llm.providers.base import ProviderReply
from course.llm.types import LLMRequest

DEFAULT_SINK = "course.tracing:default_store"
STATUSES = ("ok", "error", "cache_hit", "budget_stop")


def utc_now() -> str:
    """A timestamp as the trace store keeps it: ISO 8601, UTC, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class AttemptEvent:
    """One attempt of one logical call, as the client saw it.

    ``status`` is one of ``STATUSES``. Cost is non-zero only on the attempt that was billed.
    ``cached_text`` is the answer a cache hit returned (a hit has no provider reply).
    """

    run_id: str
    feature: str
    call_id: str
    attempt: int
    status: str
    provider: str
    request: LLMRequest
    started_at: str
    reply: ProviderReply | None = None
    error: BaseException | None = None
    cached_text: str | None = None
    cost_usd: float = 0.0
    latency_s: float = 0.0
    backoff_s: float = 0.0
    trajectory_id: str | None = None  # the agent run this call belongs to, if any
    ended_at: str = field(default_factory=utc_now)


@runtime_checkable
class AttemptSink(Protocol):
    """Anything that takes attempt events: the trace store, a recorder, your telemetry."""

    def record(self, event: AttemptEvent) -> None: ...


class AttemptRecorder:
    """A sink that keeps events in memory: for tests, and to look at one call's attempts."""

    def __init__(self) -> None:
        self.events: list[AttemptEvent] = []

    def record(self, event: AttemptEvent) -> None:
        self.events.append(event)

    def statuses(self) -> list[str]:
        return [event.status for event in self.events]


def default_sink() -> AttemptSink:
    """The sink ``COURSE_TRACE_SINK`` names (``module:factory``); the trace store by default."""
    path = os.environ.get("COURSE_TRACE_SINK") or DEFAULT_SINK
    module_name, _, factory_name = path.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigurationError(
            f"COURSE_TRACE_SINK={path!r} does not name a sink factory ({exc}).",
            hint=f"Use 'package.module:function' (default {DEFAULT_SINK!r}), or unset it.",
        ) from None
    sink = factory()
    if not isinstance(sink, AttemptSink):
        raise ConfigurationError(
            f"{path} returned {type(sink).__name__}, which has no record(event) method.",
            hint="A sink needs one method: record(event: course.llm.events.AttemptEvent).",
        )
    return sink
