"""The questions an on-call engineer asks of the trace store, answered with pandas.

A *call* is what the feature asked for; an *attempt* is one try at it. Error rate counts
calls that ended in an error after all retries, because that is what users saw: a transient
error, a budget stop, or a structured call whose last reply still did not match its schema
(the client raised StructuredOutputError although the provider answered "ok").
"""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd

from course.llm.structured import extract_json_text

SUMMARY_COLUMNS = [
    "calls",
    "attempts",
    "errors",
    "error_rate",
    "cache_hits",
    "cost_usd",
    "cost_per_1k_calls_usd",
    "p50_latency_s",
    "p95_latency_s",
]


def final_attempts(attempts: pd.DataFrame) -> pd.DataFrame:
    """The last attempt of each call: how the call ended."""
    if attempts.empty:
        return attempts
    return attempts.sort_values(["call_id", "attempt", "id"]).groupby("call_id").tail(1)


def invalid_replies(last: pd.DataFrame) -> pd.Series:
    """True for each final attempt that was a structured call whose reply failed its schema.

    Such a call ended in StructuredOutputError (or a refusal) in the feature, though its trace
    row says "ok": the provider answered, the answer was unusable.
    """
    if last.empty or "request_json" not in last:
        return pd.Series(False, index=last.index, dtype=bool)
    return pd.Series(
        [
            status == "ok" and _fails_schema(request, text)
            for status, request, text in zip(
                last["status"], last["request_json"], last.get("response_text"), strict=True
            )
        ],
        index=last.index,
        dtype=bool,
    )


def _fails_schema(request_json: str | None, text: str | None) -> bool:
    schema = _schema_of(request_json)
    if schema is None:
        return False  # not a structured call: any reply is a reply
    if not text:
        return True
    # Imported here: jsonschema's format checkers take ~1 s to import (a grammar is built),
    # which every notebook importing course.tracing would pay for a check it may never run.
    import jsonschema

    try:
        jsonschema.validate(json.loads(extract_json_text(text)), schema)
    except (ValueError, jsonschema.ValidationError):
        return True
    return False


@lru_cache(maxsize=256)
def _schema_of(request_json: str | None) -> dict | None:
    try:
        request = json.loads(request_json or "{}")
    except ValueError:
        return None
    schema = request.get("json_schema") if isinstance(request, dict) else None
    return schema if isinstance(schema, dict) and schema else None


def call_latency(attempts: pd.DataFrame) -> pd.Series:
    """What the user waited per call: every attempt plus the backoff waits between them."""
    waited = attempts["latency_s"] + attempts.get("backoff_s", 0.0)
    return waited.groupby(attempts["call_id"]).sum()


def summarize(attempts: pd.DataFrame, by: str = "feature") -> pd.DataFrame:
    """Calls, errors, cost and latency percentiles per feature (or per `by` column)."""
    if attempts.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    rows = {}
    for key, group in attempts.groupby(by):
        last = final_attempts(group)
        latency = call_latency(group)
        calls = len(last)
        errors = int((last["status"].isin(["error", "budget_stop"]) | invalid_replies(last)).sum())
        cost = float(group["cost_usd"].sum())
        rows[key] = {
            "calls": calls,
            "attempts": len(group),
            "errors": errors,
            "error_rate": errors / calls,
            "cache_hits": int((group["status"] == "cache_hit").sum()),
            "cost_usd": cost,
            "cost_per_1k_calls_usd": 1000 * cost / calls,
            "p50_latency_s": float(latency.quantile(0.50)),
            "p95_latency_s": float(latency.quantile(0.95)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")[SUMMARY_COLUMNS].rename_axis(by)


def per_call(attempts: pd.DataFrame) -> pd.DataFrame:
    """One row per call, in the order the calls started: how many tries it took and how long.

    Columns: `attempts` (every try: retries and the repair turn), `billed` (tries the provider
    answered, so charged for; a second one is a repair turn) and `latency_s` (what the user
    waited: every attempt plus the backoff waits between them, as in `call_latency`).
    """
    columns = ["attempts", "billed", "latency_s"]
    if attempts.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="call_id"))
    calls = attempts.groupby("call_id", sort=False)
    table = pd.DataFrame(
        {
            "first": calls["id"].min(),
            "attempts": calls["id"].size(),
            "billed": calls["status"].agg(lambda status: int((status == "ok").sum())),
            "latency_s": call_latency(attempts),
        }
    )
    return table.sort_values("first")[columns]
