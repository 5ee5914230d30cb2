"""This tree against an older commit, in one run: client throughput and the whole course headless.

A change to the simulator (reading meaning with an embedding model, say) must not make the course
slower to use. This script checks out the baseline commit into a temporary git worktree, then
runs the same measurements in a child process for each tree (PYTHONPATH puts that tree's
`course` first, and notebook kernels inherit it), interleaved, and prints ratios new / baseline:

  * in-process Client calls/s on short prompts (classification, extraction, summary; cache off,
    tracing on), with the absolute figure against the 1,000 calls/s floor;
  * seconds to run every source notebook headless on the simulator (papermill, as
    `python -m course run` does).

Usage:  .venv/bin/python benchmarks/bench_vs_baseline.py [--baseline REF] [--calls 3000]
                                                     [--rounds 1] [--skip-notebooks]
The default baseline is the last commit before the simulator read meaning (d85df16).
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
DEFAULT_BASELINE = "d85df16"
SHORT_PROMPTS = [
    "Classify this message. Labels: billing, bug, account, other.\nMessage: charged twice?",
    "Extract the order id and email as JSON. Note: order A-1742 for jo@example.com is late.",
    "Summarise in one line: the export button crashes the app on Safari since yesterday.",
    "Which of these is it: praise, complaint or question? Text: where do I find my invoices",
]


def child(calls: int, notebooks: bool) -> dict[str, float]:
    """Run inside one tree: measure and return the figures (printed as JSON by main)."""
    import course
    from course.llm import Client
    from course.tracing import TraceStore

    scratch = Path(tempfile.mkdtemp())
    os.environ["COURSE_HOME"] = str(scratch / "home")
    client = Client("sim", "sim-small", cache=False, traces=TraceStore(scratch / "t.sqlite"))
    for i in range(50):  # warm-up: imports, model load, caches of the label profiles
        client.complete(SHORT_PROMPTS[i % len(SHORT_PROMPTS)])
    started = time.perf_counter()
    for i in range(calls):
        client.complete(f"{SHORT_PROMPTS[i % len(SHORT_PROMPTS)]} (ref {i})")
    figures = {"calls_per_s": calls / (time.perf_counter() - started)}
    if notebooks:
        from autograder.paths import source_notebooks
        from course.notebooks import run_notebook

        total = 0.0
        for path in source_notebooks():
            result = run_notebook(path, {"provider": "sim", "seed": 0}, scratch / "runs")
            if not result.ok:
                raise SystemExit(f"{path.name} failed: {result.error or result.stderr_cells}")
            total += result.seconds
        figures["notebooks_s"] = total
    figures["course_file"] = course.__file__  # proves which tree was measured
    return figures


def run_child(tree: Path, calls: int, notebooks: bool) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    flags = ["--child", "--calls", str(calls)] + ([] if notebooks else ["--skip-notebooks"])
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *flags],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child in {tree} failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if not figures["course_file"].startswith(str(tree)):
        raise SystemExit(f"child in {tree} imported {figures['course_file']}: PYTHONPATH ignored")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.calls, not args.skip_notebooks)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base_tree), args.baseline],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        try:
            results: dict[str, list[dict]] = {"baseline": [], "current": []}
            for _ in range(args.rounds):  # interleaved, so machine load hits both alike
                for name, tree in (("baseline", base_tree), ("current", ROOT)):
                    results[name].append(run_child(tree, args.calls, not args.skip_notebooks))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False
            )
    keys = ["calls_per_s"] + ([] if args.skip_notebooks else ["notebooks_s"])
    medians = {
        name: {key: statistics.median(r[key] for r in runs) for key in keys}
        for name, runs in results.items()
    }
    print(f"baseline {args.baseline} vs this tree, median of {args.rounds} round(s)")
    for key in keys:
        old, new = medians["baseline"][key], medians["current"][key]
        print(f"  {key:<12} baseline {old:>9.1f}   current {new:>9.1f}   ratio x{new / old:.3f}")
    calls = medians["current"]["calls_per_s"]
    print(f"  in-process Client floor 1,000 calls/s: {'met' if calls >= 1000 else 'MISSED'}")
    if not args.skip_notebooks:
        ratio = medians["current"]["notebooks_s"] / medians["baseline"]["notebooks_s"]
        print(f"  whole course headless at most 20% slower: {'met' if ratio <= 1.2 else 'MISSED'}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "vs_baseline.json").write_text(json.dumps(medians, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
