"""Cohort grading throughput against serial baselines, and how it grows with Dask workers.

In one run, over the same learners (a generated Canvas export of the fixture assignment, or
of a real module with --module: learners alternate reference solutions and the untouched
release):

* ``nbgrader autograde`` loop: the stock tool, one CLI call per learner in a course root
  prepared with ``nbgrader generate_assignment`` (unsandboxed, as instructors run it today);
* ``grade_submission`` loop: the course's sandboxed grader, serially, in one process;
* ``python -m autograder.cohort`` with a LocalCluster of 1 and of 2 workers (sandboxed,
  feedback pages, gradebook, exports and report included; cluster start-up included).

Ratios are learners per second relative to the nbgrader loop and to the 1-worker cohort.
Per-learner overhead of the cohort path = its worker seconds per learner minus the serial
grade_submission seconds per learner (feedback rendering, task transport), plus coordinator
seconds per learner (gradebook and files). The model for more workers is printed: throughput
~ min(workers / worker_s, 1 / coordinator_s) while workers <= cores.

Usage:  .venv/bin/python benchmarks/bench_cohort.py [--learners 16] [--module MODULE]
        [--skip-nbgrader]
Writes benchmarks/results/cohort.json as well as printing the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "lms"))


def build_learners(module: str, count: int, tmp: Path) -> tuple[Path, dict[str, Path], Path | None]:
    """A Canvas zip plus, per learner, a plain folder of the same files (for the loops)."""
    import exports

    folders: dict[str, Path] = {}
    if module == exports.MODULE:
        source_root: Path | None = exports.FIXTURE_SOURCE
        release = exports.release_notebook()
        for person in exports.people(count):
            folder = tmp / "learners" / person.uid
            folder.mkdir(parents=True)
            data = exports.notebook_bytes(person.variant, release)
            if data is not None:
                (folder / exports.NOTEBOOK).write_bytes(data)
            folders[person.uid] = folder
    else:
        from autograder.paths import release_dir, source_dir

        source_root = None
        for n in range(count):
            uid = str(3000 + n)
            folder = tmp / "learners" / uid
            origin = source_dir(module) if n % 2 == 0 else release_dir(module)
            shutil.copytree(origin, folder)
            folders[uid] = folder
    export = tmp / "canvas.zip"
    with zipfile.ZipFile(export, "w") as zf:
        for n, (uid, folder) in enumerate(sorted(folders.items())):
            prefix = f"learner{uid}_{uid}_{70000 + n}_"
            files = sorted(p for p in folder.glob("*") if p.is_file())
            for path in files:
                zf.write(path, prefix + path.name)
            if not files:  # a learner who uploaded no notebook is still in the export
                zf.writestr(prefix + "notes.txt", "no notebook")
    return export, folders, source_root


def serial_loop(module: str, folders: dict[str, Path], source_root, tmp: Path) -> dict:
    from autograder.grading import grade_submission

    times = []
    sandbox = None
    started = time.perf_counter()
    for uid, folder in sorted(folders.items()):
        t0 = time.perf_counter()
        report = grade_submission(
            module, folder, workdir=tmp / "serial-work", source_root=source_root, student=uid
        )
        times.append(time.perf_counter() - t0)
        sandbox = getattr(getattr(report, "sandbox", None), "mechanism", sandbox)
        shutil.rmtree(tmp / "serial-work", ignore_errors=True)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "per_learner_s": statistics.mean(times), "sandbox": sandbox}


def nbgrader_loop(module: str, folders: dict[str, Path], source_root, tmp: Path) -> dict:
    """The stock tool: generate_assignment once, then one `nbgrader autograde` per learner."""
    from autograder.paths import source_dir

    course = tmp / "nbgrader-course"
    shutil.copytree(source_dir(module, source_root), course / "source" / module)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    for uid, folder in folders.items():
        shutil.copytree(folder, course / "submitted" / uid / module)
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "COURSE_PROVIDER": "sim",
        "COURSE_HOME": str(tmp / "nbgrader-home"),
    }
    nbgrader = [str(venv_bin / "nbgrader")]
    root_opt = f"--CourseDirectory.root={course}"
    subprocess.run(
        [*nbgrader, "generate_assignment", module, root_opt, "--force"],
        cwd=course, env=env, check=True, capture_output=True,
    )  # fmt: skip
    started = time.perf_counter()
    failed = 0  # nbgrader stops on a learner without a readable notebook: counted, not fatal
    for uid in sorted(folders):
        done = subprocess.run(
            [*nbgrader, "autograde", module, "--student", uid, root_opt, "--force"],
            cwd=course, env=env, check=False, capture_output=True,
        )  # fmt: skip
        failed += done.returncode != 0
    wall = time.perf_counter() - started
    return {"wall_s": wall, "per_learner_s": wall / len(folders), "failed": failed}


def cohort_run(module: str, export: Path, source_root, workers: int, tmp: Path) -> dict:
    from autograder.cohort.run import run_cohort
    from autograder.cohort.state import State

    out = tmp / f"cohort-{workers}"
    started = time.perf_counter()
    summary = run_cohort(
        module, export, out_dir=out, workers=workers, source_root=source_root, progress=False
    )
    wall = time.perf_counter() - started
    state = State(out / ".cohort" / "state.sqlite")
    worker_s = [state.result(uid)["seconds"] for uid in summary.graded]
    state.close()
    n = len(summary.graded)
    return {
        "wall_s": wall,
        "grading_s": summary.grading_s,
        "graded": n,
        "failed": len(summary.failed),
        "worker_s_per_learner": statistics.mean(worker_s) if worker_s else None,
        "coordinator_s_per_learner": summary.record_s / n if n else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=16)
    parser.add_argument("--module", default="fixture_module")
    parser.add_argument("--skip-nbgrader", action="store_true", help="no nbgrader CLI loop")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as name:
        tmp = Path(name)
        os.environ["COURSE_HOME"] = str(tmp / "home")
        export, folders, source_root = build_learners(args.module, args.learners, tmp)
        n = len(folders)
        results: dict = {"module": args.module, "learners": n, "cores": os.cpu_count()}
        print(f"{n} learners of {args.module}, {os.cpu_count()} cores")
        if not args.skip_nbgrader:
            results["nbgrader_loop"] = nbgrader_loop(args.module, folders, source_root, tmp)
            print("nbgrader autograde loop:", _fmt(results["nbgrader_loop"]))
        results["serial_grade_submission"] = serial_loop(args.module, folders, source_root, tmp)
        print("grade_submission loop:  ", _fmt(results["serial_grade_submission"]))
        for workers in (1, 2):
            key = f"cohort_{workers}_workers"
            results[key] = cohort_run(args.module, export, source_root, workers, tmp)
            print(f"cohort, {workers} worker(s):    ", _fmt(results[key]))

    rate = {k: n / v["wall_s"] for k, v in results.items() if isinstance(v, dict)}
    one, two = results["cohort_1_workers"], results["cohort_2_workers"]
    serial = results["serial_grade_submission"]
    ratios = {
        "cohort2_vs_serial_grade_submission": rate["cohort_2_workers"]
        / rate["serial_grade_submission"],
        "cohort2_vs_cohort1": rate["cohort_2_workers"] / rate["cohort_1_workers"],
        "cohort2_vs_cohort1_grading_phase": one["grading_s"] / two["grading_s"],
    }
    if "nbgrader_loop" in rate:
        ratios["cohort2_vs_nbgrader_loop"] = rate["cohort_2_workers"] / rate["nbgrader_loop"]
        ratios["cohort1_vs_nbgrader_loop"] = rate["cohort_1_workers"] / rate["nbgrader_loop"]
    overhead = {
        "worker_s_minus_grade_submission_s": one["worker_s_per_learner"] - serial["per_learner_s"],
        "coordinator_s_per_learner": one["coordinator_s_per_learner"],
        "fixed_s_cohort1 (cluster start, intake, exports, report)": one["wall_s"]
        - one["grading_s"],
    }
    results["ratios"] = ratios
    results["per_learner_overhead_s"] = overhead
    worker_s, coord_s = one["worker_s_per_learner"], one["coordinator_s_per_learner"] or 1e-9
    results["model"] = {
        f"{w} workers learners/s": min(w / worker_s, 1 / coord_s) for w in (1, 2, 4, 8, 16, 32)
    }
    print("\nratios (learners per second, higher is better):")
    for key, value in ratios.items():
        print(f"  {key:<45} {value:5.2f}x")
    print("per-learner overhead of the cohort path (s):")
    for key, value in overhead.items():
        print(f"  {key:<45} {value:6.2f}")
    print(
        f"model: throughput ~ min(W / {worker_s:.2f} s, 1 / {coord_s:.3f} s) learners/s "
        "for W workers on W free cores (coordinator-bound beyond "
        f"{worker_s / coord_s:.0f} workers)"
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cohort.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / 'cohort.json'}")
    return 0


def _fmt(entry: dict) -> str:
    return ", ".join(
        f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in entry.items()
    )


if __name__ == "__main__":
    sys.exit(main())
