"""A secret seed for the items a hidden quality check generates at grading time.

A hidden check that measures quality on the shipped data can be passed by a submission that
memorises that data. So quality checks draw fresh items from a generator in ``course.data``,
seeded by a value the repository never holds. The instructor source writes the seed as an
ordinary literal, marked for the grader::

    fresh_seed = 1234  # grading-seed

Running the source notebook (papermill, the tests, an instructor trying it) uses the literal as
written. At grading time ``InjectGradingSeed`` replaces the integer in every marked line of every
test cell with ``grading_seed(assignment, notebook)``: an HMAC of the notebook's name under a key
that lives on the grading machine only (``COURSE_GRADING_KEY``, or a key file made on first use
with owner-only permissions). The key never enters the sandbox: the kernel's environment is
rebuilt from an allow-list and the key file lies outside every folder the kernel can read.

The same key gives the same seed, so grading a learner twice, alone or in a cohort, gives the
same items and the same score. Grading workers on other machines need the same key: set
``COURSE_GRADING_KEY`` on each of them (docs/COHORT.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

KEY_ENV = "COURSE_GRADING_KEY"
SEED_LINE = re.compile(
    r"^(?P<head>[ \t]*[A-Za-z_]\w*[ \t]*=[ \t]*)(?P<value>\d+)(?P<tail>  # grading-seed)[ \t]*$",
    re.MULTILINE,
)
SEED_MODULUS = 2**31 - 1


class GradingKeyError(RuntimeError):
    """The grading key exists but cannot be used; the message says how to fix it."""


def key_file() -> Path:
    """Where the grading machine keeps its key when ``COURSE_GRADING_KEY`` is not set."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "course-autograder" / "grading.key"


def grading_key() -> bytes:
    """The grading machine's secret: from the environment, else the key file (made if missing)."""
    from_env = os.environ.get(KEY_ENV, "").strip()
    if from_env:
        return from_env.encode()
    path = key_file()
    if not path.exists():
        _create_key_file(path)
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if len(key) < 32:
        raise GradingKeyError(
            f"the grading key in {path} is too short ({len(key)} characters); delete the file to "
            f"make a new one, or set {KEY_ENV} to a long random string"
        )
    return key.encode()


def _create_key_file(path: Path) -> None:
    """Write a new key whole, then link it into place: parallel graders agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".grading.key.")
    try:
        with os.fdopen(fd, "w") as handle:  # mkstemp makes it owner-only (0600)
            handle.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another grader made it first: use theirs
            os.link(draft, path)
    finally:
        os.unlink(draft)


def grading_seed(assignment: str, notebook: str, key: bytes | None = None) -> int:
    """The seed for one notebook of one assignment: stable for a key, unguessable without it."""
    digest = hmac.new(key or grading_key(), f"{assignment}/{notebook}".encode(), hashlib.sha256)
    return int.from_bytes(digest.digest()[:8], "big") % SEED_MODULUS


def inject_seed(source: str, seed: int) -> str:
    """``source`` with the integer of every ``# grading-seed`` line replaced by ``seed``."""
    return SEED_LINE.sub(lambda m: f"{m['head']}{seed}{m['tail']}", source)


def marked_lines(source: str) -> int:
    """How many lines of ``source`` carry the grading-seed mark."""
    return len(SEED_LINE.findall(source))


class InjectGradingSeed(NbGraderPreprocessor):
    """Put the grading machine's seed into the marked lines of every autograded test cell.

    It runs after nbgrader has restored the test cells from the gradebook, so a learner who edits
    a marked line in their copy changes nothing.
    """

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        ids = resources["nbgrader"]
        seed = grading_seed(str(ids["assignment"]), str(ids["notebook"]))
        for cell in nb.cells:
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and grading.get("grade") and not grading.get("solution"):
                cell.source = inject_seed(cell.source, seed)
        return nb, resources
