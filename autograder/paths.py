"""Where things live: the repository, the instructor sources and the student folders.

Every other module asks here, so a test can point grading at a fixture source tree by
passing ``source_root`` instead of patching paths.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COURSE_ROOT = REPO_ROOT / "autograder"  # the nbgrader course root
SOURCE_ROOT = COURSE_ROOT / "source"
CONFIG_FILE = COURSE_ROOT / "nbgrader_config.py"

# One nbgrader assignment per module; the assignment id is the module folder name.
MODULES = ("module1_llm_features", "module2_evals", "module3_agents")

# Files that are never part of a release or a submission.
IGNORED = (".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store")


def source_dir(module: str, source_root: Path | None = None) -> Path:
    """The instructor folder of one module (solutions and hidden tests)."""
    return Path(source_root or SOURCE_ROOT) / module


def release_dir(module: str, repo_root: Path | None = None) -> Path:
    """The committed student folder of one module, at the repository root."""
    return Path(repo_root or REPO_ROOT) / module


def modules_with_source(source_root: Path | None = None) -> list[str]:
    """Module ids that have a source folder with at least one notebook, sorted."""
    root = Path(source_root or SOURCE_ROOT)
    if not root.is_dir():
        return []
    return sorted(
        child.name for child in root.iterdir() if child.is_dir() and any(child.glob("*.ipynb"))
    )


def source_notebooks(source_root: Path | None = None) -> list[Path]:
    """Every instructor notebook, module by module."""
    return [
        path
        for module in modules_with_source(source_root)
        for path in sorted(source_dir(module, source_root).glob("*.ipynb"))
    ]


def release_notebooks(repo_root: Path | None = None) -> list[Path]:
    """Every committed student notebook in the module folders."""
    return [
        path
        for module in MODULES
        for path in sorted(release_dir(module, repo_root).glob("*.ipynb"))
    ]
