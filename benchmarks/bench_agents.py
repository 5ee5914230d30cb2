"""The support agent on the simulator: solve rate, policy violations and failure modes per lever.

Runs the shop tasks (course.agents.shop.generate_tasks) with the course Agent on sim-small and
sim-large under each lever of docs/SIMULATOR.md ("Agents: multi-step tool use") and prints the
table that section quotes, plus agent steps (model turns) per second in-process and, with
--http, through the openai provider against the sim server (course.sim.server) on 127.0.0.1.

Failure modes are counted from the simulator's own behaviour tags (a debugging aid: the
simulator says what it did wrong), per run: the share of runs in which the mode occurred.

Usage:  .venv/bin/python benchmarks/bench_agents.py [--seeds 404,505,606] [--n 60] [--http]
Writes benchmarks/results/agents.json as well as printing the tables.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.agents.shop import POLICY, generate_tasks, run_task  # noqa: E402
from course.llm import Client  # noqa: E402
from course.sim.skills import agent as sim_agent  # noqa: E402

TIERS = ("sim-small", "sim-large")
MODES = (
    "wrong_tool",
    "no_tool_fits",
    "wrong_argument",
    "hallucinated_argument",
    "skipped_check",
    "stopped_early",
    "looped",
    "error_retry",
    "error_give_up",
    "error_ignore",
    "claimed_action",
    "ignored_rule",
    "guessed_argument",
)

NO_POLICY = "You are a helpful customer support agent for an online shop. Use the tools."
# The same policy in other words: the simulator must read it by meaning, not by our wording.
PARAPHRASE = """\
You answer customers of our web shop. Today's date: 2026-11-20.
- Confirm who you are talking to with verify_identity first, before you look at or touch any
  order.
- Money back is possible for 30 days after the parcel was delivered, no later.
- Goods that never got delivered cannot be refunded; cancel the order instead while it is
  still processing.
- Refunds over 150 euros need a human colleague: escalate those.
- Only an order still processing may be cancelled.
- Only an order still processing may have its address changed.
- Report what you did with the numbers; don't claim things you didn't do.
"""


# The two shop descriptions with fewer than three words of their own, rewritten to say what the
# tool does and when it applies (the notebook's "clear tool descriptions" lever).
CLEARER = {
    "cancel_order": "Cancel a whole order that is still processing, before it ships; nothing is "
    "refunded item by item.",
    "change_address": "Change the delivery address of an order that is still processing "
    "(not yet shipped).",
}


def clearer(tools):
    return [dataclasses.replace(t, description=CLEARER.get(t.name, t.description)) for t in tools]


def vague(tools):
    return [dataclasses.replace(t, description="Helper.") for t in tools]


LEVERS = {
    "policy stated, clear tools (default)": dict(system=POLICY),
    "policy stated, clearer descriptions (all clear)": dict(system=POLICY, edit_tools=clearer),
    "policy in other words": dict(system=PARAPHRASE),
    "no policy in the prompt": dict(system=NO_POLICY),
    'vague tool descriptions ("Helper.")': dict(system=POLICY, edit_tools=vague),
    "temperature 1.0": dict(system=POLICY, temperature=1.0),
}


class Tags:
    """Collects the simulator's behaviour tags per run (wraps Agent.next)."""

    def __init__(self) -> None:
        self.current: set[str] = set()
        original = sim_agent.Agent.next

        def next_(agent_self):
            reply = original(agent_self)
            self.current.update(reply.behaviours)
            return reply

        sim_agent.Agent.next = next_


def run(tier: str, seeds: list[int], n: int, tags: Tags, client=None, **lever) -> dict:
    client = client or Client("sim", tier, traces=False, cache=False)
    runs = solved = violated = turns = 0
    modes: collections.Counter[str] = collections.Counter()
    stops: collections.Counter[str] = collections.Counter()
    hard = [0, 0]
    easy = [0, 0]
    started = time.perf_counter()
    for seed in seeds:
        task_set = generate_tasks(seed, n)
        for task in task_set.tasks:
            tags.current = set()
            trajectory, outcome = run_task(client, task_set, task, **lever)
            runs += 1
            solved += outcome.success
            violated += bool(outcome.violations)
            turns += trajectory.model_turns
            stops[str(trajectory.stop_reason)] += 1
            modes.update(tags.current)
            bucket = hard if task.hard else easy
            bucket[0] += outcome.success
            bucket[1] += 1
    seconds = time.perf_counter() - started
    return {
        "solve": solved / runs,
        "violations": violated / runs,
        "hard": hard[0] / max(1, hard[1]),
        "easy": easy[0] / max(1, easy[1]),
        "modes": {m: modes[m] / runs for m in MODES},
        "stops": {k: v / runs for k, v in stops.items()},
        "steps_per_s": turns / seconds,
        "runs": runs,
    }


def over_http(seeds: list[int], n: int, tags: Tags) -> dict:
    """The same runs through the openai provider (the official SDK) against the sim server."""
    from course.sim.server import serve_in_thread

    with serve_in_thread() as server:
        os.environ["COURSE_BASE_URL"] = server.base_url
        try:
            client = Client("openai", "sim-large", traces=False, cache=False)
            return run("sim-large", seeds, n, tags, client=client, system=POLICY)
        finally:
            os.environ.pop("COURSE_BASE_URL", None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="404,505,606")
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--http", action="store_true")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    tags = Tags()
    results: dict = {}
    for label, lever in LEVERS.items():
        results[label] = {tier: run(tier, seeds, args.n, tags, **lever) for tier in TIERS}
    print(f"seeds {seeds}, {args.n} tasks each\n")
    print(
        "| lever | solve small | solve large | policy violations small | large | "
        "wrong tool small | large | hard / easy solved (large) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, by in results.items():
        s, g = by["sim-small"], by["sim-large"]
        print(
            f"| {label} | {s['solve']:.2f} | {g['solve']:.2f} | {s['violations']:.2f} | "
            f"{g['violations']:.2f} | {s['modes']['wrong_tool']:.2f} | "
            f"{g['modes']['wrong_tool']:.2f} | {g['hard']:.2f} / {g['easy']:.2f} |"
        )
    print("\nFailure modes (share of runs showing each), default lever:\n")
    print("| mode | sim-small | sim-large | sim-large at temperature 1 |")
    print("|---|---|---|---|")
    base = results["policy stated, clear tools (default)"]
    hot = results["temperature 1.0"]["sim-large"]
    for mode in MODES:
        print(
            f"| {mode} | {base['sim-small']['modes'][mode]:.3f} | "
            f"{base['sim-large']['modes'][mode]:.3f} | {hot['modes'][mode]:.3f} |"
        )
    print("\nStop reasons (default lever):", {t: base[t]["stops"] for t in TIERS})
    print(
        "Agent steps per second in-process:", {t: round(base[t]["steps_per_s"], 1) for t in TIERS}
    )
    if args.http:
        http = over_http(seeds[:1], args.n, tags)
        results["http"] = http
        print(
            f"Over HTTP (openai SDK -> sim server, sim-large): {http['steps_per_s']:.1f} "
            f"steps/s, solve {http['solve']:.2f}"
        )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "agents.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
