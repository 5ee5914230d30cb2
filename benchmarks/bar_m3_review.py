"""Where module 3 notebook 03's bars come from: the exercises' reference answers against lazy
ones, on fresh diffs over many seeds (the grader draws its diffs with a secret seed).

    .venv/bin/python benchmarks/bar_m3_review.py [--seeds 12]
    .venv/bin/python benchmarks/bar_m3_review.py --skill [--seeds 5]   # docs/SIMULATOR.md, review

Exercise 1 (a ruff code -> kind mapping): micro precision >= 0.80 and recall >= 0.50 on
`generate_diffs(seed, 150)`. Exercise 2 (a review prompt): micro recall >= 0.60 and precision
>= 0.80 on `generate_diffs(seed, 120)` with the simulator's default tier. The reference answers
are read from the source notebook, so they cannot drift; the lazy ones are what a hurried
learner would write. Prints min / mean / max per variant, and whether each clears its bar on
every seed.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import nbformat

from course.llm import Client
from course.review import KINDS, default_prompt, generate_diffs, lint_review, review_diffs, score

SOURCE = Path(__file__).resolve().parents[1] / (
    "autograder/source/module3_agents/03_a_code_review_bot.ipynb"
)


def reference(name: str) -> object:
    """The solution's value of `name`, executed from the source notebook's solution cell."""
    notebook = nbformat.read(SOURCE, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and name in cell.source:
            scope: dict = {}
            exec(cell.source, scope)  # the course's own solution cell
            return scope[name]
    raise SystemExit(f"{name} not found in {SOURCE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--skill", action="store_true", help="the review skill's figures")
    arguments = parser.parse_args()
    seeds = range(9000, 9000 + arguments.seeds)
    if arguments.skill:
        skill_figures(seeds)
        return

    mapping = reference("RULE_TO_KIND")
    mappings = {
        "reference": mapping,
        "lazy: two obvious codes": {"S113": "no_timeout", "E722": "bare_except"},
        "greedy: every code near a kind": {
            **mapping, "S603": "shell_injection", "S607": "shell_injection",
            "S110": "bare_except", "S310": "no_timeout", "E501": "sql_formatting",
        },
    }  # fmt: skip
    print("Exercise 1: bar precision >= 0.80, recall >= 0.50 (micro, 150 fresh diffs)")
    for name, rules in mappings.items():
        rows = []
        for seed in seeds:
            diffs = generate_diffs(seed, 150)
            rows.append(score([d.labels for d in diffs], lint_review(diffs, rules)).loc["micro"])
        report(name, rows, 0.80, 0.50)

    client = Client("sim", None, seed=0, cache=False, traces=False)
    prompts = {
        "reference": reference("REVIEW_PROMPT"),
        "course default (not allowed: a copy)": default_prompt(),
        "names only, JSON": default_prompt(list(KINDS)),
        "review this diff, JSON": 'Review this diff. Reply with JSON: {"findings": [...]}.',
        "review this diff": "Review this diff.",
    }
    print(f"\nExercise 2 on {client.model}: bar recall >= 0.60, precision >= 0.80 (micro, 120)")
    for name, prompt in prompts.items():
        rows = []
        for seed in seeds:
            diffs = generate_diffs(seed, 120)
            found = [r.kinds for r in review_diffs(client, diffs, prompt)]
            rows.append(score([d.labels for d in diffs], found).loc["micro"])
        report(name, rows, 0.80, 0.60)


def skill_figures(seeds: range) -> None:
    """Micro precision / recall (pooled over the seeds, 120 diffs each) per tier and prompt,
    parse failures, and per-kind recall for the listed-with-definitions prompt."""
    prompts = {
        "kinds with definitions, JSON": default_prompt(),
        "kind names only, JSON": default_prompt(list(KINDS)),
        "no kinds, JSON": 'Review this diff. Reply with JSON: {"findings": [...]}.',
        "no kinds, prose": "Review this diff.",
    }
    sets = [generate_diffs(seed, 120) for seed in seeds]
    labels = [d.labels for diffs in sets for d in diffs]
    for tier in ("sim-small", "sim-large"):
        client = Client("sim", tier, seed=0, cache=False, traces=False)
        for name, prompt in prompts.items():
            found = [r for diffs in sets for r in review_diffs(client, diffs, prompt)]
            table = score(labels, [r.kinds for r in found])
            print(
                f"{tier:9s} {name:30s} precision {table.loc['micro', 'precision']:.2f} "
                f"recall {table.loc['micro', 'recall']:.2f} "
                f"parse failures {sum(not r.parsed for r in found) / len(found):.0%}"
            )
            if prompt == default_prompt():
                print("    recall per kind: " + ", ".join(
                    f"{k} {table.loc[k, 'recall']:.2f}" for k in KINDS
                ))  # fmt: skip
    diffs = [d for s in sets for d in s]
    linter = score(labels, lint_review(diffs, reference("RULE_TO_KIND")))
    print("ruff, reference mapping: recall per kind: " + ", ".join(
        f"{k} {linter.loc[k, 'recall']:.2f}" for k in KINDS
    ))  # fmt: skip


def report(name: str, rows: list, precision_bar: float, recall_bar: float) -> None:
    precision = [r["precision"] for r in rows]
    recall = [r["recall"] for r in rows]
    cleared = all(
        p >= precision_bar and r >= recall_bar for p, r in zip(precision, recall, strict=True)
    )
    print(
        f"  {name:38s} precision {min(precision):.2f}/{statistics.fmean(precision):.2f}/"
        f"{max(precision):.2f}  recall {min(recall):.2f}/{statistics.fmean(recall):.2f}/"
        f"{max(recall):.2f}  clears on every seed: {cleared}"
    )


if __name__ == "__main__":
    main()
