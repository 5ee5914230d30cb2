"""Longest plain code cell (neither a solution nor a test) of each source notebook.

Issue #9 asks that cells outside exercises stay short (about 40 lines); this prints, per notebook,
the longest such cell, its index and how many exceed the limit. Usage:

    python scripts/longest_plain_cells.py [--limit 40] [module_glob ...]   (default: module*)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "autograder" / "source"


def plain_cells(path: Path) -> list[tuple[int, int, str]]:
    """(index, lines, grade_id or '') of each code cell that is not a solution or a test."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or grading.get("solution") or grading.get("grade"):
            continue
        lines = len("".join(cell["source"]).splitlines())
        found.append((index, lines, grading.get("grade_id", "")))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("modules", nargs="*", default=["module*"])
    args = parser.parse_args(argv)
    print(f"{'notebook':50} {'longest':>7} {'cell':>5} {'>' + str(args.limit):>5}  locked id")
    for pattern in args.modules:
        for path in sorted(SOURCE.glob(f"{pattern}/*.ipynb")):
            cells = plain_cells(path) or [(-1, 0, "")]
            index, lines, grade_id = max(cells, key=lambda c: c[1])
            over = sum(n > args.limit for _, n, _ in cells)
            name = f"{path.parent.name.split('_')[0]}/{path.stem}"
            print(f"{name:50} {lines:7d} {index:5d} {over:5d}  {grade_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
