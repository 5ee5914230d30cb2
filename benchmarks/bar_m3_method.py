"""Where module 3 06's exercise 2 bar comes from: clear tool descriptions against "Helper.".

    .venv/bin/python benchmarks/bar_m3_method.py [--seeds 1,2,3,4,5,6]

The grader runs the policy agent on `generate_tasks(<secret seed>, 24)`, two runs per task at
temperature 0.7 on sim-large, once with every description "Helper." and once with the learner's
DESCRIPTIONS, and asks for a paired bootstrap 95% CI of the solve-rate difference above 0. This
script runs the notebook's reference DESCRIPTIONS (read from the source notebook) and a lazy
variant (each description the tool's name in words: "get order") over seeds.

Measured (2026-12-08, seeds 1-8, load average 4-8): "Helper." solves 0.21-0.44; the reference
descriptions gain +0.27 to +0.54 (CI low +0.04 to +0.38: above 0 on all 8 seeds); the tool names
in words gain -0.15 to +0.08 (CI low -0.25 to -0.02: above 0 on none). Each seed takes 7-18 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import nbformat

from course.agents.failures import AgentConfig, run_config
from course.agents.shop import POLICY, generate_tasks
from course.evals.failure_analysis import compare_runs
from course.llm import Client

SOURCE = Path(__file__).resolve().parents[1] / (
    "autograder/source/module3_agents/06_failure_analysis_method.ipynb"
)


def reference_descriptions() -> dict[str, str]:
    nb = nbformat.read(SOURCE, as_version=4)
    (cell,) = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_solution"
    ]
    namespace: dict = {"dataclasses": dataclasses}
    exec(compile(cell.source, "ex2_solution", "exec"), namespace)
    return namespace["DESCRIPTIONS"]


def described(descriptions: dict[str, str]):
    return lambda tools: [dataclasses.replace(t, description=descriptions[t.name]) for t in tools]


def runs(tasks, edit_tools):
    client = Client("sim", "sim-large", seed=0, cache=False, traces=False)
    config = AgentConfig("x", POLICY, edit_tools=edit_tools)
    return run_config(client, tasks, config, k=2, temperature=0.7)[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3,4,5,6")
    args = parser.parse_args()
    reference = reference_descriptions()
    variants = {
        "reference": described(reference),
        "tool names in words": described({n: n.replace("_", " ") for n in reference}),
    }
    for seed in [int(s) for s in args.seeds.split(",")]:
        started = time.perf_counter()
        tasks = generate_tasks(seed, 24)
        before = runs(tasks, described(dict.fromkeys(reference, "Helper.")))
        line = [f"seed {seed}: 'Helper.' solves {before['success'].mean():.2f}"]
        for name, edit in variants.items():
            after = runs(tasks, edit)
            after["config"] = "after"
            gain = compare_runs(before.assign(config="before"), after, k=1).solve_rate
            line.append(f"{name} {gain.difference:+.2f} (CI {gain.low:+.2f} to {gain.high:+.2f})")
        print("; ".join(line) + f" ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
