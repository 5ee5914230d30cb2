"""Student notebooks are generated deterministically and carry no solutions or hidden tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.__main__ import main
from autograder.paths import REPO_ROOT, modules_with_source, release_dir
from autograder.release import generate_release, is_generated, write_notebook

FIXTURE_SOURCE = Path(__file__).parent / "fixtures" / "source"
MODULE = "fixture_module"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_generation_is_byte_identical_and_strips_solutions_and_hidden_tests(tmp_path):
    first = generate_release(MODULE, tmp_path / "a", source_root=FIXTURE_SOURCE)
    generate_release(MODULE, tmp_path / "b", source_root=FIXTURE_SOURCE)

    assert [p.name for p in first] == ["data.txt", "squares.ipynb"]
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    text = (tmp_path / "a" / "squares.ipynb").read_text()
    for secret in ("BEGIN SOLUTION", "i * i", "HIDDEN TESTS", "SECRET-LINE", "visible checks."):
        assert secret not in text
    assert "raise NotImplementedError()" in text and "YOUR ANSWER HERE" in text
    nb = nbformat.read(tmp_path / "a" / "squares.ipynb", as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert any("parameters" in cell.metadata.get("tags", []) for cell in code)


def test_regeneration_replaces_stale_generated_notebooks_but_keeps_the_learners(tmp_path):
    dest = tmp_path / "release"
    generate_release(MODULE, dest, source_root=FIXTURE_SOURCE)
    stale = nbformat.read(dest / "squares.ipynb", as_version=4)
    write_notebook(stale, dest / "retired.ipynb")  # generated once, its source since removed
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(scratch, dest / "scratch.ipynb")

    generate_release(MODULE, dest, source_root=FIXTURE_SOURCE)

    assert not (dest / "retired.ipynb").exists()
    assert (dest / "scratch.ipynb").exists()


def test_release_command_writes_under_dest_root(tmp_path, capsys):
    status = main(["--source-root", str(FIXTURE_SOURCE), "release", "--dest-root", str(tmp_path)])
    assert status == 0
    assert (tmp_path / MODULE / "squares.ipynb").is_file()
    assert "2 file(s) written" in capsys.readouterr().out


def _head_bytes(path: Path) -> bytes | None:
    """The file as committed at git HEAD, or None outside a git checkout."""
    relative = path.resolve().relative_to(REPO_ROOT).as_posix()
    shown = subprocess.run(
        ["git", "show", f"HEAD:{relative}"], cwd=REPO_ROOT, capture_output=True, check=False
    )
    return shown.stdout if shown.returncode == 0 else None


@pytest.mark.parametrize("module", modules_with_source() or [None])
def test_committed_student_notebooks_are_exactly_what_generation_produces(module, tmp_path):
    """The working tree must match generation, or else git HEAD must (a learner's edits)."""
    if module is None:
        pytest.skip("no instructor sources yet")
    generated = tmp_path / module
    generate_release(module, generated)
    committed = release_dir(module)
    assert committed.is_dir(), f"{committed} is missing: run `make release`"
    drifted = []
    for path in sorted(p for p in generated.rglob("*") if p.is_file()):
        target = committed / path.relative_to(generated)
        expected = path.read_bytes()
        on_disk = target.read_bytes() if target.is_file() else None
        if on_disk != expected and _head_bytes(target) != expected:
            drifted.append(str(target.relative_to(REPO_ROOT)))
    stale = sorted(
        p.name
        for p in committed.glob("*.ipynb")
        if not (generated / p.name).exists() and is_generated(p)
    )
    assert not drifted, f"{drifted} differ from generation: run `make release` and commit"
    assert not stale, f"{module}: {stale} have no source any more: run `make release`"
