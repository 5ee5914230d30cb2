"""Generate the student notebooks from the instructor sources.

Generation runs nbgrader's GenerateAssignment in a throwaway course root, then writes the
result into the module folder at the repository root in one canonical form (no outputs, no
execution counts, fixed key order), so regenerating is byte-identical and a test can prove the
committed student notebooks are exactly what generation produces.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.converters import GenerateAssignment

from autograder import engine
from autograder.paths import IGNORED, modules_with_source, release_dir, source_dir

# Cell and notebook metadata that records a run, not the content.
_RUN_METADATA = ("execution", "ExecuteTime", "papermill", "collapsed", "scrolled")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


def copy_source(module: str, course_root: Path, source_root: Path | None = None) -> Path:
    """Copy one module's source folder into ``course_root/source/<module>``."""
    src = source_dir(module, source_root)
    if not any(src.glob("*.ipynb")):
        raise FileNotFoundError(f"No source notebooks for {module!r} in {src}")
    dest = Path(course_root) / "source" / module
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED))
    return dest


def build_assignment(module: str, course_root: Path, source_root: Path | None = None) -> Path:
    """Run GenerateAssignment in ``course_root``; returns the release folder it filled.

    Also fills the gradebook, which grading needs (test cells with hidden tests, points).
    """
    copy_source(module, course_root, source_root)
    config = engine.load_config(course_root)
    engine.run_converter(GenerateAssignment, engine.course_directory(config, module), config)
    return Path(course_root) / "release" / module


def canonical(nb: NotebookNode, name: str) -> NotebookNode:
    """The committed form of a notebook: outputs cleared, run metadata dropped, stable cell ids."""
    nb = nbformat.from_dict(nb)
    kept = {key: nb.metadata[key] for key in _KEPT_NOTEBOOK_METADATA if key in nb.metadata}
    nb.metadata = nbformat.from_dict(kept)
    if "language_info" in nb.metadata:  # the version varies by machine; the name is enough
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name", "python")}
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)
    for index, cell in enumerate(nb.cells):
        for key in _RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if not cell.get("id"):
            cell["id"] = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]
    return nb


def write_notebook(nb: NotebookNode, path: Path) -> None:
    """Write with nbformat's canonical JSON (sorted keys, one-space indent) and a final newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb, version=4)
    text = text if text.endswith("\n") else text + "\n"
    path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation on Windows


def is_generated(path: Path) -> bool:
    """True when a notebook carries nbgrader cell metadata, i.e. generation wrote it."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    return any("nbgrader" in cell.get("metadata", {}) for cell in nb.cells)


def generate_release(
    module: str, dest_dir: Path | None = None, *, source_root: Path | None = None
) -> list[Path]:
    """Generate one module's student version into ``dest_dir`` (default: its repo-root folder).

    Also copies the source folder's other files and deletes generated notebooks whose source
    is gone. Returns the written paths, sorted.
    """
    dest = Path(dest_dir) if dest_dir is not None else release_dir(module)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        generated = build_assignment(module, Path(tmp), source_root)
        for path in sorted(p for p in generated.rglob("*") if p.is_file()):
            target = dest / path.relative_to(generated)
            if path.suffix == ".ipynb":
                write_notebook(canonical(nbformat.read(path, as_version=4), path.stem), target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            written.append(target)
    for stale in sorted(set(dest.glob("*.ipynb")) - set(written)):
        if is_generated(stale):
            stale.unlink()
    return written


def release(
    modules: list[str] | None = None, *, source_root: Path | None = None
) -> dict[str, list[Path]]:
    """Regenerate the repo-root folders of ``modules`` (default: every module with a source)."""
    chosen = modules or modules_with_source(source_root)
    return {module: generate_release(module, source_root=source_root) for module in chosen}
