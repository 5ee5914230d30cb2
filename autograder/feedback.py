"""HTML feedback for a graded submission that never shows the hidden tests or runs learner code.

The autograded notebook holds the full test cells (nbgrader restores them from the gradebook
before running), so feedback made from it would publish the hidden tests and, through
tracebacks, the failing hidden line. HideHiddenTests edits the notebook before the HTML
export: hidden regions are replaced by one comment, and errors from those cells keep only
the exception type and message. It is registered in nbgrader_config.py, so the `nbgrader
generate_feedback` command is covered too.

It also makes the page safe to open: rich outputs are reduced to text and images (no HTML,
JavaScript, SVG or markdown from the learner's kernel), raw HTML in the learner's markdown is
escaped, and once a cell with hidden tests has run, learner code may have read them, so from
there on only error names and messages the cell's author wrote are shown, never free output.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.converters import GenerateFeedback
from traitlets import Bool, Unicode

from autograder import engine
from autograder.grading import BUILTIN_EXCEPTIONS, AuthoredMessages, GradeReport

HIDDEN_PLACEHOLDER = "# (hidden tests run here; they are not shown)"
OUTPUT_HIDDEN = "(output not shown: it was printed after hidden tests ran)\n"
# Output kinds the page shows: plain text is escaped by the exporter, images are data URIs.
SAFE_MIME = ("text/plain", "image/png", "image/jpeg", "image/gif")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(value: object, limit: int = 300) -> str:
    text = _ANSI.sub("", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _instructors(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def _inert_markdown(source: str) -> str:
    """Markdown whose raw HTML is shown as text and whose links cannot run script."""
    text = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("](", "]\\(")  # no inline links or images: their URLs could run script
    # Reference-style links: a scheme that runs code is broken up (entities would be decoded).
    return re.sub(r"(?i)(java|vb)\s*script\s*:|data\s*:", "blocked-scheme-", text)


class HideHiddenTests(Preprocessor):
    """Remove hidden-test regions from code cells; trim the tracebacks those cells raised."""

    # nbconvert preprocessors are disabled by default, and nbgrader registers its list
    # without enabling them: without this the preprocessor would silently do nothing.
    enabled = Bool(True).tag(config=True)
    begin_delimiter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_delimiter = Unicode("END HIDDEN TESTS").tag(config=True)
    placeholder = Unicode(HIDDEN_PLACEHOLDER).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._hidden_ran = False
        # Cells nbgrader restored from the instructor's source (locked cells and tests) hold
        # the messages an author wrote; the learner's own cells do not count.
        self._messages = AuthoredMessages(
            [c.source for c in nb.cells if c.cell_type == "code" and _instructors(c)]
        )
        return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict, index: int
    ) -> tuple[NotebookNode, dict]:
        if cell.cell_type == "markdown":
            cell.source = _inert_markdown(cell.source)
            cell.pop("attachments", None)
            return cell, resources
        if cell.cell_type != "code":
            return cell, resources
        hidden = self.begin_delimiter in cell.source
        self._hidden_ran = self._hidden_ran or hidden
        if hidden:
            cell.source = self._strip(cell.source)
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = _clean(output.get("evalue", ""))
                full = _ANSI.sub("", str(output.get("evalue", ""))).strip()
                if self._hidden_ran and message and full not in self._messages:
                    message = "(message hidden: it was raised after hidden tests ran)"
                ename = output.get("ename", "Error")
                ename = ename if re.fullmatch(r"[A-Za-z_][\w.]{0,59}", str(ename)) else "Error"
                if self._hidden_ran and ename not in BUILTIN_EXCEPTIONS:
                    ename = "Exception"  # a learner's class name is free text
                output.ename, output.evalue = ename, message
                if hidden or self._hidden_ran:
                    output.traceback = [f"{ename}: {message}" if message else ename]
                kept.append(output)
            elif self._hidden_ran:
                continue  # free output after hidden tests could carry them
            elif output.output_type == "stream":
                kept.append(output)
            elif output.output_type in ("display_data", "execute_result"):
                data = {k: v for k, v in output.get("data", {}).items() if k in SAFE_MIME}
                if data:
                    output.data = data
                    output.metadata = {}
                    kept.append(output)
        if self._hidden_ran and len(kept) < len(cell.get("outputs", [])):
            kept.insert(0, NotebookNode(output_type="stream", name="stdout", text=OUTPUT_HIDDEN))
        cell.outputs = kept
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
