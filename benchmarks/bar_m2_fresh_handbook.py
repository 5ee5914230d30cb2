"""Module 2 assignment, clauses 5 and 6: the bars on items generated at grading time.

    python benchmarks/bar_m2_fresh_handbook.py [--seeds 11 12 13 ...]

For each handbook seed, the grader's own procedure (the assignment's locked harness cell, run
from the instructor source) scores four solvers on the generated questions, three simulator
seeds each, and reports every solver against the baseline measured in the same run:

- reference: the source notebook's `improved_solver`;
- cosmetic: the baseline's prompt reworded plus a request for citations (must fail the bar);
- memoriser: answers every question it finds in the shipped QA file with the shipped answer,
  and falls back to the baseline (must gain nothing);
- baseline: `baseline_solver` (the denominator).

Printed per seed: questions, mean score per solver, cost per 1,000 questions, and the paired
bootstrap difference against the baseline with its 95% CI (the clause 6 statistic, grade id
c8_improvement_tests). Then clause 5: TPR and TNR of the course's LLMJudge on the default tier
with three rubrics (the reference, notebook 02's labelling rubric, a one-line rubric), on the
three generated judge sets the hidden test pools (seeds s, s + 1, s + 2).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "autograder/source/module2_evals/07_assignment_eval_harness.ipynb"
CELLS = ("contract_code", "harness", "ex7_solution", "ex4_solution")

COSMETIC_SYSTEM = (
    "You are a helpful assistant. Answer the question about the Northwind Cloud handbook from the "
    "passages in the context. Cite the passage id in square brackets after each sentence."
)


def notebook_namespace() -> dict:
    """The source notebook's setup, contract, harness and reference solver, executed."""
    nb = json.loads(SOURCE.read_text())
    by_id = {
        c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"]) for c in nb["cells"]
    }
    setup = next(
        "".join(c["source"]) for c in nb["cells"] if "settings = resolve(" in "".join(c["source"])
    )
    namespace: dict = {"provider": "sim", "model": None, "seed": 0, "sample_size": 0}
    for code in (setup, *(by_id[cell] for cell in CELLS)):
        code = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$", "", code, flags=re.MULTILINE)
        exec(compile(code, str(SOURCE), "exec"), namespace)  # the course's own source
    return namespace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--judge-only", action="store_true", help="measure clause 5 only")
    args = parser.parse_args(argv)

    from course.data.fresh_handbook import fresh_handbook
    from course.data.handbook import load_qa

    ns = notebook_namespace()
    if args.judge_only:
        judge_bar(ns, args.seeds)
        return 0
    grading, handbook_class = ns["GRADING"], ns["Handbook"]
    baseline = ns["baseline_solver"]
    shipped = {q.question: q.answer for q in load_qa()}

    def cosmetic(query, client, handbook):
        hits = handbook.bm25.search(query.question, k=8)
        passages = "\n\n".join(
            f"[{h.chunk_id}] {handbook.chunk_by_id[h.chunk_id].text}" for h in hits
        )
        prompt = f"Context:\n{passages}\n\nQuestion: {query.question}"
        return client.complete(prompt, system=COSMETIC_SYSTEM, max_tokens=150).text or ""

    def memoriser(query, client, handbook):
        if query.question in shipped:
            client.complete("ok", max_tokens=5)
            return shipped[query.question]
        return baseline(query, client, handbook)

    solvers = {"reference": ns["improved_solver"], "cosmetic": cosmetic, "memoriser": memoriser}
    print("seed  n    baseline  $/1k   | " + " | ".join(f"{n:<34}" for n in solvers))
    for seed in args.seeds:
        started = time.perf_counter()
        held_out = fresh_handbook(seed)
        handbook = handbook_class(held_out.documents)
        questions = held_out.questions
        base = grading.scores("bar", baseline, questions, handbook)
        base_cost = 1000 * grading.run("bar", baseline, questions, 0, handbook)["cost_usd"].mean()
        cells = []
        for solver in solvers.values():
            scores = grading.scores("bar", solver, questions, handbook)
            cost = 1000 * grading.run("bar", solver, questions, 0, handbook)["cost_usd"].mean()
            c = grading.compare(base, scores)
            cells.append(
                f"{scores['score'].mean():.3f} ${cost:.3f} {c.difference:+.3f} "
                f"[{c.low:+.3f}, {c.high:+.3f}]"
            )
        print(
            f"{seed:<5} {len(questions):<4} {base['score'].mean():.3f}     {base_cost:.3f}  | "
            + " | ".join(f"{cell:<34}" for cell in cells)
            + f"   ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    judge_bar(ns, args.seeds)
    return 0


def judge_bar(ns: dict, seeds: list[int]) -> None:
    """Clause 5: each rubric's agreement with generated labels, pooled as the hidden test does."""
    from course.data.fresh_handbook import fresh_judge_set
    from course.evals import LLMJudge, judge_alignment
    from course.llm import Client

    readme = (ROOT / "course/data/README_handbook.md").read_text(encoding="utf-8")
    labelling = readme.split("### Labelling rubric", 1)[1].split("| Perturbation", 1)[0].strip()
    reference = ns["JUDGE_RUBRIC"]
    rubrics = {
        "reference": reference,
        "labelling": labelling,
        "one line": "The output answers well.",
    }
    print("\nclause 5 (bar: TPR >= 0.80, TNR >= 0.55)")
    for seed in seeds:
        sets = [fresh_judge_set(seed + k) for k in range(3)]
        cells = []
        for name, rubric in rubrics.items():
            judge = LLMJudge(Client("sim", None, seed=0, cache=False, traces=False), rubric)
            verdicts, human = [], []
            for judged in sets:
                for j in judged.outputs:
                    q = judged.questions[j.question_id]
                    score = judge(j.candidate, q.answer, input=q.question)
                    verdicts.append(score.passed is True and not score.error)
                    human.append(j.human_label == "pass")
            a = judge_alignment(verdicts, human)
            cells.append(f"{name}: TPR {a.tpr:.2f} TNR {a.tnr:.2f} (n={a.n})")
        print(f"{seed:<5} " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
