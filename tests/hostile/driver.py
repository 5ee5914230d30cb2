"""Run the instructor's command, ``python -m autograder ... check``, and keep its GradeReport.

    python tests/hostile/driver.py REPORT.json -- --source-root SRC check MODULE --path DIR
    python tests/hostile/driver.py REPORT.json -- --source-root SRC grade-reference MODULE

This is exactly `python -m autograder` (same argument parsing, same check_command, same
feedback pages and terminal report); the only addition is that the GradeReport that
check_command (or grade-reference) receives is also written to REPORT.json, so the corpus can
read scores and flags
without parsing the terminal table. Every public attribute and property of the report, its
notebooks and its cells is kept, so fields the grader adds later (flags, sandbox notes) come
along without changes here.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from pathlib import Path
from typing import Any


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-friendly copy of a report object: dataclass fields plus public properties."""
    if depth > 8:
        return repr(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, depth + 1) for v in value]
    if dataclasses.is_dataclass(value) or hasattr(value, "__dict__"):
        out: dict[str, Any] = {}
        names = []
        if dataclasses.is_dataclass(value):
            names += [f.name for f in dataclasses.fields(value)]
        if hasattr(value, "__dict__"):
            names += [n for n in vars(value) if not n.startswith("_")]
        names += [
            n for n in dir(type(value))
            if not n.startswith("_") and isinstance(getattr(type(value), n, None), property)
        ]
        for name in dict.fromkeys(names):
            try:
                out[name] = plain(getattr(value, name), depth + 1)
            except Exception as exc:  # a property that fails is itself worth seeing
                out[name] = f"<error {exc!r}>"
        out["__type__"] = type(value).__name__
        return out
    return repr(value)


def main() -> int:
    report_path = Path(sys.argv[1])
    argv = sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    import autograder.__main__ as cli

    def keeping(original: Any) -> Any:
        def grade_and_keep(*args: Any, **kwargs: Any) -> Any:
            report = original(*args, **kwargs)
            try:
                report_path.write_text(json.dumps(plain(report), indent=1))
            except Exception as exc:  # the corpus reports a missing report; say why here
                print(f"driver: could not save the report: {exc!r}", file=sys.stderr)
            return report

        return grade_and_keep

    cli.grade_submission = keeping(cli.grade_submission)
    cli.grade_reference = keeping(cli.grade_reference)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
