"""Shared helpers for the graded-assignment tests: grade one notebook, edit its solutions."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

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
