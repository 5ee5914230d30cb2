"""The coordinator's memory between runs: what was graded, from which files, and where it went.

One SQLite file in the output folder. Each learner row holds the hash of the submission that
was graded (files + instructor sources), the worker's result, how many times a result was
stored, and whether it has been written to the gradebook. A result is committed the moment it
arrives, before the gradebook is touched, so an interrupted run never needs to grade that
learner again: the next run only records it. Work still running on a worker when the run is
interrupted is lost and redone (a worker's result exists nowhere else).
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS learners (
    learner_id TEXT PRIMARY KEY,
    sub_hash TEXT NOT NULL,
    status TEXT NOT NULL,            -- graded | recorded | failed
    result BLOB,                     -- the worker's result: zlib-compressed JSON
    graded_count INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Row:
    """One learner's stored state."""

    learner_id: str
    sub_hash: str
    status: str
    graded_count: int
    seconds: float | None


class State:
    """Resumable per-learner state (SQLite, WAL, one commit per learner)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(
                f"the cohort state file {path} is damaged ({exc}). Move it aside and run again: "
                "every learner is then graded afresh (the gradebook is rewritten, not lost)"
            ) from exc

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def get_meta(self, key: str) -> str | None:
        """A run-level setting stored earlier (gradebook, grading key)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a run-level setting."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def rows(self) -> dict[str, Row]:
        """Every learner known from earlier runs."""
        return {
            r[0]: Row(*r)
            for r in self.db.execute(
                "SELECT learner_id, sub_hash, status, graded_count, seconds FROM learners"
            )
        }

    def store_result(self, learner: str, sub_hash: str, result: dict[str, Any]) -> None:
        """Keep a worker's result (status graded); counts how often this learner was graded."""
        status = "failed" if result.get("error") else "graded"
        with self.db:
            self.db.execute(
                """INSERT INTO learners (learner_id, sub_hash, status, result, graded_count,
                                         seconds, updated)
                   VALUES (?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT(learner_id) DO UPDATE SET sub_hash=excluded.sub_hash,
                     status=excluded.status, result=excluded.result,
                     graded_count=learners.graded_count + 1, seconds=excluded.seconds,
                     updated=excluded.updated""",
                (learner, sub_hash, status, _pack(result), result.get("seconds"), time.time()),
            )

    def mark_recorded(self, learner: str) -> None:
        """The learner's result is in the gradebook and the feedback folder."""
        with self.db:
            self.db.execute(
                "UPDATE learners SET status='recorded', updated=? WHERE learner_id=?",
                (time.time(), learner),
            )

    def unrecord_all(self) -> None:
        """A different gradebook: every stored result must be written again (not regraded)."""
        with self.db:
            self.db.execute("UPDATE learners SET status='graded' WHERE status='recorded'")

    def result(self, learner: str) -> dict[str, Any] | None:
        """The stored result of one learner."""
        row = self.db.execute(
            "SELECT result FROM learners WHERE learner_id=?", (learner,)
        ).fetchone()
        return json.loads(zlib.decompress(row[0])) if row and row[0] else None


def _pack(result: dict[str, Any]) -> bytes:
    """Feedback pages are ~130 kB of mostly CSS each: compressed about 10x."""
    return zlib.compress(json.dumps(result).encode(), 6)
