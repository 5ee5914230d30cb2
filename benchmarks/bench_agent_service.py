"""The agent service's throughput under the replay, against the same sessions run in-process.

Four ways to run the same seeded sessions, interleaved round by round so machine load hits
them alike:

- ``in-process``: ``run_task`` in a loop, the baseline (notebook 02's way);
- ``service.handle``: the service's own code path without HTTP (flag lookup, shop copies,
  judging, the request log, metrics);
- ``HTTP c=1`` / ``HTTP c=N``: the replay over HTTP to uvicorn on 127.0.0.1, one session in
  flight, then N.

Sessions per second by wall clock and per CPU second of this process (server threads included),
as ratios to the baseline. The agent is Python bound by the GIL, so more sessions in flight
cannot beat one core; on a loaded machine, though, more threads win more CPU from other
processes, and the wall-clock column then measures the scheduler: read the per-CPU-second one.
Verdicts must agree across the four (the simulator is deterministic
at temperature 0), or the run fails: a faster service that answers differently is not faster.

Usage:  .venv/bin/python benchmarks/bench_agent_service.py [--sessions 120] [--rounds 2]
        [--concurrency 4] [--seed 0]
Writes benchmarks/results/agent_service.json.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.agents.replay import draw_sessions, replay  # noqa: E402
from course.agents.service import (  # noqa: E402
    AgentService,
    AgentVersion,
    SessionRequest,
    create_app,
    serve,
)
from course.agents.shop import generate_tasks, run_task  # noqa: E402
from course.llm import Client  # noqa: E402
from course.tracing import TraceStore  # noqa: E402


def timed(run) -> tuple[float, float, list[bool]]:
    wall, cpu = time.perf_counter(), time.process_time()
    verdicts = run()
    return time.perf_counter() - wall, time.process_time() - cpu, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-agent-service-"))
    os.environ["COURSE_HOME"] = str(scratch)
    task_set = generate_tasks(args.seed, args.sessions)
    sessions = draw_sessions(task_set, seed=args.seed)
    tasks = {t.id: t for t in task_set.tasks}
    store = TraceStore(scratch / "traces.sqlite")
    service = AgentService(
        task_set,
        {"v1": AgentVersion("v1")},
        flags_path=scratch / "f.sqlite",
        traces=store,
        provider="sim",
        seed=args.seed,
        feature="bench",
    )
    client = Client("sim", seed=args.seed, cache=False, traces=store, feature="bench")
    # Warm up, untimed: the simulator loads its model on first use and memoises what it reads
    # in a prompt, so whichever way ran first would pay for every later one.
    for session in sessions:
        run_task(client, task_set, tasks[session.task_id], seed=args.seed)

    def in_process() -> list[bool]:
        return [
            run_task(client, task_set, tasks[s.task_id], seed=args.seed)[1].success
            for s in sessions
        ]

    def handled(tag: str) -> list[bool]:
        service.run_id = tag
        for s in sessions:
            service.handle(SessionRequest(**s.body()))
        return _verdicts(store, tag, sessions)

    def over_http(url: str, concurrency: int, tag: str) -> list[bool]:
        service.run_id = tag
        seen = replay(url, sessions, concurrency=concurrency)
        if not (seen["http_status"] == 200).all():
            raise SystemExit(f"non-200 answers under the replay: {seen['http_status'].tolist()}")
        return _verdicts(store, tag, sessions)

    names = ("in-process", "service.handle", "HTTP c=1", f"HTTP c={args.concurrency}")
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    loads = []
    with serve(create_app(service), log_file=scratch / "service.log") as running:
        for number in range(args.rounds):
            runs = {
                "in-process": in_process,
                "service.handle": lambda n=number: handled(f"handle-{n}"),
                "HTTP c=1": lambda n=number: over_http(running.url, 1, f"c1-{n}"),
                f"HTTP c={args.concurrency}": lambda n=number: over_http(
                    running.url, args.concurrency, f"cN-{n}"
                ),
            }
            verdicts = {}
            for name, run in runs.items():
                seconds, cpu_seconds, verdicts[name] = timed(run)
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
            if len({tuple(v) for v in verdicts.values()}) != 1:
                raise SystemExit(f"the verdicts differ between ways of running: {verdicts}")
            loads.append(os.getloadavg()[0])

    n = len(sessions)
    base_wall = statistics.median(wall["in-process"])
    base_cpu = statistics.median(cpu["in-process"])
    rows = {}
    print(
        f"{n} sessions x {args.rounds} rounds, load average {statistics.mean(loads):.2f} "
        f"(1-min, after each round: {', '.join(f'{x:.2f}' for x in loads)})"
    )
    print(f"{'way':<18}{'sessions/s':>12}{'ratio':>8}{'per CPU s':>12}{'ratio':>8}")
    for name in names:
        rate = n / statistics.median(wall[name])
        cpu_rate = n / statistics.median(cpu[name])
        rows[name] = {
            "sessions_per_s": rate,
            "ratio_to_in_process": base_wall / statistics.median(wall[name]),
            "sessions_per_cpu_s": cpu_rate,
            "cpu_ratio_to_in_process": base_cpu / statistics.median(cpu[name]),
        }
        print(
            f"{name:<18}{rate:>12.1f}{rows[name]['ratio_to_in_process']:>8.2f}"
            f"{cpu_rate:>12.1f}{rows[name]['cpu_ratio_to_in_process']:>8.2f}"
        )
    out = ROOT / "benchmarks" / "results" / "agent_service.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"sessions": n, "rounds": args.rounds, "load": loads, "results": rows}, indent=2)
    )
    print(f"written to {out}")


def _verdicts(store: TraceStore, run_id: str, sessions) -> list[bool]:
    log = store.requests(run_id=run_id).set_index("session_id")
    return [bool(log.loc[s.session_id, "success"]) for s in sessions]


if __name__ == "__main__":
    main()
