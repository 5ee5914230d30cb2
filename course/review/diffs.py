"""A code change as a reviewer sees it: a unified diff, the new code, and which lines are new.

`make_diff(path, before, after)` writes the diff of two versions of a file; `parse_diff(text)`
reads one back (a diff from `git diff`, or one written by hand), keeping the new side of each
hunk, so a linter and a model review the same lines whichever way the diff was made.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from course.errors import CourseError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class Diff:
    """One change: its unified diff, the new code, the added line numbers and its labels.

    `new_code` is the new side of the change (the whole file for a generated diff; for a parsed
    diff, the hunks' context and added lines, blank lines filling the gaps so line numbers
    match the file). `added` holds the 1-based line numbers of `new_code` the change added:
    a review comments on those. `labels` are the defect kinds seeded into the added lines
    (empty for a clean diff, and for a diff read from text, which has no answer key).
    """

    id: str
    path: str
    text: str
    new_code: str
    added: frozenset[int]
    labels: frozenset[str] = field(default_factory=frozenset)

    @property
    def clean(self) -> bool:
        return not self.labels

    def added_code(self) -> str:
        """Only the added lines, in order (what a reviewer must read)."""
        lines = self.new_code.splitlines()
        return "\n".join(lines[i - 1] for i in sorted(self.added) if i <= len(lines))


def make_diff(
    path: str, before: str, after: str, *, id: str = "diff", labels: frozenset[str] = frozenset()
) -> Diff:
    """The unified diff (3 lines of context) turning `before` into `after`, as a Diff."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    text = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=3))
    added: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            added.update(range(j1 + 1, j2 + 1))
    return Diff(id, path, text, after, frozenset(added), frozenset(labels))


def parse_diff(text: str, *, id: str = "diff") -> Diff:
    """Read a unified diff (one file) into a Diff with no labels.

    Lines outside hunks (headers, `diff --git`, `index`) are skipped; `-` lines are dropped;
    ` ` and `+` lines form the new side at the line numbers the hunk header gives. Text with no
    hunk header at all is taken as new code, every line added (a snippet pasted for review).
    """
    if not isinstance(text, str) or not text.strip():
        raise CourseError("parse_diff needs the text of a unified diff", hint="got nothing")
    path = "snippet.py"
    lines: dict[int, str] = {}
    added: set[int] = set()
    number = None
    for raw in text.splitlines():
        if raw.startswith("+++ "):
            path = re.sub(r"^b/", "", raw[4:].split("\t")[0].strip()) or path
            continue
        hunk = _HUNK.match(raw)
        if hunk:
            number = int(hunk.group(1))
            continue
        if number is None or raw.startswith(("--- ", "\\")):
            continue
        if raw.startswith("-"):
            continue
        if raw.startswith("+"):
            added.add(number)
        lines[number] = raw[1:] if raw[:1] in "+ " else raw
        number += 1
    if not lines:  # no hunk: a pasted snippet, all of it new
        body = text.strip("\n").splitlines()
        lines = dict(enumerate(body, start=1))
        added = set(lines)
    last = max(lines)
    new_code = "\n".join(lines.get(i, "") for i in range(1, last + 1)) + "\n"
    return Diff(id, path, text, new_code, frozenset(added), frozenset())
