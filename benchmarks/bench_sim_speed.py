"""In-process Client throughput on short inputs (sim-small), this tree against an older commit.

Issue 7's speed bar: the in-process `course.llm.Client` with model sim-small stays at or above
1,000 calls/s on short inputs. This script measures calls/s for the current tree and, in the same
run, for a baseline commit checked out into a git worktree (default fd13c49, the commit before
the simulator's reorganisation into skills/ and reading/), each in a child process whose
PYTHONPATH puts that tree's `course` first. Rounds alternate between the trees so machine load
hits both alike; the report gives each tree's median and the ratio current / baseline.

The inputs are short (one line of data) and mostly distinct: 8 prompt frames (classification in
several layouts, extraction to JSON, a summary, a plain question) around 60 different inputs, so
the per-input evidence caches do not make every call free; the frames repeat, as a notebook's do.
Cache off, tracing on (to a scratch SQLite file), temperature 0.

Usage:  .venv/bin/python benchmarks/bench_sim_speed.py [--baseline REF] [--calls 2000]
                                                     [--rounds 3] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = "fd13c49"
BAR = 1000.0

FRAMES = [
    "Classify this message. Labels: billing, bug, account, other.\nMessage: {x}",
    "Sentiment of the review: positive, negative or neutral?\nReview: {x}",
    "Route the note to a team.\n- shipping: parcels, couriers\n- refunds: money back\n"
    '- tech: devices that fail\nReply with the team only.\n"""{x}"""',
    "Answer with one of: urgent, routine.\nTicket: {x}",
    "Extract the order id and email as JSON. Note: {x} (order A-17{n} for jo{n}@example.com)",
    "Summarise in one line: {x}",
    "Which is it: praise, complaint or question? Text: {x}",
    "{x}",
]
SUBJECTS = ["the kettle", "my parcel", "the invoice", "the app", "a refund", "the screen"]
STATES = [
    "arrived broken",
    "never came",
    "was charged twice",
    "crashes on start",
    "is great, thanks",
    "needs a new password",
    "is late again",
    "works fine now",
    "shows the wrong total",
    "cannot be opened",
]


def inputs() -> list[str]:
    """Short inputs: 6 subjects x 10 states, one line each."""
    return [f"{s.capitalize()} {t}." for s in SUBJECTS for t in STATES]


def child(calls: int) -> float:
    """Inside one tree: calls/s of `calls` short Client calls after a warm-up."""
    from course.llm import Client
    from course.tracing import TraceStore

    scratch = Path(tempfile.mkdtemp())
    os.environ["COURSE_HOME"] = str(scratch / "home")
    client = Client("sim", "sim-small", cache=False, traces=TraceStore(scratch / "t.sqlite"))
    items = inputs()
    prompts = [frame.format(x=x, n=i % 90 + 10) for i, x in enumerate(items) for frame in FRAMES]
    for frame in FRAMES:  # warm-up: imports, model load, label-set profiles
        client.complete(frame.format(x=items[0], n=10))
    start = time.perf_counter()
    for i in range(calls):
        client.complete(prompts[(i * 7) % len(prompts)])
    return calls / (time.perf_counter() - start)


def _run(tree: Path, calls: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); "
        f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
        f"import bench_sim_speed as b; print(b.child({calls}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def _worktree(ref: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"bench_sim_speed_{ref}"
    if not (path / "course").exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref],
            check=True,
            capture_output=True,
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    trees = {"current": ROOT}
    if not args.no_baseline:
        trees[f"baseline {args.baseline}"] = _worktree(args.baseline)
    figures: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            figures[name].append(_run(tree, args.calls))
    result = {name: statistics.median(values) for name, values in figures.items()}
    for name, values in figures.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"{name:<22} {result[name]:8,.0f} calls/s (median of {len(values)}: {runs})")
    current = result["current"]
    print(f"bar >= {BAR:,.0f} calls/s: {'ok' if current >= BAR else 'FAIL'}")
    if len(result) > 1:
        base = result[f"baseline {args.baseline}"]
        print(f"ratio current / baseline: {current / base:.2f}")
    print(json.dumps({k: round(v, 1) for k, v in result.items()}))


if __name__ == "__main__":
    main()
