"""Every module 3 notebook starts on a provider that rejects every call, and says why.

Module 3's notebooks ask the configured provider for a first call before anything else
(``course.llm.provider_or_sim``); when it fails (here a local server answering every request
with a 401, what a wrong key looks like on the wire) the notebook prints the provider's reason
and continues on the offline simulator. Only the parameters and setup cells run here, then a
check that the rest of the notebook would run on the simulator, which the main notebook tests
run in full; this keeps the check to seconds per notebook.
"""

from __future__ import annotations

import nbformat
import pytest
from test_module2_failing_provider import KEY, _outputs, rejecting_server

from autograder.paths import source_notebooks
from course.notebooks import run_notebook

pytestmark = pytest.mark.slow

NOTEBOOKS = [p for p in source_notebooks() if p.parent.name == "module3_agents"]
CHECK = (
    'assert provider == "sim" and settings.provider == "sim", '
    '(f"expected the run to continue on the simulator; got {provider!r}, {settings.provider!r}")'
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_falls_back_to_the_simulator_when_every_call_fails(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    nb.cells = [*nb.cells[: code[1] + 1], nbformat.v4.new_code_cell(CHECK)]
    start = tmp_path / path.name
    nbformat.write(nb, start)
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with rejecting_server() as url:
        monkeypatch.setenv("COURSE_BASE_URL", url)
        result = run_notebook(start, {"provider": "openai", "model": "sim-small"}, tmp_path / "out")
    assert result.ok, f"{path.name}'s setup did not fall back to the simulator: {result.error}"
    assert not result.stderr_cells, f"{path.name} wrote to stderr in cells {result.stderr_cells}"
    shown = _outputs(tmp_path / "out" / path.name)
    assert KEY not in shown and KEY[:12] not in shown, f"{path.name} printed the API key"
    assert "401" in shown, f"{path.name} never said why the provider failed (no 401 in its output)"
