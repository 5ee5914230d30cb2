"""The trace store: one SQLite row per attempt of every call, hits and failures included.

Why every attempt: a retried call that finally succeeds hides two failures and their
latency; an incident review needs them. Why SQLite: it is a file, it needs no server, and
pandas reads it in one line.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from course.config import state_dir
from course.errors import CourseError
from course.llm.events import STATUSES, AttemptEvent, utc_now
from course.llm.providers.base import ProviderReply
from course.storage import connect
from course.tracing.redact import env_secrets, redact, redact_text

BASE_COLUMNS = """
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
    request_json  TEXT,
    response_text TEXT,
    started_at    TEXT NOT NULL,
    ended_at      TEXT NOT NULL
"""


def _columns(db: sqlite3.Connection) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(calls)")}


def _create_calls(db: sqlite3.Connection) -> None:
    db.execute(f"CREATE TABLE IF NOT EXISTS calls ({BASE_COLUMNS})")
    db.execute("CREATE INDEX IF NOT EXISTS calls_run ON calls (run_id)")
    db.execute("CREATE INDEX IF NOT EXISTS calls_feature ON calls (feature)")


def _add_backoff(db: sqlite3.Connection) -> None:
    # Files written before user_version was kept may already have the column.
    if "backoff_s" not in _columns(db):
        # the wait after this attempt, before the next one
        db.execute("ALTER TABLE calls ADD COLUMN backoff_s REAL NOT NULL DEFAULT 0")


def _add_agent_steps(db: sqlite3.Connection) -> None:
    """Agent runs: model calls carry their trajectory id; tool calls get a table of their own."""
    db.execute("ALTER TABLE calls ADD COLUMN trajectory_id TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS calls_trajectory ON calls (trajectory_id)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS tool_calls (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            trajectory_id   TEXT NOT NULL,
            step            INTEGER NOT NULL,
            tool            TEXT NOT NULL,
            arguments_json  TEXT,
            result_text     TEXT,
            error           TEXT,        -- invalid_arguments | tool_error | unknown_tool | NULL
            idempotency_key TEXT,        -- side-effect tools only
            replayed        INTEGER NOT NULL DEFAULT 0,
            latency_s       REAL NOT NULL DEFAULT 0,
            started_at      TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS tool_calls_trajectory ON tool_calls (trajectory_id)")


def _add_requests(db: sqlite3.Connection) -> None:
    """A service's request log: one row per request, beside the model calls it made."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS requests (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id        TEXT NOT NULL,
            service       TEXT NOT NULL,
            session_id    TEXT NOT NULL,
            http_status   INTEGER NOT NULL,
            status        TEXT NOT NULL,   -- answered | stopped | killed | rejected | error
            version       TEXT,            -- the agent version that served it (NULL if none)
            trajectory_id TEXT,            -- joins calls and tool_calls
            task_id       TEXT,
            stop_reason   TEXT,
            success       INTEGER,         -- the verdict, when the service can judge (a replay)
            failure       TEXT,
            model_turns   INTEGER NOT NULL DEFAULT 0,
            tool_calls    INTEGER NOT NULL DEFAULT 0,
            cost_usd      REAL NOT NULL DEFAULT 0,
            latency_s     REAL NOT NULL DEFAULT 0,  -- the agent's time: model calls and tools
            wall_s        REAL NOT NULL DEFAULT 0,  -- the server's wall clock for the request
            error_message TEXT,
            started_at    TEXT NOT NULL,
            ended_at      TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS requests_run ON requests (run_id)")


# Ordered: migration i brings a file from user_version i to i + 1. Append, never edit.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_calls,
    _add_backoff,
    _add_agent_steps,
    _add_requests,
)
SCHEMA_VERSION = len(MIGRATIONS)


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
    trajectory_id: str | None = None
    started_at: str = field(default_factory=utc_now)
    ended_at: str = field(default_factory=utc_now)


@dataclass
class ToolCallRecord:
    """One tool call of an agent run, next to the model calls of the same trajectory."""

    trajectory_id: str
    step: int
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    result_text: str | None = None
    error: str | None = None
    idempotency_key: str | None = None
    replayed: bool = False
    latency_s: float = 0.0
    started_at: str = field(default_factory=utc_now)


@dataclass
class RequestRecord:
    """One request to a service (course.agents.service): who asked, which version answered,
    how it ended, what it cost and how long it took."""

    run_id: str
    service: str
    session_id: str
    http_status: int
    status: str
    version: str | None = None
    trajectory_id: str | None = None
    task_id: str | None = None
    stop_reason: str | None = None
    success: bool | None = None
    failure: str | None = None
    model_turns: int = 0
    tool_calls: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    wall_s: float = 0.0
    error_message: str | None = None
    started_at: str = field(default_factory=utc_now)
    ended_at: str = field(default_factory=utc_now)


_TRACE_FIELDS = tuple(f.name for f in fields(TraceRecord))
REQUEST_STATUSES = ("answered", "stopped", "killed", "rejected", "error")


class TraceStore:
    """Append-only log of attempts; thread-safe; redacts before it writes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = connect(self.path, "")
        self._migrate()

    def _migrate(self) -> None:
        """Bring a file written by any older version up to date, one committed step at a time.

        No row is lost; each step and its version number commit together (BEGIN IMMEDIATE, so
        two processes opening one old file take turns); a file from a newer version of the
        course is refused, not downgraded.
        """
        while (version := self._version()) < SCHEMA_VERSION:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._version() == version:  # nobody migrated it while we waited
                    MIGRATIONS[version](self._db)
                    self._db.execute(f"PRAGMA user_version = {version + 1}")
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        if version > SCHEMA_VERSION:
            self._db.close()
            raise CourseError(
                f"{self.path} was written by a newer version of the course (trace schema "
                f"{version}; this one knows {SCHEMA_VERSION}).",
                hint="Update the course (git pull; make setup), or point COURSE_HOME elsewhere.",
            )

    def _version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def record(self, event: AttemptEvent) -> None:
        """The sink side: one attempt event from a client becomes one row."""
        reply = event.reply
        self.write(
            TraceRecord(
                run_id=event.run_id,
                feature=event.feature,
                call_id=event.call_id,
                attempt=event.attempt,
                status=event.status,
                provider=event.provider,
                model=event.request.model,
                request=event.request.model_dump(mode="json"),
                response_text=_reply_text(reply) if reply else event.cached_text,
                error_type=type(event.error).__name__ if event.error else None,
                error_message=str(event.error) if event.error else None,
                finish_reason=reply.finish_reason if reply else None,
                request_id=reply.request_id if reply else None,
                input_tokens=reply.input_tokens if reply else 0,
                output_tokens=reply.output_tokens if reply else 0,
                cost_usd=event.cost_usd,
                latency_s=event.latency_s,
                backoff_s=event.backoff_s,
                trajectory_id=event.trajectory_id,
                started_at=event.started_at,
                ended_at=event.ended_at,
            )
        )

    def write(self, record: TraceRecord) -> None:
        if record.status not in STATUSES:
            raise ValueError(f"Unknown trace status {record.status!r}; use one of {STATUSES}.")
        # Shallow: redact() below copies the request as it cleans it, so asdict's deep copy of
        # every nested value was paid for twice (a third of a trace write's cost).
        row = {name: getattr(record, name) for name in _TRACE_FIELDS}
        secrets = env_secrets()  # read once for the whole record
        row["request_json"] = json.dumps(redact(row.pop("request"), secrets), ensure_ascii=False)
        for key in ("response_text", "error_message"):
            if row[key] is not None:
                row[key] = redact_text(row[key], secrets)
        self._insert("calls", row)

    def write_tool_call(self, record: ToolCallRecord) -> None:
        """One tool call, redacted like every other text the store keeps."""
        row = asdict(record)
        secrets = env_secrets()
        arguments = redact(row.pop("arguments"), secrets)
        row["arguments_json"] = json.dumps(arguments, ensure_ascii=False, default=str)
        if row["result_text"] is not None:
            row["result_text"] = redact_text(row["result_text"], secrets)
        row["replayed"] = int(row["replayed"])
        self._insert("tool_calls", row)

    def write_request(self, record: RequestRecord) -> None:
        """One service request; its error message is redacted like every other text."""
        if record.status not in REQUEST_STATUSES:
            raise ValueError(
                f"Unknown request status {record.status!r}; use one of {REQUEST_STATUSES}."
            )
        row = asdict(record)
        if row["error_message"] is not None:
            row["error_message"] = redact_text(row["error_message"], env_secrets())
        if row["success"] is not None:
            row["success"] = int(row["success"])
        self._insert("requests", row)

    def requests(self, run_id: str | None = None, service: str | None = None) -> pd.DataFrame:
        """The request log as a DataFrame (times parsed, success as a nullable boolean)."""
        frame = self._select("requests", run_id=run_id, service=service)
        frame["success"] = frame["success"].astype("boolean")
        return frame

    def _select(self, table: str, **equal: str | None) -> pd.DataFrame:
        """Rows of ``table`` in insertion order where each given column equals its value (None:
        any), with the start and end times parsed."""
        clauses = [f"{column} = ?" for column, value in equal.items() if value is not None]
        params = [value for value in equal.values() if value is not None]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            frame = pd.read_sql_query(
                f"SELECT * FROM {table} {where} ORDER BY id", self._db, params=params
            )
        for column in ("started_at", "ended_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._lock:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            self._db.execute(sql, tuple(row.values()))
            self._db.commit()

    def tool_calls(self, trajectory_id: str | None = None) -> pd.DataFrame:
        """Every recorded tool call, optionally of one trajectory, in order."""
        where, params = ("WHERE trajectory_id = ?", [trajectory_id]) if trajectory_id else ("", [])
        with self._lock:
            return pd.read_sql_query(
                f"SELECT * FROM tool_calls {where} ORDER BY id", self._db, params=params
            )

    def calls(self, run_id: str | None = None, feature: str | None = None) -> pd.DataFrame:
        """Every attempt as a DataFrame, optionally for one run and/or one feature."""
        return self._select("calls", run_id=run_id, feature=feature)

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def default_store() -> TraceStore:
    """The learner's own trace store, under COURSE_HOME: every client's default sink."""
    return TraceStore(state_dir() / "traces.sqlite")


def _reply_text(reply: ProviderReply) -> str | None:
    """What the model said, as the store keeps it: text, tool calls as JSON, or the refusal."""
    if reply.tool_calls:
        calls = [{"name": c.name, "arguments": c.arguments} for c in reply.tool_calls]
        return json.dumps({"content": reply.text, "tool_calls": calls})
    return reply.text if reply.refusal is None else f"[refusal] {reply.refusal}"
