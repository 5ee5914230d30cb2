"""Agent steps per second: in-process simulator vs the openai provider over HTTP, 1 vs N threads.

The same trials (course.agents.trials.run_trials: the shop tasks, the course Agent, T = 0.7) run
in four configurations, interleaved round by round so load from other processes hits all of them
alike:

- in-process: Client("sim", model), the simulator called directly;
- HTTP: Client("openai", model) with COURSE_BASE_URL pointing at course.sim.server on 127.0.0.1
  (the official openai SDK, JSON over a socket, the server in a thread of this process);
- each with workers=1 and workers=N (run_trials' thread pool).

A step is one model turn (one chat completion). Every configuration gets a fresh client and, over
HTTP, a fresh server, so each answers the same requests for the first time; one untimed warm-up
run per configuration comes first (imports, the simulator's embeddings). Reported: steps per
second by wall clock and per CPU second of this process (server included), medians over rounds,
as ratios to in-process with one worker; and the share of runs whose verdict over HTTP matches
the in-process one (the same simulator behind a different transport).

Usage:  .venv/bin/python benchmarks/bench_agents_speed.py [--tasks 12] [--trials 2] [--rounds 3]
        [--workers 4] [--model sim-small]
Writes benchmarks/results/agents_speed.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.agents.shop import POLICY, generate_tasks  # noqa: E402
from course.agents.trials import run_trials  # noqa: E402
from course.llm import Client  # noqa: E402
from course.sim.server import serve_in_thread  # noqa: E402


@contextlib.contextmanager
def client_for(transport: str, model: str):
    """A fresh client; over HTTP, also a fresh server for it."""
    if transport == "in-process":
        yield Client("sim", model, traces=False, cache=False)
        return
    with serve_in_thread() as server:
        os.environ["COURSE_BASE_URL"] = server.base_url
        try:
            yield Client("openai", model, traces=False, cache=False)
        finally:
            os.environ.pop("COURSE_BASE_URL", None)


def measure(transport: str, workers: int, task_set, args, seed: int):
    with client_for(transport, args.model) as client:
        wall, cpu = time.perf_counter(), time.process_time()
        trials = run_trials(
            client,
            task_set,
            n_trials=args.trials,
            seed=seed,
            temperature=0.7,
            workers=workers,
            system=POLICY,
            feature="bench-agents-speed",
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    steps = int(trials["model_turns"].sum())
    return {"steps": steps, "wall_s": wall, "cpu_s": cpu, "solved": trials["solved"].tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=12)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--model", default="sim-small")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    configs = [(t, w) for t in ("in-process", "HTTP") for w in (1, args.workers)]
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    task_set = generate_tasks(args.seed, args.tasks)
    results: dict[str, list[dict]] = {f"{t}, {w} worker(s)": [] for t, w in configs}
    for transport, workers in configs:  # warm-up, not counted: imports, embeddings, sockets
        measure(transport, workers, generate_tasks(args.seed + 10_000, 2), args, seed=10_000)
    for round_ in range(args.rounds):
        for transport, workers in configs:
            results[f"{transport}, {workers} worker(s)"].append(
                measure(transport, workers, task_set, args, seed=args.seed + round_)
            )
    load_after = Path("/proc/loadavg").read_text().split()[:3]

    def rate(runs: list[dict], clock: str) -> float:
        return statistics.median(r["steps"] / r[clock] for r in runs)

    base = results["in-process, 1 worker(s)"]
    base_wall, base_cpu = rate(base, "wall_s"), rate(base, "cpu_s")
    runs_per_config = args.tasks * args.trials
    print(
        f"{args.model}, {args.tasks} tasks x {args.trials} trials = {runs_per_config} runs per "
        f"configuration per round, {args.rounds} rounds interleaved; load average before "
        f"{' '.join(load_before)}, after {' '.join(load_after)}\n"
    )
    print(
        "| configuration | steps | steps/s (wall) | ratio | steps per CPU s | ratio | "
        "verdicts equal to in-process |"
    )
    print("|---|---|---|---|---|---|---|")
    table = {}
    for label, runs in results.items():
        same = [
            sum(a == b for a, b in zip(r["solved"], b_["solved"], strict=True)) / len(r["solved"])
            for r, b_ in zip(runs, base, strict=True)
        ]
        row = {
            "steps": statistics.median(r["steps"] for r in runs),
            "steps_per_s": rate(runs, "wall_s"),
            "ratio_wall": rate(runs, "wall_s") / base_wall,
            "steps_per_cpu_s": rate(runs, "cpu_s"),
            "ratio_cpu": rate(runs, "cpu_s") / base_cpu,
            "same_verdicts": statistics.mean(same),
        }
        table[label] = row
        print(
            f"| {label} | {row['steps']:.0f} | {row['steps_per_s']:.1f} | "
            f"{row['ratio_wall']:.2f} | {row['steps_per_cpu_s']:.1f} | {row['ratio_cpu']:.2f} | "
            f"{row['same_verdicts']:.0%} |"
        )
    http = table["HTTP, 1 worker(s)"]["ratio_wall"]
    threads = table[f"in-process, {args.workers} worker(s)"]["ratio_wall"]
    print(
        f"\nHTTP costs {1 / http:.2f}x the wall time per step of in-process; "
        f"{args.workers} threads in-process give {threads:.2f}x the steps/s of one."
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "agents_speed.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "load_before": load_before,
                "load_after": load_after,
                "table": table,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
