"""Every real course notebook runs through the openai provider against the simulator's HTTP
server, with the official SDK, unchanged: the path a learner takes to a real provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.paths import source_notebooks
from course.notebooks import run_notebook
from course.sim.server import serve_in_thread

pytestmark = pytest.mark.slow


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", source_notebooks(), ids=_id)
def test_runs_through_the_openai_provider_against_the_sim_server(path, tmp_path, monkeypatch):
    with serve_in_thread() as server:
        monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
        result = run_notebook(path, {"provider": "openai", "model": "sim-small"}, tmp_path)
        served = server.completions_received
    assert result.ok, result.error or result.stderr_cells
    assert served > 0, "the notebook never reached the HTTP server"
