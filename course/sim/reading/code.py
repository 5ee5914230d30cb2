"""Code under review in a prompt: the new side of a unified diff (or a pasted snippet), its added
lines, and a syntax tree of as much of it as parses.

A diff hunk often starts in the middle of a function, so the new side alone may not parse.
`syntax_trees` tries, in order: the whole new side; the same dedented; each hunk on its own,
dedented, cutting up to six lines from its ends until it parses; and last each added line
alone (a compound header such as `while True:` gets a body, an `except:` a `try:` before it),
which keeps line-level facts (a call's arguments, a default value) when nothing larger
parses. Line numbers always refer to the new file.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)```", re.S)
_CODE_HINT = re.compile(r"^\s*(?:def |class |import |from \w|async def |@\w)", re.M)


@dataclass(frozen=True)
class Code:
    """The new side of a change: line number -> text, the added line numbers, the hunks."""

    lines: dict[int, str]
    added: frozenset[int]
    hunks: tuple[tuple[int, ...], ...]

    def text(self, numbers: tuple[int, ...] | None = None) -> str:
        """The new side (or only `numbers`) with blank lines in the gaps, so ast line numbers
        are the file's."""
        keep = set(self.lines if numbers is None else numbers)
        last = max(keep, default=0)
        return "\n".join(self.lines.get(i, "") if i in keep else "" for i in range(1, last + 1))


def _read_diff(text: str) -> Code | None:
    lines: dict[int, str] = {}
    added: set[int] = set()
    hunks: list[list[int]] = []
    number = None
    for raw in text.splitlines():
        hunk = _HUNK.match(raw)
        if hunk:
            number = int(hunk.group(1))
            hunks.append([])
            continue
        if number is None or raw.startswith(("--- ", "+++ ", "\\", "-", "diff --git", "index ")):
            continue
        if raw.startswith("+"):
            added.add(number)
        lines[number] = raw[1:] if raw[:1] in "+ " else raw
        hunks[-1].append(number)
        number += 1
    if not added:
        return None
    return Code(lines, frozenset(added), tuple(tuple(h) for h in hunks))


def code_under_review(text: str) -> Code | None:
    """The code a message asks to review: a unified diff anywhere in it (fenced or not), else
    the last fenced block that looks like Python (all of it new). None when there is no code."""
    found = _read_diff(text)
    if found is not None:
        return found
    for block in reversed(_FENCE.findall(text)):
        if _CODE_HINT.search(block) or _statements(block):
            body = block.strip("\n").splitlines()
            numbers = tuple(range(1, len(body) + 1))
            return Code(dict(zip(numbers, body, strict=True)), frozenset(numbers), (numbers,))
    return None


def _statements(block: str) -> bool:
    """Python statements, not just an expression (a JSON example parses as a dict)."""
    tree = _parse(textwrap.dedent(block))
    return tree is not None and any(
        not isinstance(s, ast.Expr) or isinstance(s.value, ast.Call | ast.Await) for s in tree.body
    )


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _line_alone(line: str) -> tuple[str, int] | None:
    """One line as a parsable statement, and the line of it that is the original."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith(("except", "finally")) and stripped.endswith(":"):
        return f"try:\n    pass\n{stripped}\n    pass", 3
    if stripped.startswith(("elif", "else")) and stripped.endswith(":"):
        return f"if x:\n    pass\n{stripped}\n    pass", 3
    if stripped.endswith(":"):
        return f"{stripped}\n    pass", 1
    return stripped, 1


def _trimmed(hunk: tuple[int, ...], most: int = 6):
    """The hunk, then the hunk with up to `most` lines cut from its ends (a context line such
    as `def f():` without its body, or a body line without its `def`, spoils the parse)."""
    for cut in range(most + 1):
        for head in range(cut + 1):
            tail = cut - head
            part = hunk[head : len(hunk) - tail]
            if part:
                yield part


def syntax_trees(code: Code) -> list[ast.Module]:
    """Trees covering as much of the new side as parses, with the file's line numbers."""
    whole = code.text()
    for source in (whole, textwrap.dedent(whole)):
        tree = _parse(source)
        if tree is not None:
            return [tree]
    trees: list[ast.Module] = []
    covered: set[int] = set()
    for hunk in code.hunks:
        for part in _trimmed(hunk):
            tree = _parse(textwrap.dedent(code.text(part)))
            if tree is not None:
                trees.append(tree)
                covered.update(part)
                break
    for number in sorted(code.added - covered):
        alone = _line_alone(code.lines[number])
        tree = _parse(alone[0]) if alone else None
        if tree is not None and alone:
            ast.increment_lineno(tree, number - alone[1])
            trees.append(tree)
    return trees
