"""Headless runs with papermill: failures and stderr are caught, parameters injected."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.cli import main, parse_value
from course.notebooks import run_notebook

pytestmark = pytest.mark.slow

FIXTURE_NOTEBOOK = (
    Path(__file__).parent / "fixtures" / "source" / "fixture_module" / "squares.ipynb"
)


def make_notebook(folder: Path, name: str, *sources: str) -> Path:
    nb = new_notebook(
        cells=[new_code_cell(source) for source in sources],
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
    )
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebooks(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "data.txt").write_text("read from the notebook's own folder")
    make_notebook(folder, "ok", "text = open('data.txt').read()", "print(text)")
    make_notebook(folder, "error", "x = 1", "raise ValueError('boom')", "print('never runs')")
    make_notebook(folder, "noisy", "x = 1", "import sys\nprint('careful', file=sys.stderr)")
    return folder


def test_ok_notebook_runs_silently_into_the_state_folder(notebooks, course_home, capfd):
    result = run_notebook(notebooks / "ok.ipynb", {})
    assert result.ok and result.error is None and result.stderr_cells == []
    assert result.output == course_home / "runs" / "notebooks" / "ok.ipynb"
    assert not (notebooks / "ok_output.ipynb").exists()
    executed = nbformat.read(result.output, as_version=4)
    assert "read from the notebook's own folder" in executed.cells[-1].outputs[0].text
    assert capfd.readouterr().err == ""  # no progress bar, no kernel chatter


def test_erroring_notebook_fails_and_names_the_cell(notebooks, tmp_path):
    result = run_notebook(notebooks / "error.ipynb", {}, tmp_path / "out")
    assert not result.ok
    assert result.error == "cell 2 raised ValueError: boom"


def test_stderr_output_fails_the_run_and_names_the_cell(notebooks, tmp_path):
    result = run_notebook(notebooks / "noisy.ipynb", {}, tmp_path / "out")
    assert not result.ok and result.error is None
    (cell,) = result.stderr_cells
    assert cell.startswith("cell 2 ") and cell.endswith("careful")


def test_only_declared_parameters_are_injected(tmp_path, caplog):
    parameters = {"seed": 7, "sample_size": 5, "model": "sim-large"}
    result = run_notebook(FIXTURE_NOTEBOOK, parameters, tmp_path / "out")
    assert result.ok, result.error
    assert result.ignored_parameters == ["model"]
    executed = nbformat.read(result.output, as_version=4)
    injected = next(
        c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert "seed = 7" in injected.source and "model" not in injected.source
    echo = next(c for c in executed.cells if c.source.startswith('print(f"sample_size'))
    assert echo.outputs[0].text.strip() == "sample_size=5 seed=7 provider=None"
    assert "unknown parameter" not in caplog.text


def test_run_command_exit_status_and_table(notebooks, tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")]
    assert main(["run", str(notebooks / "ok.ipynb"), "-p", "seed", "3", *out]) == 0
    table = capsys.readouterr().out
    assert "ok.ipynb" in table and " ok" in table
    assert main(["run", str(notebooks), *out]) == 1  # a folder: error and noisy fail
    table = capsys.readouterr().out
    assert "ValueError: boom" in table and "stderr: cell 2" in table


def test_parameter_values_are_typed_like_papermills():
    values = [parse_value(v) for v in ("3", "0.5", "true", "None", "sim")]
    assert values == [3, 0.5, True, None, "sim"]


def test_notebooks_run_side_by_side_and_report_in_order(notebooks, tmp_path):
    from course.notebooks import run_notebooks

    paths = sorted(notebooks.glob("*.ipynb"))
    one_by_one = run_notebooks(paths, {}, tmp_path / "serial", jobs=1)
    side_by_side = run_notebooks(paths, {}, tmp_path / "parallel", jobs=2)
    assert [r.path for r in side_by_side] == [p.resolve() for p in paths]
    assert [(r.ok, r.error, r.stderr_cells) for r in side_by_side] == [
        (r.ok, r.error, r.stderr_cells) for r in one_by_one
    ]
    assert not all(r.ok for r in side_by_side)  # the fixture folder holds failing notebooks too


def test_the_default_notebooks_are_found_without_the_autograder(tmp_path):
    from course.notebooks import course_notebooks

    for folder in ("autograder/source/module9_x", "module9_x", "notes"):
        (tmp_path / folder).mkdir(parents=True)
    for name in ("autograder/source/module9_x/01_a.ipynb", "module9_x/01_a.ipynb", "notes/x.ipynb"):
        (tmp_path / name).write_text("{}")
    assert course_notebooks(repo_root=tmp_path) == [
        tmp_path / "autograder/source/module9_x/01_a.ipynb"
    ]
    assert course_notebooks(release=True, repo_root=tmp_path) == [tmp_path / "module9_x/01_a.ipynb"]
