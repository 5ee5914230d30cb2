"""What the grading sandbox costs: one module's reference graded three ways in the same run.

* stock:     nbgrader's own Autograde preprocessors and kernel manager, as grading ran before
             the sandbox (no state checks, the kernel inherits the grader's environment).
* guarded:   this course's grader without namespaces (isolated python, scrubbed environment,
             rlimits, kernel-state checks around every test cell, static scan, records).
* sandboxed: the same inside bubblewrap (own uid, network, PID namespace, read-only view).

The bar (issue 8): sandboxed / stock <= 1.15. Runs alternate (stock, guarded, sandboxed, ...)
so a machine that gets busier or quieter affects all three alike; the median of each is used.

Usage:  .venv/bin/python benchmarks/bench_grading.py [--module MODULE] [--repeats N]
Writes benchmarks/results/grading.json as well as printing the table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgrader.converters import Autograde  # noqa: E402

from autograder import engine  # noqa: E402
from autograder.grading import grade_submission  # noqa: E402
from autograder.paths import source_dir  # noqa: E402
from autograder.release import build_assignment  # noqa: E402


def grade_stock(module: str, workdir: Path) -> float:
    """The grading pipeline as it was: nbgrader's stock Autograde, one notebook at a time."""
    root = Path(tempfile.mkdtemp(prefix="stock-", dir=workdir))
    build_assignment(module, root)
    submitted = root / "submitted" / "reference" / module
    shutil.copytree(source_dir(module), submitted)
    config = engine.load_config(root)
    points = 0.0
    for path in sorted(submitted.glob("*.ipynb")):
        coursedir = engine.course_directory(config, module, "reference")
        coursedir.notebook_id = path.stem
        env = {"COURSE_PROVIDER": "sim", "COURSE_HOME": str(root / "home")}
        engine.run_converter(Autograde, coursedir, config, env)
    from nbgrader.api import Gradebook

    with engine.gradebook_patch(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        points = sum(nb.score for nb in gb.find_submission(module, "reference").notebooks)
    return points


def _check_seconds(report) -> float:
    """Seconds the kernel-state checks took, from the grader's records."""
    total = 0.0
    for path in (report.course_root / "records").glob("*.json"):
        total += json.loads(path.read_text()).get("check_seconds", 0.0)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--module", default="module1_llm_features")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"stock": [], "guarded": [], "sandboxed": []}
    scores: dict[str, float] = {}
    check_s: dict[str, list[float]] = {"guarded": [], "sandboxed": []}
    mechanism = ""
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        work = Path(tmp)
        for _ in range(args.repeats):
            start = time.perf_counter()
            scores["stock"] = grade_stock(args.module, work)
            times["stock"].append(time.perf_counter() - start)
            for mode, sandboxed in (("guarded", False), ("sandboxed", True)):
                start = time.perf_counter()
                report = grade_submission(
                    args.module,
                    source_dir(args.module),
                    workdir=work,
                    student="reference",
                    sandboxed=sandboxed,
                )
                times[mode].append(time.perf_counter() - start)
                scores[mode] = report.auto_score
                if sandboxed:
                    mechanism = report.sandbox.mechanism
                if report.flags:
                    print(f"{mode}: unexpected flags on the reference: {report.flags[:5]}")
                check_s[mode].append(_check_seconds(report))
    median = {mode: statistics.median(values) for mode, values in times.items()}
    result = {
        "module": args.module,
        "repeats": args.repeats,
        "sandbox": mechanism,
        "seconds": times,
        "median_s": median,
        "ratio_guarded_vs_stock": median["guarded"] / median["stock"],
        "ratio_sandboxed_vs_stock": median["sandboxed"] / median["stock"],
        "ratio_sandboxed_vs_guarded": median["sandboxed"] / median["guarded"],
        "autograded_points": scores,
        "state_check_seconds": check_s,
        "bar": 1.15,
    }
    print(f"{args.module}, {args.repeats} run(s) each, sandbox: {mechanism or 'none'}")
    for mode in times:
        runs = ", ".join(f"{t:.1f}" for t in times[mode])
        print(f"  {mode:<10} median {median[mode]:6.1f} s  (runs: {runs})  points {scores[mode]}")
    for mode, values in check_s.items():
        print(f"  {mode}: kernel-state checks took {statistics.median(values):.1f} s of it")
    print(f"  sandboxed / stock   = {result['ratio_sandboxed_vs_stock']:.3f}  (bar <= 1.15)")
    print(f"  sandboxed / guarded = {result['ratio_sandboxed_vs_guarded']:.3f}")
    out = ROOT / "benchmarks" / "results" / "grading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["ratio_sandboxed_vs_stock"] <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
