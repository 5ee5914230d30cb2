"""Every real course notebook runs headless and silently on the simulator, and afterwards the
trace store answers the on-call questions about the module's run.

Each module's notebooks run once per session (a module-scoped fixture, all of them into one
COURSE_HOME, as a learner's run would fill it); the per-notebook tests read those results, so
no test depends on another having run first. Run times belong in benchmarks/run_benchmarks.py.
The HTTP runs are in test_course_notebooks_http.py, the grading in test_course_grading.py, so
pytest-xdist can spread the three over the cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.paths import modules_with_source, source_notebooks
from course.notebooks import RunResult, run_notebooks

NOTEBOOKS = source_notebooks()
MODULES = modules_with_source()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # a whole module per test, under load


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="module")
def module_runs(tmp_path_factory) -> dict[str, tuple[Path, dict[Path, RunResult]]]:
    """module -> (its COURSE_HOME, results by notebook); each module runs on first use."""
    return {}


def run_module(module: str, runs: dict, tmp_path_factory, monkeypatch) -> tuple[Path, dict]:
    if module not in runs:
        home = tmp_path_factory.mktemp(f"home-{module}")
        monkeypatch.setenv("COURSE_HOME", str(home))
        paths = [p for p in NOTEBOOKS if p.parent.name == module]
        results = run_notebooks(
            paths, {"provider": "sim", "seed": 0}, tmp_path_factory.mktemp(f"runs-{module}"), jobs=1
        )
        runs[module] = (home, dict(zip(paths, results, strict=True)))
    return runs[module]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_runs_on_the_simulator_without_stderr(path, module_runs, tmp_path_factory, monkeypatch):
    _, results = run_module(path.parent.name, module_runs, tmp_path_factory, monkeypatch)
    result = results[path]
    assert result.ok, result.error or result.stderr_cells


@pytest.mark.parametrize("module", MODULES)
def test_trace_store_answers_the_on_call_questions_after_a_module_run(
    module, module_runs, tmp_path_factory, monkeypatch, capsys
):
    """After the module's notebooks ran: calls, money, p95 latency and error rate by feature."""
    from course.cli import main
    from course.tracing import TraceStore, summarize

    home, results = run_module(module, module_runs, tmp_path_factory, monkeypatch)
    table = summarize(TraceStore(home / "traces.sqlite").calls())
    assert table["calls"].sum() > 0 and table["cost_usd"].sum() > 0
    assert table[["p95_latency_s", "error_rate"]].notna().all().all()
    features = sorted(table.index)
    for path in results:  # feature tags follow "m<module>-<notebook>-<name>", e.g. "m1-03-triage"
        tag = f"m{module.removeprefix('module')[0]}-{path.name[:2]}-"
        assert any(f.startswith(tag) for f in features), f"no {tag}* calls in {features}"
    monkeypatch.setenv("COURSE_HOME", str(home))
    assert main(["traces", "--by", "feature"]) == 0
    assert "p95_latency_s" in capsys.readouterr().out
