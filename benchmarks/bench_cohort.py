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

Where the time goes: every path is run under a CPU meter (psutil, sampling this process and
all its descendants every 0.2 s), which reports CPU seconds per learner by kind of process
(the coordinator, Dask worker processes, notebook kernels, the sandbox's wrappers, nbgrader
CLI processes) and how many cores the run kept busy. Two workers can be at most
cores / (cores busy with one worker) times faster than one.

Usage:  .venv/bin/python benchmarks/bench_cohort.py [--learners 16] [--module MODULE]
        [--notebook NAME.ipynb] [--skip-nbgrader]
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
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "lms"))


OTHER = "other (sandbox wrappers, notebooks' subprocesses, gone before a sample)"


def _kind(proc) -> str:
    """Which part of the grading stack a process is, from its command line."""
    try:
        argv = proc.cmdline()
    except Exception:
        return OTHER
    cmd = " ".join(argv)
    # the sandbox starts its kernels as isolated Pythons (-I), through a -c launcher
    if "ipykernel_launcher" in cmd or (argv and "python" in argv[0] and "-I" in argv[1:3]):
        return "kernels"
    if "resource_tracker" in cmd:
        return OTHER
    if "dask" in cmd.lower() or "spawn_main" in cmd:  # Dask renames its worker processes
        return "dask workers"
    if "/nbgrader" in cmd:
        return "nbgrader CLI"
    if proc.pid == os.getpid():
        return "coordinator (this process)"
    return OTHER


class CpuMeter:
    """CPU seconds of this process and every descendant, by kind, sampled in a thread.

    A process's last sample counts, so processes shorter than the interval are missed, and
    a wrapper that execs into the kernel (same pid) is counted as the kernel.
    """

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.psutil, self.interval = psutil, interval
        self.last: dict[tuple[int, float], tuple[str, float]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = self.psutil.Process()
        try:
            procs = [me, *me.children(recursive=True)]
        except self.psutil.Error:
            return
        for proc in procs:
            try:
                times = proc.cpu_times()
                key = (proc.pid, proc.create_time())
                kind = _kind(proc)  # again each time: a wrapper execs into the kernel
                self.last[key] = (kind, times.user + times.system)
            except self.psutil.Error:
                continue

    def _run(self) -> None:
        while not self.stop.is_set():
            self._sample()
            self.stop.wait(self.interval)

    @contextmanager
    def measure(self):
        self._sample()
        base = dict(self.last)
        self.thread.start()
        result: dict[str, float] = {}
        try:
            yield result
        finally:
            self.stop.set()
            self.thread.join()
            self._sample()
            for key, (kind, cpu) in self.last.items():
                used = cpu - base.get(key, (kind, 0.0))[1]
                result[kind] = result.get(kind, 0.0) + used


@contextmanager
def metered(entry: dict, learners: int):
    """Adds CPU seconds per learner by kind, and cores busy, to ``entry`` after the block."""
    started = time.perf_counter()
    with CpuMeter().measure() as cpu:
        yield
    wall = time.perf_counter() - started
    entry["cpu_s_per_learner"] = {k: round(v / learners, 3) for k, v in sorted(cpu.items())}
    entry["cores_busy"] = round(sum(cpu.values()) / wall, 2)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_ceiling(work: int = 30_000_000) -> dict:
    """How much faster 2 CPU-bound processes finish 2 jobs than 1 process finishes 1, x2.

    The best any 2-worker grading can do against 1 worker on this machine, measured in the
    same run: virtual CPUs that share a physical core, or a busy host, give less than 2.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # both processes started before timing
        started = time.perf_counter()
        pool.map(_spin, [work], chunksize=1)
        one = time.perf_counter() - started
        started = time.perf_counter()
        pool.map(_spin, [work, work], chunksize=1)
        two = time.perf_counter() - started
    return {"one_job_s": one, "two_jobs_two_processes_s": two, "ceiling": 2 * one / two}


def build_learners(
    module: str, count: int, tmp: Path, notebook: str | None = None
) -> tuple[Path, dict[str, Path], Path | None]:
    """A Canvas zip plus, per learner, a plain folder of the same files (for the loops).

    With ``notebook``, the module's source tree holds only that notebook (the graded one),
    and learners hand in only it.
    """
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
        if notebook:
            source_root = tmp / "source"
            (source_root / module).mkdir(parents=True)
            shutil.copyfile(source_dir(module) / notebook, source_root / module / notebook)
        for n in range(count):
            uid = str(3000 + n)
            folder = tmp / "learners" / uid
            origin = source_dir(module) if n % 2 == 0 else release_dir(module)
            if notebook:
                folder.mkdir(parents=True)
                shutil.copyfile(origin / notebook, folder / notebook)
            else:
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
    parser.add_argument(
        "--notebook", default=None, help="grade only this notebook of the module (e.g. 05_...)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as name:
        tmp = Path(name)
        os.environ["COURSE_HOME"] = str(tmp / "home")
        export, folders, source_root = build_learners(
            args.module, args.learners, tmp, args.notebook
        )
        n = len(folders)
        results: dict = {"module": args.module, "notebook": args.notebook, "learners": n,
                         "cores": os.cpu_count()}  # fmt: skip
        print(f"{n} learners of {args.module} {args.notebook or ''}, {os.cpu_count()} cores")
        results["machine_ceiling_before"] = machine_ceiling()
        print("machine: 2 CPU-bound processes vs 1:", _fmt(results["machine_ceiling_before"]))
        runs = []
        if not args.skip_nbgrader:
            runs.append(("nbgrader_loop", "nbgrader autograde loop:", nbgrader_loop, ()))
        runs.append(("serial_grade_submission", "grade_submission loop:  ", serial_loop, ()))
        for workers in (1, 2):
            runs.append(
                (f"cohort_{workers}_workers", f"cohort, {workers} worker(s):    ", cohort_run,
                 (workers,))
            )  # fmt: skip
        for key, label, run, extra in runs:
            entry: dict = {}
            source = export if run is cohort_run else folders
            with metered(entry, n):
                entry.update(run(args.module, source, source_root, *extra, tmp))
            results[key] = entry
            print(label, _fmt(entry))
        results["machine_ceiling_after"] = machine_ceiling()
        print("machine: 2 CPU-bound processes vs 1:", _fmt(results["machine_ceiling_after"]))

    rate = {k: n / v["wall_s"] for k, v in results.items() if isinstance(v, dict) and "wall_s" in v}
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
    cpu_s = sum(one["cpu_s_per_learner"].values())  # CPU seconds one learner costs, all parts
    cores = os.cpu_count() or 1
    results["model"] = {
        "cpu_s_per_learner": cpu_s,
        "bound_2_vs_1_workers": min(2.0, cores / one["cores_busy"]),
        **{
            f"{w} workers on {w} cores, learners/s": min(w / worker_s, w / cpu_s, 1 / coord_s)
            for w in (1, 2, 4, 8, 16, 32)
        },
    }
    print("\nratios (learners per second, higher is better):")
    for key, value in ratios.items():
        print(f"  {key:<45} {value:5.2f}x")
    print("per-learner overhead of the cohort path (s):")
    for key, value in overhead.items():
        print(f"  {key:<45} {value:6.2f}")
    print("where the time goes: CPU seconds per learner by process kind, and cores kept busy")
    for key in [k for k in results if isinstance(results[k], dict) and "cores_busy" in results[k]]:
        entry = results[key]
        parts = ", ".join(f"{k} {v:.2f}" for k, v in entry["cpu_s_per_learner"].items())
        print(f"  {key:<26} cores busy {entry['cores_busy']:.2f}: {parts}")
    ceiling = min(
        results[k]["ceiling"] for k in ("machine_ceiling_before", "machine_ceiling_after")
    )
    print(
        f"2 workers can be at most {results['model']['bound_2_vs_1_workers']:.2f}x one worker "
        f"here: one worker already keeps {one['cores_busy']:.2f} of {cores} cores busy; "
        f"and this machine runs 2 CPU-bound processes only {ceiling:.2f}x as fast as 1"
    )
    print(
        f"model: throughput ~ min(W / {worker_s:.2f} s, C / {cpu_s:.2f} CPU-s, "
        f"1 / {coord_s:.3f} s) learners/s for W workers on C free cores "
        f"(coordinator-bound beyond {min(worker_s, cpu_s) / coord_s:.0f} workers)"
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
