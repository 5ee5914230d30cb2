"""Where module 3 07's bars come from: detectors' precision/recall and the fix's paired pass^2
gain, on production runs of freshly generated task sets, over seeds.

    .venv/bin/python benchmarks/bar_m3_failure_analysis.py [--seeds 1,2,3,4,5,6,7,8]

The grader scores exercises 2-4 (detectors) on production's runs of `generate_tasks(<secret
seed>, 48)`, three runs per task on sim-large at temperature 0.7, against the checks' labels, and
replays exercise 5's FIXED on the same tasks, paired with production. This script runs the
notebook's own harness and reference solutions (read from the source notebook, so they cannot
drift) against lazy variants a learner might hand in, so the bars sit where the reference clears
them on every seed and lazy work does not:

- detectors: flag every run; flag every run that used the tool in question;
- fixes: production unchanged; production's prompt plus "be careful, follow the policy"; the
  reference's prompt without its guards; the reference (prompt and guards).

Measured (2026-12-08, 2-core machine shared with other jobs, load average 6-10):

Detectors, seeds 1-20 (`--detectors-only`), precision / recall against the checks' labels; the
bar is 0.8 and 0.8:

| mode | reference | flag every run | flag every run that used the tool |
|---|---|---|---|
| unverified_access (25-45 runs per seed) | P 1.00, R 1.00 | P 0.17-0.31 | get_order: P 0.23-0.40 |
| refund_against_policy (14-24) | P >= 0.94, R 1.00 | P 0.10-0.17 | refund_item: P 0.37-0.53 |
| changed_a_shipped_order (5-12, pooled: 6+) | P 1.00, R >= 0.88 | P 0.04-0.08 | cancel: 0.23-0.62 |

Before the order-change detector judged only the status a run saw (it flagged a change to an
order never looked at) and before a mode was pooled to six positives, seed 8 gave it precision
0.71 on five positives: two garbled order numbers that were still processing.

Fixes, seeds 1-10, pass^2 of the fix minus production's (paired bootstrap 95% CI over 48 tasks,
three runs each) and the share of runs breaking a rule; the bar is CI low > 0 and at most half of
production's violations:

| fix | pass^2 difference | CI low | violations after (production 0.35-0.46) | clears |
|---|---|---|---|---|
| reference (prompt and guards) | +0.22 to +0.34 | +0.06 to +0.21 | 0.01-0.06 | 10 of 10 |
| reference prompt, no guards | +0.17 to +0.29 | +0.02 to +0.17 | 0.05-0.08 | 10 of 10 |
| production + "be careful" | -0.12 to +0.15 | -0.21 to +0.03 | 0.37-0.42 | 0 of 10 |
| production unchanged | 0 | 0 | as production | 0 of 10 |

The CI low of the reference (+0.06 at worst) is the thinnest margin in this assignment: pass^2
is noisier per task than the solve rate, and 48 tasks are what fits the grading time (each
replay is 144 agent runs). A prompt that restores the rules without guards also passes, as it
should: it is a real fix.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import sys
import time
import types
from pathlib import Path

import nbformat

SOURCE = Path(__file__).resolve().parents[1] / (
    "autograder/source/module3_agents/07_assignment_failure_analysis.ipynb"
)
CELLS = {"harness", "ex2_solution", "ex3_solution", "ex4_solution", "ex5_solution"}


def reference_namespace() -> dict:
    """The notebook's setup, harness and reference detectors and fix (no model call)."""
    nb = nbformat.read(SOURCE, as_version=4)
    module = types.ModuleType("m3_07_reference")
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    namespace.update(provider="sim", model=None, seed=0, sample_size=0)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and (cell.get("id") == "setup" or grade_id in CELLS):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, grade_id or "setup", "exec"), namespace)
    return namespace


def used(tool: str):
    def detector(run) -> bool:
        return any(s.tool == tool and s.error is None for s in run.tool_calls())

    return detector


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8,9,10")
    parser.add_argument("--detectors-only", action="store_true", help="skip the fixes' replays")
    args = parser.parse_args()
    ns = reference_namespace()
    grading, production, config = ns["GRADING"], ns["PRODUCTION"], ns["AgentConfig"]
    detectors = {
        "unverified_access": {
            "reference": ns["detect_unverified_access"],
            "every run": lambda run: True,
            "used get_order": used("get_order"),
        },
        "refund_against_policy": {
            "reference": ns["detect_refund_against_policy"],
            "every run": lambda run: True,
            "used refund_item": used("refund_item"),
        },
        "changed_a_shipped_order": {
            "reference": ns["detect_changed_shipped_order"],
            "every run": lambda run: True,
            "used cancel_order": used("cancel_order"),
        },
    }
    careful = production.system + "Be careful and always follow the shop's policy.\n"
    fixes = {
        "reference": ns["FIXED"],
        "reference prompt, no guards": config("fixed", ns["FIXED_SYSTEM"]),
        "production + 'be careful'": config("fixed", careful),
        "production unchanged": dataclasses.replace(production, name="fixed"),
    }
    for seed in [int(s) for s in args.seeds.split(",")]:
        started = time.perf_counter()
        runs, _ = grading.production(seed)
        print(
            f"seed {seed}: production solve {runs['success'].mean():.2f}, violations "
            f"{runs['violated'].mean():.2f} ({time.perf_counter() - started:.1f} s)"
        )
        for mode, variants in detectors.items():
            cells = []
            for name, detector in variants.items():
                d = grading.detection("bar", detector, mode, seed)
                cells.append(f"{name} P {d.precision:.2f} R {d.recall:.2f}")
            print(f"  {mode} ({int(runs[mode].sum())} runs): " + "; ".join(cells))
        for name, fix in {} if args.detectors_only else fixes.items():
            started = time.perf_counter()
            r = grading.replay("bar", fix, seed)
            hat, rate = r.pass_hat_k, r.solve_rate
            print(
                f"  fix {name}: pass^{r.k} {hat.difference:+.2f} (CI {hat.low:+.2f} to "
                f"{hat.high:+.2f}), solve {rate.difference:+.2f} (CI {rate.low:+.2f} to "
                f"{rate.high:+.2f}), violations {r.violations[0]:.2f} -> {r.violations[1]:.2f}"
                f" ({time.perf_counter() - started:.1f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
