"""Shared helpers for the graded-assignment tests: grade one notebook, edit its solutions."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

from autograder.contracts import check_notebook, zeroed
from autograder.grading import GradeReport
from autograder.paths import source_dir


def single_notebook_source(root: Path, module: str, notebook: str) -> Path:
    """A source tree holding only `notebook`: grading the whole module would take minutes."""
    (root / module).mkdir()
    shutil.copyfile(source_dir(module) / notebook, root / module / notebook)
    return root


def autograded_points(report: GradeReport) -> dict[str, float]:
    """Points per autograded cell of a one-notebook report."""
    (notebook,) = report.notebooks
    return {cell.grade_id: cell.points for cell in notebook.cells if cell.autograded}


def submission_with(reference: Path, folder: Path, replacements: dict[str, str]) -> Path:
    """The reference notebook with some solution cells replaced, as a learner would hand it in."""
    folder.mkdir()
    nb = nbformat.read(reference, as_version=4)
    for grade_id, source in replacements.items():
        (cell,) = [
            c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        ]
        cell.source = source.strip()
    nbformat.write(nb, folder / reference.name)
    return folder


def contract_zeroed(
    module: str,
    name: str,
    notebooks: tuple[nbformat.NotebookNode, nbformat.NotebookNode],
    replacements: dict[str, str],
    added: str | None = None,
    *,
    added_before: str,
) -> set[str]:
    """The clauses the static contract check zeroes for the source notebook with the cells named
    in ``replacements`` (grade_id -> source) replaced, and ``added`` (a cell of the learner's
    own) inserted just before the cell whose metadata names ``added_before``."""
    source, release = notebooks
    nb = copy.deepcopy(source)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    if added is not None:
        at = next(i for i, c in enumerate(nb.cells) if added_before in str(c.metadata))
        nb.cells.insert(at, nbformat.v4.new_code_cell(added))
    return set(zeroed(check_notebook(module, name, nb, release)))
