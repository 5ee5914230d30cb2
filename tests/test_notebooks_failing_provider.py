"""Every module 1 notebook finishes on a provider that fails every call, with a clear message.

A learner's first run often meets a provider that is down, rate-limited or misconfigured, or a
local model whose replies never parse. The notebook must then say what happened and go on to its
end (no traceback, nothing on stderr), and its trace summaries must count those calls as errors.
Each notebook runs through the openai provider against the simulator's HTTP server with a fault
plan that breaks every call: "malformed_json" (every reply is unparseable JSON; structured calls
fail after the repair turn) and "server_error" (every attempt a 5xx: the client's circuit breaker
stops calling after a few, so the notebooks do not wait through backoff on every call).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.paths import source_notebooks
from course.notebooks import run_notebook
from course.sim import FaultPlan
from course.sim.server import serve_in_thread
from course.tracing import TraceStore, final_attempts, summarize
from course.tracing.analysis import invalid_replies

pytestmark = pytest.mark.slow

MODULE = "module1_llm_features"
NOTEBOOKS = [p for p in source_notebooks() if p.parent.name == MODULE]
# Notebooks 02 (an ablation of hundreds of calls) and 04 (a red-team loop) used to retry every
# call with real waits on a provider that answers every attempt with a 5xx and outlast the test;
# the client's circuit breaker (course.llm.breaker) now stops calling a provider plainly down.
CASES = [pytest.param(p, "malformed_json", id=f"{p.stem}-unparseable") for p in NOTEBOOKS] + [
    pytest.param(p, "server_error", id=f"{p.stem}-5xx") for p in NOTEBOOKS
]


@pytest.mark.parametrize(("path", "fault"), CASES)
def test_notebook_finishes_on_a_failing_provider(path: Path, fault, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "home"))
    # A provider that is down and says so: 5xx replies carry Retry-After: 0, so the client's
    # backoff waits (real seconds over HTTP) do not turn the test into minutes of sleeping.
    with serve_in_thread(FaultPlan(rates={fault: 1.0}, server_retry_after_s=0.0)) as server:
        monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
        result = run_notebook(path, {"provider": "openai", "model": "sim-small"}, tmp_path / "run")
        served = server.completions_received
    problem = result.error or result.stderr_cells
    assert result.ok, f"{path.name} with {fault} on every call: {problem}"
    assert served > 0, "the notebook never reached the failing server"
    calls = TraceStore(tmp_path / "home" / "traces.sqlite").calls()
    table = summarize(calls)
    if fault == "server_error":  # nothing can succeed: every call is an error in the summary
        fine = table[table["errors"] < table["calls"]]
        assert fine.empty, f"calls that failed counted as fine:\n{fine}"
    else:  # structured calls fail after the repair turn: the summary must count them
        last = final_attempts(calls)
        failed = int(invalid_replies(last).sum())
        assert table["errors"].sum() >= failed, f"{failed} unparseable replies, summary:\n{table}"
