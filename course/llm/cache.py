"""An idempotent response cache in SQLite, keyed by the canonical request.

Rerunning a notebook then returns the same answers and costs nothing. The key is a SHA-256
of the request's canonical JSON (sorted keys, no whitespace), so two requests that mean the
same thing share an entry and any change in model, prompt, schema or seed misses.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from course.llm.types import LLMRequest, LLMResponse
from course.storage import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key        TEXT PRIMARY KEY,
    response   TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


def request_key(request: LLMRequest, endpoint: str = "") -> str:
    """Stable identity of a request; `endpoint` separates different servers' answers."""
    material = request.model_dump(mode="json")
    material["endpoint"] = endpoint
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """Stores successful responses only: an error is never replayed from cache."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = connect(self.path, SCHEMA)

    def get(self, key: str) -> LLMResponse | None:
        with self._lock:
            row = self._db.execute(
                "SELECT response FROM responses WHERE key = ?", (key,)
            ).fetchone()
        return LLMResponse.model_validate_json(row[0]) if row else None

    def put(self, key: str, response: LLMResponse) -> None:
        payload = response.model_dump_json(exclude={"parsed"})
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, response) VALUES (?, ?)", (key, payload)
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM responses")
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
