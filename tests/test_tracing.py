"""Trace store, redaction and the summaries an on-call engineer reads."""

from __future__ import annotations

import json

import matplotlib
import pytest
from fakes import ScriptedProvider, reply

from course.llm import Client, RateLimited
from course.tracing import TraceRecord, TraceStore, plot_cost, plot_latency, redact, summarize

matplotlib.use("Agg")

FAKE_OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
FAKE_ANTHROPIC_KEY = "sk-ant-api03-" + "x9Y8z7W6v5U4" * 3


def test_redacts_env_values_patterns_and_secret_keys(monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "plain-looking-value-123")
    payload = {
        "messages": [
            {
                "role": "user",
                "content": f"my key is {FAKE_OPENAI_KEY}, token plain-looking-value-123",
            }
        ],
        "headers": {"Authorization": "Bearer abcdefghijkl", "api_key": "short1"},
        "note": f"anthropic {FAKE_ANTHROPIC_KEY}",
        "max_tokens": 50,
        "input_tokens": 12,
    }
    cleaned = json.dumps(redact(payload))
    for secret in (
        FAKE_OPENAI_KEY,
        FAKE_ANTHROPIC_KEY,
        "plain-looking-value-123",
        "abcdefghijkl",
        "short1",
    ):
        assert secret not in cleaned
    assert '"max_tokens": 50' in cleaned and '"input_tokens": 12' in cleaned  # not over-redacted


def test_no_secret_reaches_the_trace_file(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    store = TraceStore(tmp_path / "t.sqlite")
    provider = ScriptedProvider(
        [RateLimited(f"429 for key {FAKE_OPENAI_KEY}"), reply(f"echo {FAKE_OPENAI_KEY}")]
    )
    client = Client("sim", "sim-small", provider_impl=provider, traces=store, cache=False)
    client.complete(f"Here is my key {FAKE_OPENAI_KEY}", system=f"api_key={FAKE_OPENAI_KEY}")
    store.close()
    raw = (tmp_path / "t.sqlite").read_bytes()
    wal = tmp_path / "t.sqlite-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert FAKE_OPENAI_KEY.encode() not in raw
    assert b"[REDACTED]" in raw


def test_every_attempt_is_a_row_with_timestamps(tmp_path):
    store = TraceStore(tmp_path / "t.sqlite")
    provider = ScriptedProvider([RateLimited("429", retry_after_s=1), reply(), reply()])
    client = Client(
        "sim",
        "sim-small",
        provider_impl=provider,
        traces=store,
        cache=False,
        feature="triage",
        run_id="run-1",
    )
    client.complete("a")
    client.complete("b", feature="summary")
    frame = store.calls(run_id="run-1")
    assert list(frame["status"]) == ["error", "ok", "ok"]
    assert list(frame["feature"]) == ["triage", "triage", "summary"]
    assert (frame["ended_at"] >= frame["started_at"]).all()
    assert store.calls(feature="summary").shape[0] == 1


def test_summary_answers_the_on_call_questions(tmp_path):
    store = TraceStore(tmp_path / "t.sqlite")
    for i in range(20):
        failed = i % 5 == 0
        store.write(
            TraceRecord(
                run_id="r",
                feature="triage",
                call_id=f"c{i}",
                attempt=1,
                status="error" if failed else "ok",
                provider="sim",
                model="sim-small",
                cost_usd=0 if failed else 0.001,
                latency_s=0.1 * (i + 1),
            )
        )
    summary = summarize(store.calls())
    row = summary.loc["triage"]
    assert row["calls"] == 20 and row["errors"] == 4
    assert row["error_rate"] == pytest.approx(0.2)
    assert row["cost_usd"] == pytest.approx(0.016)
    assert row["cost_per_1k_calls_usd"] == pytest.approx(0.8)
    assert row["p50_latency_s"] == pytest.approx(1.05)
    assert row["p95_latency_s"] == pytest.approx(1.905)
    assert plot_latency(store.calls()).axes and plot_cost(store.calls()).axes


def test_unknown_status_is_rejected(tmp_path):
    store = TraceStore(tmp_path / "t.sqlite")
    with pytest.raises(ValueError, match="Unknown trace status"):
        store.write(
            TraceRecord(
                run_id="r",
                feature="f",
                call_id="c",
                attempt=1,
                status="weird",
                provider="sim",
                model="m",
            )
        )


def test_corrupt_trace_file_is_a_clear_error_and_is_kept(tmp_path):
    from course.errors import CourseError

    bad = tmp_path / "traces.sqlite"
    bad.write_bytes(b"this is not a database, it is a learner's stray file" * 20)
    before = bad.read_bytes()
    with pytest.raises(CourseError, match="not a usable SQLite database") as caught:
        TraceStore(bad)
    assert "Move the file aside" in caught.value.hint
    assert bad.read_bytes() == before


def test_an_older_trace_file_is_upgraded_without_losing_rows(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE calls (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, "
        "feature TEXT NOT NULL, call_id TEXT NOT NULL, attempt INTEGER NOT NULL, "
        "status TEXT NOT NULL, "
        "provider TEXT, model TEXT, error_type TEXT, error_message TEXT, finish_reason TEXT, "
        "request_id TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL "
        "DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0, latency_s REAL NOT NULL DEFAULT 0, "
        "request_json TEXT, response_text TEXT, started_at TEXT NOT NULL, ended_at TEXT NOT NULL)"
    )
    old.execute(
        "INSERT INTO calls (run_id, feature, call_id, attempt, status, started_at, ended_at) "
        "VALUES ('r', 'f', 'c', 1, 'ok', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:01+00:00')"
    )
    old.commit()
    old.close()
    store = TraceStore(path)
    store.write(
        TraceRecord(
            run_id="r",
            feature="f",
            call_id="d",
            attempt=1,
            status="ok",
            provider="sim",
            model="sim-small",
            backoff_s=0.5,
        )
    )
    frame = store.calls()
    assert len(frame) == 2 and list(frame["backoff_s"]) == [0.0, 0.5]


def test_migrations_are_ordered_and_recorded_in_user_version(tmp_path):
    import sqlite3

    from course.tracing.store import SCHEMA_VERSION

    path = tmp_path / "new.sqlite"
    TraceStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    db.close()
    TraceStore(path).close()  # opening an up-to-date file changes nothing
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_an_unversioned_file_that_already_has_every_column_is_adopted(tmp_path):
    """Files written before the store kept a version number already carry backoff_s."""
    import sqlite3

    from course.tracing.store import BASE_COLUMNS, SCHEMA_VERSION

    path = tmp_path / "unversioned.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE calls ({BASE_COLUMNS}, backoff_s REAL NOT NULL DEFAULT 0)")
    db.commit()
    db.close()
    store = TraceStore(path)
    assert store.count() == 0
    assert store._version() == SCHEMA_VERSION


def test_a_file_from_a_newer_course_is_refused_and_left_alone(tmp_path):
    import sqlite3

    from course.errors import CourseError

    path = tmp_path / "future.sqlite"
    TraceStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(CourseError, match="newer version") as caught:
        TraceStore(path)
    assert "Update the course" in caught.value.hint
    assert path.read_bytes() == before
