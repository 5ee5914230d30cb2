"""The cohort report: one self-contained HTML page with plots, for the instructor.

What an instructor needs after a grading run, in order: what went wrong with the export, the
score distribution, which clauses the cohort fails, the most common failure messages, which
submissions were flagged for tampering (with the grader's evidence), which written answers
wait for a person, and how long grading took per learner. Every text that came from a learner
or from the grader is HTML-escaped; hidden test sources are never in a result, only the
exception type and message a failing test raised (which feedback shows learners too).
"""

from __future__ import annotations

import base64
import html
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.cohort.intake import Issue
from autograder.cohort.worker import flags_of


@dataclass
class LearnerRow:
    """One learner as the report shows them."""

    learner_id: str
    source: str
    late: bool
    result: dict[str, Any] | None  # None: not graded (a failure)
    score: float | None  # from the gradebook
    max_score: float | None
    graded_now: bool
    pending: list[tuple[str, str, float]] | None = None  # from the gradebook, when known


@dataclass
class RunInfo:
    """Figures about the run itself."""

    module: str
    export: str
    backend: str
    workers: int
    wall_s: float
    gradebook: str
    graded_now: int
    skipped: int
    recorded_only: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    missing_from_export: list[str] = field(default_factory=list)


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


_NUMBERS = re.compile(r"\b\d+(\.\d+)?\b")


def _normalise(message: str) -> str:
    """Group failure messages that differ only by numbers (``got 3`` / ``got 4``)."""
    return _NUMBERS.sub("N", message)[:200]


def clause_stats(rows: list[LearnerRow]) -> dict[str, tuple[int, int]]:
    """notebook:grade_id -> (passed, graded) over learners with a result (autograded cells)."""
    stats: dict[str, list[int]] = {}
    for row in rows:
        for nb in (row.result or {}).get("notebooks", []):
            for cell in nb.get("cells", []):
                if not cell.get("autograded"):
                    continue
                key = f"{nb['name']}:{cell['grade_id']}"
                entry = stats.setdefault(key, [0, 0])
                entry[1] += 1
                entry[0] += int(cell["max_points"] > 0 and cell["points"] >= cell["max_points"])
    return {k: (v[0], v[1]) for k, v in stats.items()}


def build(rows: list[LearnerRow], issues: list[Issue], run: RunInfo) -> str:
    """The report page."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graded = [r for r in rows if r.result is not None]
    parts: list[str] = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Cohort report: {html.escape(run.module)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:left;vertical-align:top}th{background:#eee}"
        ".warn{color:#a40}</style></head><body>",
        f"<h1>Cohort report: {html.escape(run.module)}</h1>",
    ]
    scores = [r.score for r in graded if r.score is not None]
    maximum = max((r.max_score or 0.0 for r in graded), default=0.0)
    summary = [
        ["export", run.export],
        ["gradebook", run.gradebook],
        ["learners", len(rows)],
        ["graded in this run", run.graded_now],
        ["unchanged since an earlier run (not regraded)", run.skipped],
        ["graded earlier, written to the gradebook now", run.recorded_only],
        ["could not be graded", len(run.failed)],
        ["backend", f"{run.backend}, {run.workers} worker(s)"],
        ["wall time of this run", f"{run.wall_s:.1f} s"],
    ]
    if scores:
        summary += [
            ["mean score", f"{statistics.mean(scores):.2f} / {maximum:g}"],
            ["median score", f"{statistics.median(scores):.2f} / {maximum:g}"],
        ]
    sandboxes = Counter(
        str((r.result or {}).get("extras", {}).get("sandbox") or "not reported by the grader")
        for r in graded
    )
    summary += [[f"sandbox ({n} learners)", s] for s, n in sandboxes.items()]
    parts.append("<h2>Summary</h2>" + _table(["", ""], summary))
    if run.interrupted:
        parts.append(
            "<p class='warn'>This run was interrupted: run the same command again to finish; "
            "learners already graded are not graded again.</p>"
        )

    parts.append("<h2>Export and intake</h2>")
    parts.append(
        "<p>"
        + ", ".join(
            f"{html.escape(k)}: {v}" for k, v in sorted(Counter(r.source for r in rows).items())
        )
        + "</p>"
    )
    parts.append(
        _table(["kind", "where", "what happened"], [[i.kind, i.path, i.message] for i in issues])
    )
    if run.missing_from_export:
        parts.append(
            "<p>In the gradebook from an earlier run but not in this export (kept): "
            + html.escape(", ".join(run.missing_from_export))
            + "</p>"
        )
    if run.failed:
        parts.append("<h3>Could not be graded (retried on the next run)</h3>")
        parts.append(_table(["learner", "reason"], [list(f) for f in run.failed]))

    parts.append("<h2>Score distribution</h2>")
    if scores:
        fig, ax = plt.subplots(figsize=(7, 3))
        bins = min(20, max(4, int(maximum * 2) or 4))
        ax.hist(scores, bins=bins, range=(0, maximum or 1), color="#3a7", edgecolor="white")
        ax.set_xlabel(f"score (of {maximum:g}; written answers count once a person grades them)")
        ax.set_ylabel("learners")
        parts.append(_img(_png(fig), "score distribution"))
        plt.close(fig)

    stats = clause_stats(rows)
    parts.append("<h2>Pass rate per clause (autograded cells)</h2>")
    if stats:
        names = sorted(stats)
        rates = [stats[n][0] / stats[n][1] if stats[n][1] else 0.0 for n in names]
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
        ax.barh(names, rates, color="#37a")
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of learners with full points")
        ax.invert_yaxis()
        parts.append(_img(_png(fig), "pass rate per clause"))
        plt.close(fig)
        parts.append(
            _table(
                ["clause", "passed", "graded", "rate"],
                [
                    [n, stats[n][0], stats[n][1], f"{r:.0%}"]
                    for n, r in zip(names, rates, strict=True)
                ],
            )
        )

    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for row in graded:
        for nb in row.result.get("notebooks", []):
            messages = list(nb.get("errors", []))
            if nb.get("problem"):
                messages.append(f"{nb['name']}.ipynb {str(nb['problem']).split(',')[0]}")
            for message in messages:
                key = _normalise(f"{nb['name']}: {message}")
                failures[key] += 1
                examples.setdefault(key, row.learner_id)
    parts.append("<h2>Most common failure messages</h2>")
    parts.append(
        _table(
            ["learners", "message (numbers shown as N)", "e.g. learner"],
            [[n, k, examples[k]] for k, n in failures.most_common(15)],
        )
    )

    flagged = [
        [row.learner_id, flag["where"], flag["evidence"]]
        for row in graded
        for flag in flags_of(row.result)
    ]
    parts.append("<h2>Flagged submissions (a person must look)</h2>")
    parts.append(
        "<p>Flagged notebooks keep their honest points; their autograded cells are queued for "
        "manual review in formgrader.</p>" + _table(["learner", "where", "evidence"], flagged)
    )

    waiting = []
    for row in graded:
        if row.pending is not None:  # the gradebook: manual grades already entered drop out
            waiting += [
                [row.learner_id, f"{nb}.ipynb", cell, f"{points:g}"]
                for nb, cell, points in row.pending
            ]
        else:
            waiting += [
                [row.learner_id, f"{nb['name']}.ipynb", cell["grade_id"],
                 f"{cell['max_points']:g}"]
                for nb in row.result.get("notebooks", [])
                for cell in nb.get("cells", [])
                if cell.get("needs_manual_grade")
            ]  # fmt: skip
    parts.append(f"<h2>Written answers waiting for a person ({len(waiting)})</h2>")
    parts.append(
        "<p>Grade them in formgrader (see docs/COHORT.md); run the cohort command again "
        "afterwards to refresh grades.csv and the LMS upload.</p>"
        + _table(["learner", "notebook", "cell (test cells here were flagged)", "points"], waiting)
    )

    times = [
        (row.result.get("seconds") or 0.0, row.learner_id, row.result.get("host", ""))
        for row in graded
    ]
    parts.append("<h2>Grading time per learner</h2>")
    if times:
        values = [t for t, _, _ in times]
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.hist(values, bins=20, color="#a73", edgecolor="white")
        ax.set_xlabel("seconds to grade one learner (worker time, feedback included)")
        ax.set_ylabel("learners")
        parts.append(_img(_png(fig), "grading time per learner"))
        plt.close(fig)
        parts.append(
            f"<p>median {statistics.median(values):.2f} s, max {max(values):.2f} s, "
            f"total worker time {sum(values):.1f} s</p>"
        )
        parts.append("<h3>Slowest learners</h3>")
        parts.append(
            _table(
                ["learner", "seconds", "worker host"],
                [[lid, f"{t:.2f}", host] for t, lid, host in sorted(times, reverse=True)[:10]],
            )
        )

    parts.append("<h2>Every learner</h2>")
    table = []
    for row in sorted(rows, key=lambda r: r.learner_id):
        problems = []
        for nb in (row.result or {}).get("notebooks", []):
            if nb.get("problem"):
                problems.append(f"{nb['name']}.ipynb: {nb['problem']}")
            problems += [f"{nb['name']}.ipynb: {n}" for n in nb.get("notes", [])]
        if row.result and row.result.get("feedback_error"):
            problems.append(f"feedback pages missing: {row.result['feedback_error']}")
        table.append(
            [
                row.learner_id,
                row.source + (" (late)" if row.late else ""),
                "-" if row.score is None else f"{row.score:g} / {row.max_score or 0:g}",
                "now" if row.graded_now else "earlier",
                "; ".join(problems),
            ]
        )
    parts.append(_table(["learner", "from", "score", "graded", "problems"], table))
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: Path, rows: list[LearnerRow], issues: list[Issue], run: RunInfo) -> Path:
    """Write the report page."""
    path.write_text(build(rows, issues, run), encoding="utf-8")
    return path
