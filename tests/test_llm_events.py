"""The client reports attempts to sinks; it knows nothing of how they are stored."""

from __future__ import annotations

import pytest

from course.errors import ConfigurationError
from course.llm import Client
from course.llm.events import AttemptRecorder, default_sink
from course.sim import FaultPlan
from course.tracing import TraceStore


def test_every_attempt_reaches_every_sink_in_order(tmp_path):
    recorder = AttemptRecorder()
    store = TraceStore(tmp_path / "t.sqlite")
    client = Client(
        "sim",
        "sim-small",
        traces=store,
        sinks=[recorder],
        cache=False,
        faults=FaultPlan(script=["rate_limit", "server_error", "ok"]),
    )
    client.complete("Is the invoice for March paid?")
    assert recorder.statuses() == ["error", "error", "ok"]
    assert [e.attempt for e in recorder.events] == [1, 2, 3]
    assert {e.call_id for e in recorder.events} == {recorder.events[0].call_id}
    assert recorder.events[-1].cost_usd > 0 and recorder.events[0].cost_usd == 0
    rows = client.calls()
    assert list(rows["status"]) == recorder.statuses()
    assert list(rows["error_type"].fillna("")) == [
        type(e.error).__name__ if e.error else "" for e in recorder.events
    ]


def test_a_recorder_alone_needs_no_file_and_says_so_when_asked_for_a_table():
    recorder = AttemptRecorder()
    client = Client("sim", "sim-small", traces=recorder, cache=False)
    client.complete("hello")
    assert recorder.statuses() == ["ok"]
    with pytest.raises(ConfigurationError, match="no trace store"):
        client.calls()


def test_the_default_sink_is_configurable_and_a_bad_path_says_what_to_do(monkeypatch):
    monkeypatch.setenv("COURSE_TRACE_SINK", "course.llm.events:AttemptRecorder")
    assert isinstance(default_sink(), AttemptRecorder)
    monkeypatch.setenv("COURSE_TRACE_SINK", "no.such.module:thing")
    with pytest.raises(ConfigurationError) as caught:
        default_sink()
    assert "package.module:function" in caught.value.hint
    monkeypatch.setenv("COURSE_TRACE_SINK", "course.llm.events:utc_now")
    with pytest.raises(ConfigurationError, match="no record"):
        default_sink()
