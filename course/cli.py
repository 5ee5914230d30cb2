"""Command line: `course run` executes notebooks headless; `course traces` summarises calls.

    course run [PATH ...] [-p NAME VALUE]... [--provider P] [--model M] [--seed N]
               [--sample-size N] [--source | --release] [--out DIR] [--timeout S]
    course traces [--by feature|model|run_id] [--run RUN_ID] [--feature F]

PATH may be a notebook or a folder of notebooks; with none, every instructor notebook
(--source, the default) or every student notebook (--release) runs. Exit status is non-zero
when any notebook raised or wrote to stderr. The whole tour with self-grading is
`python -m autograder demo` (`make demo`): grading belongs to the autograder, which uses
this library, never the other way round.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from course.notebooks import RunResult, course_notebooks, run_notebooks, runs_dir


def parse_value(text: str) -> Any:
    """Read a -p value the way papermill's own command line does: int, float, bool, None, str."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def collect_notebooks(paths: Sequence[str], *, release: bool = False) -> list[Path]:
    """Expand folders into their notebooks; with no paths, the source or release notebooks."""
    if not paths:
        return course_notebooks(release=release)
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.ipynb") if not p.name.startswith(".")))
        else:
            found.append(path)
    return found


def build_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The named options first, then -p pairs, which win."""
    named = {
        "provider": args.provider,
        "model": args.model,
        "seed": args.seed,
        "sample_size": args.sample_size,
    }
    parameters = {name: value for name, value in named.items() if value is not None}
    parameters.update({name: parse_value(value) for name, value in args.parameter or []})
    return parameters


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_results(results: Sequence[RunResult]) -> None:
    """A table: notebook, seconds, status; failures name the cell."""
    width = max([len("notebook"), *(len(_display(r.path)) for r in results)])
    print(f"{'notebook':<{width}}  {'seconds':>7}  status")
    for result in results:
        status = "ok" if result.ok else "FAILED"
        print(f"{_display(result.path):<{width}}  {result.seconds:7.1f}  {status}")
        if result.error:
            print(f"{'':<{width}}           error: {result.error}")
        for cell in result.stderr_cells:
            print(f"{'':<{width}}           stderr: {cell}")
        if result.ignored_parameters:
            names = ", ".join(result.ignored_parameters)
            print(f"{'':<{width}}           not a parameter of this notebook: {names}")


def run_command(args: argparse.Namespace) -> int:
    notebooks = collect_notebooks(args.paths, release=args.release)
    missing = [path for path in notebooks if not path.is_file()]
    if missing:
        print(f"No such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    if not notebooks:
        print("No notebooks to run.")
        return 0
    parameters = build_parameters(args)
    out_dir = Path(args.out) if args.out else None
    results = run_notebooks(
        notebooks, parameters, out_dir, timeout_s=args.timeout, jobs=getattr(args, "jobs", None)
    )
    print_results(results)
    print(f"Executed notebooks are in {Path(args.out) if args.out else runs_dir()}")
    return 0 if all(result.ok for result in results) else 1


def traces_command(args: argparse.Namespace) -> int:
    """The on-call questions, answered from the trace store: calls, spend, p95, error rate."""
    import pandas as pd

    from course.config import state_dir
    from course.tracing import TraceStore, summarize

    path = state_dir() / "traces.sqlite"
    if not path.exists():
        print(f"No trace store at {path} yet: run a notebook first.", file=sys.stderr)
        return 2
    attempts = TraceStore(path).calls(run_id=args.run, feature=args.feature)
    if attempts.empty:
        print("No calls match.", file=sys.stderr)
        return 1
    table = summarize(attempts, by=args.by)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(
            table.round(
                {
                    "error_rate": 3,
                    "cost_usd": 6,
                    "cost_per_1k_calls_usd": 4,
                    "p50_latency_s": 3,
                    "p95_latency_s": 3,
                }
            )
        )
    calls, spent = int(table["calls"].sum()), float(table["cost_usd"].sum())
    print(f"\n{calls} calls, ${spent:.6f} in all, from {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run notebooks headless with papermill")
    run.add_argument("paths", nargs="*", metavar="PATH", help="notebooks or folders")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter to inject (repeatable)",
    )
    run.add_argument("--provider", help="sim, openai or anthropic")
    run.add_argument("--model", help="a model id from course/models.toml")
    run.add_argument("--seed", type=int)
    run.add_argument("--sample-size", type=int, dest="sample_size")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--source", action="store_true", help="instructor notebooks (default)")
    which.add_argument("--release", action="store_true", help="student notebooks")
    run.add_argument("--out", help="folder for executed notebooks (default $COURSE_HOME/runs)")
    run.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    run.add_argument(
        "--jobs", "-j", type=int, default=None, help="notebooks at a time (default: one per core)"
    )
    run.set_defaults(handler=run_command)

    traces = commands.add_parser("traces", help="summarise the trace store by feature or model")
    traces.add_argument("--by", default="feature", choices=["feature", "model", "run_id"])
    traces.add_argument("--run", help="only this run id")
    traces.add_argument("--feature", help="only this feature tag")
    traces.set_defaults(handler=traces_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `course` script and `python -m course`."""
    args = build_parser().parse_args(argv)
    return args.handler(args)
