"""Every real course notebook: runs headless silently, on the simulator and over HTTP through
the openai provider, and grades as designed (reference full marks, untouched release zero)."""

from __future__ import annotations

import pytest

from autograder.grading import grade_reference, grade_submission
from autograder.paths import modules_with_source, release_dir, source_notebooks
from course.notebooks import run_notebook
from course.sim.server import serve_in_thread

NOTEBOOKS = source_notebooks()
MODULES = modules_with_source()
BUDGET_S = 60  # "well under a minute" on a 2-core machine; typical runs take a few seconds


def _id(path):
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="module")
def module_homes(tmp_path_factory):
    """One COURSE_HOME per course module, shared by its notebooks' simulator runs, so the
    trace store afterwards holds a whole module run (as a learner's would)."""
    return {module: tmp_path_factory.mktemp(module) for module in MODULES}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_runs_on_the_simulator_without_stderr(path, tmp_path, module_homes, monkeypatch):
    monkeypatch.setenv("COURSE_HOME", str(module_homes[path.parent.name]))
    result = run_notebook(path, {"provider": "sim", "seed": 0}, tmp_path)
    assert result.ok, result.error or result.stderr_cells
    assert result.seconds < BUDGET_S


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_trace_store_answers_the_on_call_questions_after_a_module_run(
    module, module_homes, monkeypatch, capsys
):
    """After the module's notebooks ran: calls, money, p95 latency and error rate by feature."""
    from course.cli import main
    from course.tracing import TraceStore, summarize

    home = module_homes[module]
    store = home / "traces.sqlite"
    ran = [p for p in NOTEBOOKS if p.parent.name == module]
    if not store.exists():
        pytest.skip("run together with test_runs_on_the_simulator_without_stderr")
    table = summarize(TraceStore(store).calls())
    assert table["calls"].sum() > 0 and table["cost_usd"].sum() > 0
    assert table[["p95_latency_s", "error_rate"]].notna().all().all()
    features = sorted(table.index)
    for path in ran:  # feature tags follow "m<module>-<notebook>-<name>", e.g. "m1-03-triage"
        tag = f"m{module.removeprefix('module')[0]}-{path.name[:2]}-"
        assert any(f.startswith(tag) for f in features), f"no {tag}* calls in {features}"
    monkeypatch.setenv("COURSE_HOME", str(home))
    assert main(["traces", "--by", "feature"]) == 0
    assert "p95_latency_s" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_runs_through_the_openai_provider_against_the_sim_server(path, tmp_path, monkeypatch):
    with serve_in_thread() as server:
        monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
        result = run_notebook(path, {"provider": "openai", "model": "sim-small"}, tmp_path)
        served = server.completions_received
    assert result.ok, result.error or result.stderr_cells
    assert served > 0, "the notebook never reached the HTTP server"


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_reference_solutions_earn_full_marks(module, tmp_path):
    report = grade_reference(module, workdir=tmp_path)
    assert report.full_auto_marks, report.problems or [
        (c.grade_id, c.points, c.max_points) for nb in report.notebooks for c in nb.cells
    ]
    assert report.auto_max > 0


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_untouched_release_scores_zero_and_crashes_nothing(module, tmp_path):
    report = grade_submission(module, release_dir(module), workdir=tmp_path)
    assert report.auto_score == 0
    assert not report.problems, report.problems  # every notebook was graded, none crashed
    assert len(report.notebooks) == len(list(release_dir(module).glob("*.ipynb")))
