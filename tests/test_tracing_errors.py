"""Error accounting: a structured call whose reply never matched its schema is an error.

The provider answered ("ok" in the trace), but the feature got StructuredOutputError and fell
back; a dashboard that calls that a success hides a feature that is down.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from course.tracing import summarize
from course.tracing.analysis import invalid_replies

SCHEMA = {
    "type": "object",
    "properties": {"queue": {"enum": ["sales", "support"]}, "score": {"type": "integer"}},
    "required": ["queue", "score"],
}


def row(call_id, text, *, status="ok", schema=SCHEMA, attempt=1):
    request = {"messages": [{"role": "user", "content": "route this"}], "json_schema": schema}
    return {
        "id": len(call_id) + attempt,
        "call_id": call_id,
        "attempt": attempt,
        "status": status,
        "feature": "router",
        "request_json": json.dumps(request),
        "response_text": text,
        "cost_usd": 0.001,
        "latency_s": 0.2,
        "backoff_s": 0.0,
    }


@pytest.mark.parametrize(
    ("text", "schema", "invalid"),
    [
        ('{"queue": "sales", "score": 3}', SCHEMA, False),
        ('Sure! ```json\n{"queue": "support", "score": 0}\n```', SCHEMA, False),
        ('{"queue": "marketing", "score": 3}', SCHEMA, True),  # outside the enum
        ('{"queue": "sales"}', SCHEMA, True),  # a required field missing
        ("I can't help with that.", SCHEMA, True),  # a refusal in prose
        ('{"queue": "sales", "score": 3', SCHEMA, True),  # cut off
        ("", SCHEMA, True),
        (None, SCHEMA, True),
        ("any prose at all", None, False),  # not a structured call
    ],
)
def test_a_reply_is_invalid_exactly_when_it_fails_its_schema(text, schema, invalid):
    frame = pd.DataFrame([row("c1", text, schema=schema)])
    assert invalid_replies(frame).tolist() == [invalid]


def test_summary_counts_unparseable_structured_calls_as_errors():
    frame = pd.DataFrame(
        [
            row("good", '{"queue": "sales", "score": 1}'),
            row("bad", "not json", attempt=1),
            row("bad", "still not json", attempt=2),  # the repair turn failed as well
            row("down", None, status="error"),
            row("cached", '{"queue": "sales", "score": 1}', status="cache_hit"),
        ]
    )
    summary = summarize(frame).loc["router"]
    assert summary["calls"] == 4
    assert summary["errors"] == 2, summary
    assert summary["error_rate"] == pytest.approx(0.5)


def test_a_repaired_call_is_not_an_error():
    repaired = '{"queue": "support", "score": 2}'
    frame = pd.DataFrame([row("fixed", "oops", attempt=1), row("fixed", repaired, attempt=2)])
    assert summarize(frame).loc["router", "errors"] == 0


def test_trace_rows_without_requests_are_read_as_before():
    frame = pd.DataFrame([row("x", "text")]).drop(columns=["request_json"])
    assert summarize(frame).loc["router", "errors"] == 0
