"""How many trials per task does pass^k need before the figure stops moving?

One pool of trials is run once (course.agents.trials.run_trials: the shop tasks, the course Agent
with the written policy, T = 0.7): --tasks tasks x --pool trials. Each task's solve rate in the
pool stands in for its true rate p. Then, for each number of trials n, the spread of the task
set's pass^k (course.evals.pass_hat_k per task, averaged over tasks) is measured three ways:

- **trials only**: the same tasks, each with c ~ Binomial(n, p) successes (what rerunning the
  eval with another seed would give), B times;
- **subsampled**: the same, but drawing n of the pool's real trials without replacement instead
  of a binomial (no model of the runs; possible while n <= pool / 2);
- **tasks and trials**: the tasks resampled with replacement too (what another task set of the
  same size would give).

The width of the 95% interval of each, against n, is the table. Two readings are computed from
it: the smallest n at which the trials-only width is at most --target (default 0.10: pass^k of
these tasks known to +/- 0.05 from rerunning alone); and the smallest n at which the trials-only
spread (sd) is at most half the task-sampling spread (each task's p^k, tasks resampled), where
trial noise adds at most 12% to the interval (sqrt(1 + 0.5^2)) and the next gains come from more
tasks, not more trials.

Usage:  .venv/bin/python benchmarks/bench_pass_k_stability.py [--tasks 36] [--pool 24] [--k 4]
        [--model sim-small] [--resamples 2000] [--seed 0] [--workers 1] [--target 0.10]
Writes benchmarks/results/pass_k_stability.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.agents.shop import POLICY, generate_tasks  # noqa: E402
from course.agents.trials import run_trials  # noqa: E402
from course.evals import pass_hat_k  # noqa: E402
from course.llm import Client  # noqa: E402


def estimates(c: np.ndarray, n: int, k: int) -> np.ndarray:
    """pass^k of the task set for each row of successes c (replicates x tasks)."""
    table = np.array([pass_hat_k(n, int(ci), k) for ci in range(n + 1)])
    return table[c].mean(axis=1)


def width(values: np.ndarray) -> float:
    low, high = np.percentile(values, [2.5, 97.5])
    return float(high - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=36)
    parser.add_argument("--pool", type=int, default=24)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--model", default="sim-small")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", type=float, default=0.10, help="95%% width to reach")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    started = time.perf_counter()
    client = Client("sim", args.model, traces=False, cache=False)
    trials = run_trials(
        client,
        generate_tasks(args.seed, args.tasks),
        n_trials=args.pool,
        seed=args.seed,
        temperature=0.7,
        workers=args.workers,
        system=POLICY,
        feature="bench-pass-k",
    )
    pool_seconds = time.perf_counter() - started
    flags = trials.pivot(index="task_id", columns="trial", values="solved").to_numpy(dtype=int)
    p = flags.mean(axis=1)
    tasks, k, b = len(p), args.k, args.resamples
    rng = np.random.default_rng(args.seed)

    # Task sampling alone: each task's true pass^k under the model, the tasks resampled.
    at_pool = p**k  # the model's truth: task i succeeds with probability p_i, so pass^k = p_i^k
    task_draws = at_pool[rng.integers(0, tasks, size=(b, tasks))].mean(axis=1)
    task_sd = float(task_draws.std())

    ns = sorted({n for n in (k, k + 2, 2 * k, 3 * k, 4 * k, 6 * k, 8 * k, 12 * k) if n >= k})
    rows = []
    for n in ns:
        trial_only = estimates(rng.binomial(n, p, size=(b, tasks)), n, k)
        picks = rng.integers(0, tasks, size=(b, tasks))
        both = estimates(rng.binomial(n, p[picks]), n, k)
        row = {
            "n": n,
            "mean": float(trial_only.mean()),
            "trials_width": width(trial_only),
            "trials_sd": float(trial_only.std()),
            "both_width": width(both),
        }
        if n <= args.pool // 2:
            # n real trials per task, drawn without replacement from the pool.
            order = rng.random((b, tasks, args.pool)).argsort(axis=2)[:, :, :n]
            c = np.take_along_axis(np.broadcast_to(flags, (b, tasks, args.pool)), order, 2)
            row["subsampled_width"] = width(estimates(c.sum(axis=2), n, k))
        rows.append(row)

    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"{args.model}, {tasks} tasks x {args.pool} pooled trials at T=0.7 "
        f"({len(trials)} runs in {pool_seconds:.0f} s), k={k}, {b} resamples; pooled pass^{k} "
        f"{at_pool.mean():.3f} (mean of p^{k}), mean solve rate {p.mean():.3f}; load average "
        f"before {' '.join(load_before)}, after {' '.join(load_after)}"
        "\n"
    )
    print(
        f"| n trials per task | mean pass^{k} | 95% width, trials only | same, subsampled "
        f"| 95% width, tasks and trials | trials sd / task sd |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        sub = f"{row['subsampled_width']:.3f}" if "subsampled_width" in row else "n/a"
        print(
            f"| {row['n']} | {row['mean']:.3f} | {row['trials_width']:.3f} | {sub} | "
            f"{row['both_width']:.3f} | {row['trials_sd'] / task_sd:.2f} |"
        )
    print(
        f"| (task sampling alone, pool rates) | {at_pool.mean():.3f} | | | "
        f"{width(task_draws):.3f} | |"
    )
    stable = next((r["n"] for r in rows if r["trials_width"] <= args.target), None)
    enough = next((r["n"] for r in rows if r["trials_sd"] <= task_sd / 2), None)
    print(
        f"\nStable to +/-{args.target / 2:.3f} (trials-only 95% width <= {args.target}): "
        + (f"n = {stable} trials per task." if stable else f"not even at n = {ns[-1]}.")
    )
    print(
        f"Where more trials stop paying (trial sd <= half the task-sampling sd of {task_sd:.3f}): "
        + (
            f"n = {enough}; past it, add tasks rather than trials."
            if enough
            else f"not reached by n = {ns[-1]}: trials are still the cheaper gain."
        )
    )
    if stable is None:
        print(f"Recommendation: more than {ns[-1]} trials per task for pass^{k} on {tasks} tasks.")
    else:
        print(
            f"Recommendation: n = {max(stable, k)} trials per task for pass^{k} on {tasks} tasks "
            f"(95% of reruns then land within about +/-{args.target / 2:.2f})"
            + (
                f"; past n = {enough}, a narrower interval is cheaper with more tasks."
                if enough
                else "."
            )
        )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "pass_k_stability.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "rows": rows,
                "task_sd": task_sd,
                "stable_n": stable,
                "trials_stop_paying_n": enough,
                "load_before": load_before,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
