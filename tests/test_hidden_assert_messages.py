"""Every hidden assert tells the learner what was expected and what came back.

Feedback hides the hidden tests and trims their tracebacks to `AssertionError: <message>`, so
the message is all a learner sees of a failing hidden check. A bare `assert` leaves them with
"AssertionError:" and nothing to act on. This test parses the hidden-test region of every test
cell of every source notebook (every module) and fails, per notebook, for each assert that
- has no message;
- has a constant message too short to state an expectation ("wrong", "bad value");
- can never fail (a parenthesised `(condition, "message")` tuple is always true).
The goal is an f-string that shows the value that came back; a constant sentence that states the
rule is accepted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

SOURCE = Path(__file__).resolve().parents[1] / "autograder" / "source"
NOTEBOOKS = sorted(SOURCE.glob("*/*.ipynb"))
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_WORDS = 5  # a constant message shorter than this names no expectation


def hidden_lines(source: str) -> set[int]:
    """1-based line numbers inside BEGIN/END HIDDEN TESTS markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def problem(node: ast.Assert) -> str | None:
    """Why this assert's failure would not help a learner, or None when it would."""
    if isinstance(node.test, ast.Tuple) and node.test.elts:
        return "asserts a tuple, which is always true (drop the brackets around test and message)"
    if node.msg is None:
        return "has no message"
    if isinstance(node.msg, ast.Constant) and (
        not isinstance(node.msg.value, str) or len(node.msg.value.split()) < MIN_WORDS
    ):
        return f"has a message that states no expectation: {node.msg.value!r}"
    if isinstance(node.msg, ast.JoinedStr):
        text = "".join(p.value for p in node.msg.values if isinstance(p, ast.Constant))
        shown = [p for p in node.msg.values if isinstance(p, ast.FormattedValue)]
        if not shown and len(text.split()) < MIN_WORDS:
            return "has an f-string message that shows nothing and states no expectation"
    return None


def hidden_assert_problems(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
        lines = hidden_lines(cell.source)
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as error:
            found.append(f"{grade_id}: the cell does not parse ({error.msg}, line {error.lineno})")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and node.lineno in lines:
                why = problem(node)
                if why:
                    code = (ast.get_source_segment(cell.source, node) or "").splitlines()[0]
                    found.append(f"{grade_id}, line {node.lineno}: `{code[:100]}` {why}")
    return found


def test_there_are_notebooks_with_hidden_tests():
    assert NOTEBOOKS, f"no source notebooks under {SOURCE}"
    assert any(hidden_lines(c.source) for p in NOTEBOOKS for c in nbformat.read(p, 4).cells), (
        "no hidden-test region in any source notebook: the markers changed?"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_hidden_assert_explains_itself(path):
    found = hidden_assert_problems(path)
    assert not found, f"{len(found)} hidden assert(s) a learner cannot act on:\n" + "\n".join(found)


H, E = "### BEGIN HIDDEN TESTS\n", "\n### END HIDDEN TESTS"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("def f():\n    " + H + "    assert x == 1\n    " + E, 1),
        ("def f():\n    " + H + "    assert x, 'oops'\n    " + E, 1),
        (H + "assert (x, 'x must be one, got something else')" + E, 1),
        (H + "assert x, f'{x}'" + E, 0),
        (H + "assert x, f''" + E, 1),
        (H + "assert x, 'x must be a positive number of seconds'" + E, 0),
        ("assert x\n" + H + E, 0),  # a visible assert: not this test's job
        (H + "assert x, f'got {x!r}, expected 3'\nassert y" + E, 1),
    ],
)
def test_the_check_itself(tmp_path, cell, expected):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert len(hidden_assert_problems(path)) == expected, hidden_assert_problems(path)
