"""The trace store: one SQLite row per attempt of every call, hits and failures included.

Why every attempt: a retried call that finally succeeds hides two failures and their
latency; an incident review needs them. Why SQLite: it is a file, it needs no server, and
pandas reads it in one line.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from course.storage import connect
from course.tracing.redact import env_secrets, redact, redact_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        TEXT NOT NULL,
    feature       TEXT NOT NULL,
    call_id       TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    status        TEXT NOT NULL,      -- ok | error | cache_hit | budget_stop
    provider      TEXT,
    model         TEXT,
    error_type    TEXT,
    error_message TEXT,
    finish_reason TEXT,
    request_id    TEXT,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL NOT NULL DEFAULT 0,
    latency_s     REAL NOT NULL DEFAULT 0,
    backoff_s     REAL NOT NULL DEFAULT 0,   -- wait after this attempt, before the next one
    request_json  TEXT,
    response_text TEXT,
    started_at    TEXT NOT NULL,
    ended_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_run ON calls (run_id);
CREATE INDEX IF NOT EXISTS calls_feature ON calls (feature);
"""
STATUSES = ("ok", "error", "cache_hit", "budget_stop")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class TraceRecord:
    """One attempt. Cost is non-zero only on the attempt that was actually billed."""

    run_id: str
    feature: str
    call_id: str
    attempt: int
    status: str
    provider: str
    model: str
    request: dict[str, Any] = field(default_factory=dict)
    response_text: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    finish_reason: str | None = None
    request_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    backoff_s: float = 0.0
    started_at: str = field(default_factory=utc_now)
    ended_at: str = field(default_factory=utc_now)


class TraceStore:
    """Append-only log of attempts; thread-safe; redacts before it writes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = connect(self.path, SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Upgrade a trace file written by an older version of the course; no row is lost."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(calls)")}
        if "backoff_s" not in present:
            self._db.execute("ALTER TABLE calls ADD COLUMN backoff_s REAL NOT NULL DEFAULT 0")
            self._db.commit()

    def write(self, record: TraceRecord) -> None:
        if record.status not in STATUSES:
            raise ValueError(f"Unknown trace status {record.status!r}; use one of {STATUSES}.")
        row = asdict(record)
        secrets = env_secrets()  # read once for the whole record
        row["request_json"] = json.dumps(redact(row.pop("request"), secrets), ensure_ascii=False)
        for key in ("response_text", "error_message"):
            if row[key] is not None:
                row[key] = redact_text(row[key], secrets)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._lock:
            self._db.execute(f"INSERT INTO calls ({columns}) VALUES ({marks})", tuple(row.values()))
            self._db.commit()

    def calls(self, run_id: str | None = None, feature: str | None = None) -> pd.DataFrame:
        """Every attempt as a DataFrame, optionally for one run and/or one feature."""
        clauses, params = [], []
        for column, value in (("run_id", run_id), ("feature", feature)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            frame = pd.read_sql_query(
                f"SELECT * FROM calls {where} ORDER BY id", self._db, params=params
            )
        for column in ("started_at", "ended_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
