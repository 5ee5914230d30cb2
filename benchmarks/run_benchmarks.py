"""Rerunnable benchmarks: simulator throughput and headless notebook run time.

Every figure is reported next to a baseline measured in the same run, as a ratio, because
absolute numbers depend on the machine:
  * simulator calls/s: baseline = the bare Simulator.complete() in-process; compared with the
    full course Client (cache off, tracing on), and with the openai provider over HTTP.
  * notebook seconds: baseline = an empty notebook run through the same papermill path (kernel
    start-up and shutdown), so the ratio shows what the notebook itself costs.

Usage:  .venv/bin/python benchmarks/run_benchmarks.py [--calls 2000] [--http-calls 500]
Writes benchmarks/results/latest.json as well as printing the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    "Classify this ticket. Labels: billing, bug, account, other.\nTicket: charged twice, refund?",
    "Extract the order id and email as JSON. Ticket: order A-1742 for jo@example.com is late.",
    "Summarise in one line: the export button crashes the app on Safari since yesterday.",
]


def rate(calls: int, fn) -> float:
    started = time.perf_counter()
    for i in range(calls):
        fn(i)
    return calls / (time.perf_counter() - started)


def bench_simulator(calls: int, http_calls: int, scratch: Path) -> dict[str, float]:
    from course.llm import Client
    from course.sim import SimRequest, Simulator
    from course.sim.server import serve_in_thread
    from course.tracing import TraceStore

    def request(i: int) -> SimRequest:
        text = f"{PROMPTS[i % len(PROMPTS)]} (ref {i})"
        return SimRequest(model="sim-small", messages=[{"role": "user", "content": text}])

    simulator = Simulator()
    bare = rate(calls, lambda i: simulator.complete(request(i)))

    store = TraceStore(scratch / "bench-traces.sqlite")
    client = Client("sim", "sim-small", cache=False, traces=store)
    in_process = rate(calls, lambda i: client.complete(f"{PROMPTS[i % 3]} (ref {i})"))

    with serve_in_thread() as server:
        os.environ["COURSE_BASE_URL"] = server.base_url
        http = Client("openai", "sim-small", cache=False, traces=store)
        over_http = rate(http_calls, lambda i: http.complete(f"{PROMPTS[i % 3]} (ref {i})"))
        os.environ.pop("COURSE_BASE_URL")
    return {
        "simulator_bare_calls_per_s": bare,
        "client_in_process_calls_per_s": in_process,
        "client_over_http_calls_per_s": over_http,
    }


def bench_notebooks(repeats: int, scratch: Path) -> dict[str, dict[str, float]]:
    from autograder.paths import source_notebooks
    from course.notebooks import run_notebook

    empty = scratch / "empty.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("pass")]), empty)
    targets = [empty, *source_notebooks()]
    timings: dict[str, dict[str, float]] = {}
    for path in targets:
        seconds = []
        for _ in range(repeats):
            result = run_notebook(path, {"provider": "sim", "seed": 0}, scratch / "runs")
            if not result.ok:
                sys.exit(f"{path.name} failed: {result.error or result.stderr_cells}")
            seconds.append(result.seconds)
        timings[path.name] = {"median_s": statistics.median(seconds)}
    baseline = timings[empty.name]["median_s"]
    for entry in timings.values():
        entry["ratio_to_empty"] = entry["median_s"] / baseline
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--http-calls", type=int, default=500)
    parser.add_argument("--notebook-repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        os.environ["COURSE_HOME"] = str(scratch / "home")
        sim = bench_simulator(args.calls, args.http_calls, scratch)
        notebooks = bench_notebooks(args.notebook_repeats, scratch)

    base = sim["simulator_bare_calls_per_s"]
    print("Simulator throughput (calls/s; ratio to the bare in-process simulator)")
    for name, value in sim.items():
        print(f"  {name:<34} {value:>9.0f}   x{value / base:.3f}")
    print("Headless notebook runs (median seconds; ratio to an empty notebook)")
    for name, entry in notebooks.items():
        print(f"  {name:<42} {entry['median_s']:>6.2f} s   x{entry['ratio_to_empty']:.2f}")

    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps({"simulator": sim, "notebooks": notebooks}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
