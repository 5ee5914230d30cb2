"""HTML feedback for a graded submission that never shows the hidden tests.

The autograded notebook holds the full test cells (nbgrader restores them from the gradebook
before running), so feedback made from it would publish the hidden tests and, through
tracebacks, the failing hidden line. HideHiddenTests edits the notebook before the HTML
export: hidden regions are replaced by one comment, and errors from those cells keep only
the exception type and message. It is registered in nbgrader_config.py, so the `nbgrader
generate_feedback` command is covered too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.converters import GenerateFeedback
from traitlets import Bool, Unicode

from autograder import engine
from autograder.grading import GradeReport

HIDDEN_PLACEHOLDER = "# (hidden tests run here; they are not shown)"


class HideHiddenTests(Preprocessor):
    """Remove hidden-test regions from code cells; trim the tracebacks those cells raised."""

    # nbconvert preprocessors are disabled by default, and nbgrader registers its list
    # without enabling them: without this the preprocessor would silently do nothing.
    enabled = Bool(True).tag(config=True)
    begin_delimiter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_delimiter = Unicode("END HIDDEN TESTS").tag(config=True)
    placeholder = Unicode(HIDDEN_PLACEHOLDER).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict, index: int
    ) -> tuple[NotebookNode, dict]:
        if cell.cell_type != "code" or self.begin_delimiter not in cell.source:
            return cell, resources
        cell.source = self._strip(cell.source)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = str(output.get("evalue", "")).strip()
                output.traceback = [f"{output.ename}: {message}" if message else output.ename]
        return cell, resources

    def _strip(self, source: str) -> str:
        kept: list[str] = []
        hidden = False
        for line in source.split("\n"):
            if self.begin_delimiter in line:
                hidden = True
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(indent + self.placeholder)
            elif self.end_delimiter in line:
                hidden = False
            elif not hidden:
                kept.append(line)
        return "\n".join(kept)


def write_feedback(report: GradeReport, dest_dir: Path) -> list[Path]:
    """Render feedback pages for the graded notebooks of ``report`` into ``dest_dir``.

    Pages left there by an earlier run for notebooks not graded this time are removed, so a
    learner never reads stale feedback. Returns the pages written, sorted.
    """
    dest_dir = Path(dest_dir)
    graded = [nb.name for nb in report.notebooks if nb.autograded_path is not None]
    pages: list[Path] = []
    if graded:
        config = engine.load_config(report.course_root)
        coursedir = engine.course_directory(config, report.module, report.student)
        engine.run_converter(GenerateFeedback, coursedir, config)
        built = report.course_root / "feedback" / report.student / report.module
        dest_dir.mkdir(parents=True, exist_ok=True)
        for name in graded:
            page = dest_dir / f"{name}.html"
            shutil.copyfile(built / f"{name}.html", page)
            pages.append(page)
    for stale in dest_dir.glob("*.html") if dest_dir.is_dir() else []:
        if stale not in pages:
            stale.unlink()
    return sorted(pages)
