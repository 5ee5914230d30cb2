"""Log every call to SQLite; read it back with pandas; plot it."""

from course.tracing.analysis import call_latency, final_attempts, per_call, summarize
from course.tracing.plots import plot_cost, plot_latency
from course.tracing.redact import redact, redact_text
from course.tracing.store import (
    RequestRecord,
    ToolCallRecord,
    TraceRecord,
    TraceStore,
    default_store,
)

__all__ = [
    "RequestRecord",
    "ToolCallRecord",
    "TraceRecord",
    "TraceStore",
    "call_latency",
    "default_store",
    "final_attempts",
    "per_call",
    "plot_cost",
    "plot_latency",
    "redact",
    "redact_text",
    "summarize",
]
