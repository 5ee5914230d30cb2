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
Temperature 0. Client configurations (`--configs`, any of):
  traces   cache off, tracing on (to a scratch SQLite file): the bar's measurement (default);
  bare     cache off, tracing off: the client and the simulator alone;
  default  the Client as a learner makes it, `Client("sim", model)`: response cache and trace
           store both on (in a scratch COURSE_HOME), so a repeated prompt is a cache hit.
`--fresh` makes every call's prompt unique (the input gets a reference number), so no cache of
any kind can serve it: the cost of a first sight. `--models` takes sim-small and/or sim-large.

Usage:  .venv/bin/python benchmarks/bench_sim_speed.py [--baseline REF] [--calls 2000]
            [--rounds 3] [--no-baseline] [--models sim-small,sim-large]
            [--configs traces,bare,default] [--fresh]
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


CONFIGS = ("traces", "bare", "default")


def child(
    calls: int, model: str = "sim-small", config: str = "traces", fresh: bool = False
) -> tuple[float, float]:
    """Inside one tree: calls per second of `calls` short Client calls after a warm-up, by the
    wall clock (the bar) and by this process's CPU time (what other load on the machine does
    not change much)."""
    from course.llm import Client
    from course.tracing import TraceStore

    scratch = Path(tempfile.mkdtemp())
    os.environ["COURSE_HOME"] = str(scratch / "home")
    if config == "traces":
        client = Client("sim", model, cache=False, traces=TraceStore(scratch / "t.sqlite"))
    elif config == "bare":
        client = Client("sim", model, cache=False, traces=False)
    else:
        client = Client("sim", model)
    items = inputs()
    if fresh:  # every call its own input: no cache (the client's or the simulator's) serves it
        prompts = [
            FRAMES[i % len(FRAMES)].format(x=f"{items[i % len(items)]} Ref {i}.", n=i % 90 + 10)
            for i in range(calls)
        ]
    else:
        numbered = enumerate(items)
        prompts = [frame.format(x=x, n=i % 90 + 10) for i, x in numbered for frame in FRAMES]
    for frame in FRAMES:  # warm-up: imports, model load, label-set profiles
        client.complete(frame.format(x=items[0], n=10))
    order = range(calls) if fresh else [(i * 7) % len(prompts) for i in range(calls)]
    start, cpu = time.perf_counter(), time.process_time()
    for i in order:
        client.complete(prompts[i])
    return calls / (time.perf_counter() - start), calls / (time.process_time() - cpu)


def _run(tree: Path, calls: int, model: str, config: str, fresh: bool) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); "
        f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
        f"import bench_sim_speed as b; print(*b.child({calls}, {model!r}, {config!r}, {fresh!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"{tree} ({model}, {config}) failed:\n{out.stderr[-3000:]}")
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


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
    parser.add_argument("--models", default="sim-small", help="comma-separated sim models")
    parser.add_argument("--configs", default="traces", help=f"comma-separated: {CONFIGS}")
    parser.add_argument("--fresh", action="store_true", help="every call a prompt never seen")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown config(s) {unknown}; choose from {CONFIGS}")
    trees = {"current": ROOT}
    baseline = f"baseline {args.baseline}"
    if not args.no_baseline:
        trees[baseline] = _worktree(args.baseline)
    cases = [(model, config) for model in models for config in configs]
    figures: dict[tuple, list[float]] = {(m, c, t): [] for m, c in cases for t in trees}
    cpu_figures: dict[tuple, list[float]] = {key: [] for key in figures}
    for _ in range(args.rounds):
        for model, config in cases:
            for name, tree in trees.items():
                rate, cpu_rate = _run(tree, args.calls, model, config, args.fresh)
                figures[(model, config, name)].append(rate)
                cpu_figures[(model, config, name)].append(cpu_rate)
    result = {key: statistics.median(values) for key, values in figures.items()}
    cpu_result = {key: statistics.median(values) for key, values in cpu_figures.items()}
    summary = {}
    for model, config in cases:
        print(f"{model}, {config}{' (fresh prompts)' if args.fresh else ''}:")
        for name in trees:
            values = figures[(model, config, name)]
            runs = ", ".join(f"{v:,.0f}" for v in values)
            rate = result[(model, config, name)]
            cpu_rate = cpu_result[(model, config, name)]
            print(
                f"  {name:<22} {rate:8,.0f} calls/s (median of {len(values)}: {runs}); "
                f"per CPU second {cpu_rate:,.0f}"
            )
            summary[f"{model}/{config}/{name}"] = round(rate, 1)
            summary[f"{model}/{config}/{name}/cpu"] = round(cpu_rate, 1)
        current = result[(model, config, "current")]
        line = f"  bar >= {BAR:,.0f} calls/s: {'ok' if current >= BAR else 'FAIL'}"
        if baseline in trees:
            ratio = current / result[(model, config, baseline)]
            cpu_ratio = (
                cpu_result[(model, config, "current")] / cpu_result[(model, config, baseline)]
            )
            line += f"; ratio current / baseline: {ratio:.2f} (CPU time: {cpu_ratio:.2f})"
        print(line)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
