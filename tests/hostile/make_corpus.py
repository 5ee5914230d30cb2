"""Build the hostile corpus: one folder per case under tests/hostile/cases/.

    .venv/bin/python tests/hostile/make_corpus.py [CASE ...]

Each case is ``cases/<name>/submission/`` (the folder a learner hands in: notebooks and any
sidecar files) plus ``cases/<name>/case.json`` (what the case attacks, the honest baseline it may
not exceed, what must never be seen, and any set-up done at test time: FIFOs, symlink loops and
symlinks to the instructor's files cannot be committed, so the test creates them).

Notebooks start from the student version of the fixture assignment (generated here, exactly as
a learner gets it) and change only what a learner can change: answer cells and added cells.
Re-run after changing a fixture or a payload; tests/test_hostile_corpus.py reads the result.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import payloads as P  # noqa: E402

FIXTURE_SOURCE = REPO / "tests" / "fixtures" / "source"
CALC_SOURCE = HERE / "fixture_source"
CASES = HERE / "cases"


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int = 0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def build_calc_source() -> Path:
    """A second fixture whose tests lean on math.isclose, numpy, operator and builtins."""
    cells = [
        new_markdown_cell(
            "# Comparison helpers\n\nA fixture whose tests use the helpers a cheat would patch.",
            metadata=_meta("intro", grade=False, solution=False, locked=True),
        ),
        new_code_cell(
            "def mean(xs):\n"
            '    """The arithmetic mean of a non-empty list."""\n'
            "    ### BEGIN SOLUTION\n"
            "    # SOLUTION-CANARY-CALC-4d1f: divide the sum by the count\n"
            "    return sum(xs) / len(xs)\n"
            "    ### END SOLUTION\n"
            "\n\n"
            "def parity(n):\n"
            '    """\'even\' or \'odd\'."""\n'
            "    ### BEGIN SOLUTION\n"
            '    return "even" if n % 2 == 0 else "odd"\n'
            "    ### END SOLUTION",
            metadata=_meta("answer", grade=False, solution=True, locked=False),
        ),
        new_code_cell(
            "import math\n\n"
            'assert math.isclose(mean([1, 2, 4]), 7 / 3), "mean([1, 2, 4]) should be 7/3"',
            metadata=_meta("test_isclose", grade=True, solution=False, locked=True, points=1),
        ),
        new_code_cell(
            "import numpy as np\n\n"
            'assert np.allclose([mean([1.0, 3.0])], [2.0]), "mean([1.0, 3.0]) should be 2.0"',
            metadata=_meta("test_allclose", grade=True, solution=False, locked=True, points=1),
        ),
        new_code_cell(
            "import operator\n\n"
            'assert operator.eq(parity(3), "odd"), "parity(3) should be \'odd\'"',
            metadata=_meta("test_operator", grade=True, solution=False, locked=True, points=1),
        ),
        new_code_cell(
            'assert abs(mean([-1, 1])) < 1e-12, "mean([-1, 1]) should be 0"\n'
            'assert isinstance(parity(4), str), "parity returns a string"',
            metadata=_meta("test_builtins", grade=True, solution=False, locked=True, points=1),
        ),
        new_code_cell(
            'assert parity(10) == "even", "parity(10) should be \'even\'"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert mean([10, 20, 30, 41]) == 25.25, "mean must be exact"  '
            "# HIDDEN-CANARY-CALC-9b2e\n"
            "### END HIDDEN TESTS",
            metadata=_meta("test_hidden", grade=True, solution=False, locked=True, points=2),
        ),
        new_markdown_cell(
            "In one sentence: why compare floats with a tolerance?",
            metadata=_meta("ex2", grade=False, solution=False, locked=True),
        ),
        new_markdown_cell(
            "### BEGIN SOLUTION\nSOLUTION-CANARY-CALC-WRITTEN: sums of floats round.\n"
            "### END SOLUTION",
            metadata=_meta("explain", grade=True, solution=True, locked=False, points=1),
        ),
    ]
    for index, cell in enumerate(cells):
        cell.id = f"calc-{index}"  # stable ids: regenerating changes nothing
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder = CALC_SOURCE / "calc_module"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "calc.ipynb")
    return folder


def release_of(module: str, source_root: Path) -> dict[str, nbformat.NotebookNode]:
    from autograder.release import generate_release

    with tempfile.TemporaryDirectory() as tmp:
        written = generate_release(module, Path(tmp), source_root=source_root)
        notebooks = [Path(p) for p in written if str(p).endswith(".ipynb")]
        return {p.name: nbformat.read(p, as_version=4) for p in notebooks}


def edited(
    nb: nbformat.NotebookNode, answers: dict[str, str], before_tests: list[str], at_end: list[str]
) -> nbformat.NotebookNode:
    """A copy of ``nb`` with answer cells replaced and plain code cells added."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        cells.append(cell)
        if grade_id in ("squares", "answer"):
            cells += [new_code_cell(code, id=f"added-{i}") for i, code in enumerate(before_tests)]
    cells += [new_code_cell(code, id=f"added-end-{i}") for i, code in enumerate(at_end)]
    nb.cells = cells
    return nb


def tests_disarmed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Test cells edited by the learner: source `pass`, unlocked, 100 points each."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = "pass"
            meta.update(locked=False, points=100)
            meta.pop("checksum", None)
    return nb


def tests_renamed_and_faked(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The real test cells renamed to plain cells; new cells with the tests' grade ids: `pass`."""
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            fake = copy.deepcopy(cell)
            fake.source = "pass"
            fake.id = f"fake-{meta['grade_id']}"
            cell.metadata["nbgrader"] = {**meta, "grade": False, "grade_id": meta["grade_id"] + "_"}
            cells += [fake, cell]
        else:
            cells.append(cell)
    nb.cells = cells
    return nb


TRANSFORMS = {"tests_disarmed": tests_disarmed, "tests_renamed_and_faked": tests_renamed_and_faked}

# name -> case description. Keys:
#   fixture      fixture_module (tests/fixtures/source) or calc_module (hostile/fixture_source)
#   answer       source of the learner's answer cell (squares / answer)
#   before, end  extra learner cells after the answer cell / at the end of the notebook
#   explain      the written answer (markdown)
#   files        sidecar files: relative path -> text
#   setup        created at test time: [kind, relative path, target]
#   baseline     the most an honest reading of the submission earns (score, written answers incl.)
#   flag         tampering the grader is asked to flag (static scan or kernel-state check)
#   flag_match   a regular expression some flag must match: the flag names this attack's own
#                mechanism (a contained attempt is flagged for what it tried, not by accident)
#   forbid       evidence keys that show the sandbox failed (printed by the attack, or in loot)
#   timeout      per-cell timeout (s) given to the grader (--timeout)
#   submission_timeout   the whole submission's limit (--submission-timeout)
#   flow         special test flow: neighbour, poison_source, reference, symlink_dir
#   check        extra case-specific checks in the test (names)
#   own_process  graded by a real `python driver.py ...` process, not the fork server: the
#                attack reads the grader's command line or environment through /proc
CASE_SPECS: dict[str, dict] = {
    # -- honest learners and the two anchors ----------------------------------------------
    "honest_reference": {
        "flow": "reference",
        "baseline": 3,
        "exact": 3,
        "about": "the instructor's own notebook graded as a submission",
    },
    "honest_untouched_release": {
        "answer": None,
        "baseline": 0,
        "exact": 0,
        "about": "the release as handed out",
    },
    "honest_partial": {
        "answer": P.PARTIAL,
        "explain": "So no one can fit the visible checks.",
        "baseline": 1,
        "exact": 1,
        "about": "visible right, hidden wrong",
    },
    "honest_warnings_tqdm": {
        "answer": P.HONEST_WARNINGS,
        "baseline": 3,
        "exact": 3,
        "about": "correct, but warnings.warn and a tqdm bar on stderr",
    },
    "honest_helpers": {
        "answer": P.HONEST_HELPERS,
        "baseline": 3,
        "exact": 3,
        "about": "correct, with a dataclass __eq__ and math.isclose (no patching)",
    },
    "calc_reference": {
        "fixture": "calc_module",
        "flow": "reference",
        "baseline": 6,
        "exact": 6,
        "about": "second fixture: reference",
    },
    "calc_untouched_release": {
        "fixture": "calc_module",
        "answer": None,
        "baseline": 0,
        "exact": 0,
        "about": "second fixture: untouched release",
    },
    # -- sidecar files on sys.path ---------------------------------------------------------
    "sidecar_ipykernel_launcher": {
        "files": {"ipykernel_launcher.py": P.LAUNCHER},
        "forbid": ["sidecar_ran"],
        "about": "ipykernel_launcher.py beside the notebook turns every cell into pass",
    },
    "sidecar_launcher_package": {
        "files": {
            "ipykernel_launcher/__init__.py": "",
            "ipykernel_launcher/__main__.py": P.LAUNCHER,
        },
        "forbid": ["sidecar_ran"],
        "about": "the same as a package folder (python -m runs its __main__)",
    },
    "sidecar_sitecustomize": {
        "files": {"sitecustomize.py": P.SITECUSTOMIZE, "usercustomize.py": P.SITECUSTOMIZE},
        "forbid": ["sitecustomize_ran"],
        "about": "sitecustomize/usercustomize in the folder",
    },
    "sidecar_ipython_startup": {
        "files": {
            ".ipython/profile_default/startup/00-hook.py": P.IPYTHON_STARTUP,
            ".ipython/profile_default/ipython_kernel_config.py": P.KERNEL_CONFIG,
        },
        "forbid": ["startup_ran", "kernel_config_ran"],
        "about": "an IPython profile in the folder (runs if HOME or IPYTHONDIR points there)",
    },
    "sidecar_kernel_config_cwd": {
        "files": {
            "ipython_kernel_config.py": P.KERNEL_CONFIG,
            "jupyter_config.py": P.KERNEL_CONFIG,
        },
        "forbid": ["kernel_config_ran"],
        "about": "kernel config files in the working folder",
    },
    # -- writing the gradebook -------------------------------------------------------------
    "gradebook_walk_up": {
        "answer": P.GRADEBOOK_WALK,
        "forbid": ["gradebook_written"],
        "flag": True,
        "about": "find gradebook.db above cwd, set manual_score",
    },
    "gradebook_env_and_tmp": {
        "own_process": True,
        "answer": P.GRADEBOOK_ENV_TMP,
        "forbid": ["gradebook_written"],
        "flag": True,
        "about": "find it from env vars / ancestors' env / a /tmp scan",
    },
    "gradebook_proc_fd": {
        "own_process": True,
        "answer": P.GRADEBOOK_PROC,
        "forbid": ["gradebook_written"],
        "flag": True,
        "about": "find it through /proc/<ancestor>/fd and cwd, write via fd",
    },
    "gradebook_corrupt": {
        "answer": P.GRADEBOOK_CORRUPT,
        "forbid": ["gradebook_corrupted"],
        "flag": True,
        "flag_match": "walks up from the working folder|tried to write outside",
        "about": "overwrite the gradebook with garbage",
    },
    "gradebook_manual_on_correct": {
        "answer": P.CORRECT,
        "end": [P.GRADEBOOK_AFTER_TESTS],
        "baseline": 3,
        "forbid": ["gradebook_written"],
        "flag": True,
        "about": "correct answers, then manual_score for the unanswered written cell",
    },
    "gradebook_unclamped": {
        "answer": P.GRADEBOOK_UNCLAMPED,
        "forbid": ["gradebook_written"],
        "flag": True,
        "about": "scores and max scores set to 100",
    },
    "gradebook_race_daemon": {
        "answer": P.GRADEBOOK_RACE,
        "forbid": ["racer_started"],
        "flag": True,
        "persist": True,
        "about": "a detached process rewrites auto_score after tests run",
    },
    # -- the kernel deciding its own grade ---------------------------------------------------
    "kernel_cleanup_transformer": {
        "answer": P.CLEANUP_TRANSFORMER,
        "flag": True,
        "about": "input_transformers_cleanup returns no lines",
    },
    "kernel_post_transformer": {
        "answer": P.POST_TRANSFORMER,
        "flag": True,
        "about": "input_transformers_post turns test cells into pass",
    },
    "kernel_ast_if_grading": {
        "answer": P.AST_CONDITIONAL,
        "flag": True,
        "about": "AST transformer: try/except only if NBGRADER_EXECUTION",
    },
    "kernel_ast_assert_to_pass": {
        "answer": P.AST_ASSERT_TO_PASS,
        "flag": True,
        "about": "AST transformer replaces every assert by pass",
    },
    "kernel_mute_traceback": {
        "answer": P.MUTE_TRACEBACK,
        "flag": True,
        "about": "_showtraceback muted, error_in_exec cleared post_run_cell",
    },
    "kernel_custom_exc": {
        "answer": P.CUSTOM_EXC,
        "flag": True,
        "about": "set_custom_exc swallows every exception silently",
    },
    "kernel_clear_output_event": {
        "answer": P.CLEAR_OUTPUT_EVENT,
        "flag": True,
        "about": "post_run_cell clear_output wipes the error output",
    },
    "kernel_displayhook": {
        "answer": P.DISPLAYHOOK,
        "flag": True,
        "about": "displayhook('...') gives the test cell an execute_result",
    },
    "kernel_always_equal_list": {
        "answer": P.ALWAYS_EQUAL_LIST,
        "flag": True,
        "about": "list subclass whose == is always True",
    },
    "kernel_settrace_skip_asserts": {
        "answer": P.SETTRACE,
        "flag": True,
        "about": "sys.settrace jumps over assert lines",
    },
    "kernel_exec_obfuscated": {
        "answer": P.EXEC_OBFUSCATED,
        "flag": True,
        "about": "a transformer installed by exec of a base64 string",
    },
    "kernel_ctypes_type_swap": {
        "answer": P.CTYPES_TYPE_SWAP,
        "flag": True,
        "about": "ctypes rewrites a list's type to an always-equal one",
    },
    "kernel_dies": {
        "answer": P.KILL_KERNEL,
        "check": ["reason"],
        "about": "os._exit in the first test cell",
    },
    "kernel_sigint_ignored_hang": {
        "answer": P.SIGINT_IGNORED_HANG,
        "timeout": 3,
        "check": ["reason"],
        "about": "endless loop, SIGINT ignored (timeout interrupt)",
    },
    "evade_chameleon_transformer": {
        "answer": P.CHAMELEON,
        "about": "a transformer written to a file and run (no hook named in the notebook) "
        "that disarms test cells and steps aside while the state check runs",
    },
    "evade_tamper_inside_last_test": {
        "answer": P.TAMPER_IN_LAST_TEST,
        "about": "squares() mutes tracebacks and clears the error only inside the last test",
    },
    "evade_shadow_exec": {
        "answer": P.SHADOW_EXEC,
        "about": "a global named exec answers the state check's exec(...) with hooks removed",
    },
    "evade_calc_foreign_eq_classes": {
        "fixture": "calc_module",
        "answer": P.CALC_FOREIGN_EQ,
        "baseline": 1,
        "about": "float/str subclasses made by type(), __eq__ = the type's own __ne__, "
        "__module__ = 'numpy' (honest: mean 0.0 and a str pass test_builtins)",
    },
    "evade_calc_numpy_alias": {
        "fixture": "calc_module",
        "answer": P.CALC_NUMPY_ALIAS,
        "about": "numpy imported under another name, allclose replaced by operator.is_not",
    },
    "evade_forged_reply": {
        "answer": P.FORGED_REPLY,
        "about": "the kernel's session forges idle + an ok execute_reply for each test cell",
    },
    "meta_tests_disarmed": {
        "transform": "tests_disarmed",
        "about": "test cells edited: source pass, unlocked, 100 points, no checksum",
    },
    "meta_tests_renamed_and_faked": {
        "transform": "tests_renamed_and_faked",
        "about": "real tests renamed to plain cells; fake cells carry the tests' grade ids",
    },
    "broken_deeply_nested_json": {
        "setup": [["nest", "squares.ipynb", ""]],  # nested at test time: no tool can read it
        "about": "a notebook whose metadata is nested 100 000 lists deep",
    },
    # -- comparison helpers (second fixture) -----------------------------------------------
    "calc_patched_isclose": {
        "fixture": "calc_module",
        "answer": P.CALC_ISCLOSE,
        "flag": True,
        "about": "math.isclose replaced",
    },
    "calc_patched_allclose": {
        "fixture": "calc_module",
        "answer": P.CALC_ALLCLOSE,
        "flag": True,
        "about": "numpy.allclose replaced",
    },
    "calc_fake_numpy_module": {
        "fixture": "calc_module",
        "answer": P.CALC_FAKE_NUMPY,
        "flag": True,
        "about": "sys.modules['numpy'] replaced by a fake",
    },
    "calc_patched_operator": {
        "fixture": "calc_module",
        "answer": P.CALC_OPERATOR,
        "flag": True,
        "about": "operator.eq replaced",
    },
    "calc_patched_builtins": {
        "fixture": "calc_module",
        "answer": P.CALC_BUILTINS,
        "flag": True,
        "about": "builtins.abs and builtins.isinstance replaced",
    },
    "calc_always_equal_float_str": {
        "fixture": "calc_module",
        "answer": P.CALC_SUBCLASSES,
        "flag": True,
        "about": "float and str subclasses whose == is always True",
    },
    # -- reading what a learner must never see -------------------------------------------
    "leak_source_walk_up": {
        "answer": P.READ_SOURCE_WALK,
        "flag": True,
        "flag_match": "walks up from the working folder|tried to read",
        "about": "print the copied source notebooks above cwd",
    },
    "leak_gradebook_sources": {
        "answer": P.READ_GRADEBOOK_SOURCES,
        "flag": True,
        "about": "print source_cell rows of the gradebook",
    },
    "leak_repository": {
        "own_process": True,
        "answer": P.READ_REPO,
        "flag": True,
        "flag_match": "import the grader|imports autograder|tried to read",
        "about": "print hidden tests and solutions of every source in the repo",
    },
    "leak_environment": {
        "own_process": True,
        "answer": P.READ_ENV,
        "flag": True,
        "flag_match": "whole environment",
        "about": "print own env and the grading processes' env (/proc)",
    },
    "leak_post_run_cell_print": {
        "answer": P.PRINT_CELLS_EVENT,
        "flag": True,
        "about": "post_run_cell prints the cell that ran",
    },
    "leak_transformer_print": {
        "answer": P.PRINT_CELLS_TRANSFORMER,
        "flag": True,
        "about": "a cleanup transformer prints every cell it sees",
    },
    "leak_exception_echo": {
        "answer": P.ECHO_IN_EXCEPTION,
        "about": "squares raises with its caller's source as the message",
    },
    "leak_print_echo": {
        "answer": P.ECHO_IN_PRINT,
        "baseline": 3,
        "about": "correct, and prints its caller's source",
    },
    "leak_warning_echo": {
        "answer": P.ECHO_IN_WARNING,
        "baseline": 3,
        "about": "correct, and warns with its caller's source (stderr)",
    },
    "leak_stash_then_print": {
        "answer": P.STASH_CALLERS,
        "end": [P.PRINT_STASH],
        "baseline": 3,
        "about": "correct; keeps callers' source, prints it in a last cell",
    },
    "leak_input_history": {
        "answer": P.CORRECT,
        "end": [P.PRINT_HISTORY],
        "baseline": 3,
        "about": "correct; a last cell prints In / the input history",
    },
    "leak_exception_type_name": {
        "answer": P.LEAK_ENAME,
        "baseline": 1,
        "about": "the hidden line (traceback.extract_stack) as the exception's type name",
    },
    "leak_exception_note_and_cause": {
        "answer": P.LEAK_NOTES_AND_CAUSE,
        "baseline": 1,
        "about": "the hidden line in add_note() and in the __cause__ of the raised error",
    },
    "leak_kernel_fd_write": {
        "answer": P.LEAK_FD_WRITE,
        "baseline": 1,
        "about": "the hidden line written with os.write to the kernel's fds 1 and 2",
    },
    "leak_neighbour": {
        "own_process": True,
        "answer": P.NEIGHBOUR,
        "flow": "neighbour",
        "flag": True,
        "forbid": ["neighbour_found"],
        "about": "find the cohort folder via /proc, exec a neighbour's answer",
    },
    "leak_sidecar_symlinks": {
        "answer": P.READ_SIDECAR_LINK,
        "setup": [
            ["symlink", "notes.txt", "@source_nb"],
            ["symlink", "gradebook-link.db", "@repo_source_nb"],
        ],
        "about": "sidecar symlinks to the instructor's source, read by code",
    },
    "symlink_notebook_to_source": {
        "answer": None,
        "drop": True,
        "setup": [["symlink", "squares.ipynb", "@source_nb"]],
        "about": "squares.ipynb is a symlink to the instructor's one",
    },
    "symlink_folder_to_source": {
        "answer": None,
        "flow": "symlink_dir",
        "about": "the submitted folder is a symlink to the source",
    },
    "symlink_notebook_to_environ": {
        "answer": None,
        "drop": True,
        "setup": [["symlink", "squares.ipynb", "/proc/self/environ"]],
        "about": "squares.ipynb -> /proc/self/environ (grader's env)",
    },
    # -- writing where a learner must not write -------------------------------------------
    "write_repo_and_venv": {
        "own_process": True,
        "answer": P.WRITE_REPO,
        "forbid": ["wrote"],
        "flag": True,
        "flag_match": "tried to write outside",
        "about": "marker files in repo, autograder/source, venv, .git/hooks",
    },
    "write_poison_source_root": {
        "own_process": True,
        "answer": P.POISON_SOURCE,
        "flow": "poison_source",
        "forbid": ["poisoned"],
        "flag": True,
        "flag_match": "other processes|parent process|tried to write",
        "about": "rewrite --source-root's tests; next learner graded",
    },
    # -- containment ---------------------------------------------------------------------------
    "escape_setsid_survivor": {
        "own_process": True,
        "answer": P.SETSID_SURVIVOR,
        "persist": True,
        "flag": True,
        "about": "setsid child ignoring SIGTERM rewrites feedback later",
    },
    "escape_double_fork": {
        "own_process": True,
        "answer": P.DOUBLE_FORK,
        "persist": True,
        "flag": True,
        "about": "double-forked daemon ignoring signals",
    },
    "escape_kernel_ignores_sigterm": {
        "answer": P.KERNEL_IGNORES_SIGTERM,
        "persist": True,
        "flag": True,
        "about": "kernel ignores SIGTERM, non-daemon thread, atexit",
    },
    "escape_orphan_ignoring_sigterm": {
        "answer": P.ORPHAN_IGNORING_SIGTERM,
        "persist": True,
        "flag": True,
        "about": "forked sh with SIGTERM ignored (inherited)",
    },
    "resource_memory_bomb": {
        "answer": P.MEMORY_BOMB,
        "forbid": ["membomb_done"],
        "about": "7 GB in one process",
    },
    "resource_memory_bomb_processes": {
        "answer": P.MEMORY_BOMB_PROCS,
        "check": ["memory_total"],
        "about": "4 processes x 2 GB, each under a per-process cap",
    },
    "resource_disk_fill": {
        "answer": P.DISK_FILL,
        "check": ["disk"],
        "about": "fills every folder the kernel may write, in 32 MB files",
    },
    "resource_fork_bomb": {
        "answer": P.FORK_BOMB,
        "check": ["forks"],
        "persist": True,
        "about": "400 forked sleepers",
    },
    "resource_huge_output": {
        "answer": P.HUGE_OUTPUT,
        "check": ["size"],
        "about": "64 MB of stdout in one cell",
    },
    "resource_huge_exception": {
        "answer": P.HUGE_EXCEPTION,
        "check": ["size"],
        "about": "a 20 MB exception message in both test cells",
    },
    "resource_many_slow_cells": {
        "answer": P.STUB,
        "before": [P.SLOW_CELL] * 20,
        "timeout": 2,
        "submission_timeout": 8,
        "check": ["wall"],
        "about": "20 cells of 1.6 s (2 s per cell, 8 s per submission)",
    },
    "network_tcp_localhost": {
        "answer": P.NETWORK_TCP,
        "check": ["network"],
        "flag": True,
        "forbid": ["tcp_connected"],
        "about": "connect to a 127.0.0.1 listener; default route; ifaces",
    },
    "network_unix_sockets": {
        "answer": P.NETWORK_UNIX,
        "check": ["network"],
        "flag": True,
        "forbid": ["unix_abstract_connected", "unix_path_connected"],
        "about": "connect to abstract and path Unix sockets of the host",
    },
    "broken_fifo_sidecar": {
        "answer": None,
        "setup": [["fifo", "data.fifo", ""]],
        "about": "a FIFO beside the notebook",
    },
    "broken_fifo_notebook": {
        "answer": None,
        "drop": True,
        "setup": [["fifo", "squares.ipynb", ""]],
        "about": "the notebook itself is a FIFO",
    },
    "broken_symlink_loop": {
        "answer": None,
        "setup": [["symlink", "a.txt", "b.txt"], ["symlink", "b.txt", "a.txt"]],
        "about": "two symlinks pointing at each other",
    },
    "broken_dir_symlink_loop": {
        "answer": None,
        "setup": [["symlink", "loop", "."]],
        "about": "a folder symlink to itself",
    },
    "broken_notebook_self_link": {
        "answer": None,
        "drop": True,
        "setup": [["symlink", "squares.ipynb", "squares.ipynb"]],
        "about": "the notebook is a symlink to itself",
    },
    "signal_the_grader": {
        "own_process": True,
        "answer": P.SIGNAL_GRADER,
        "forbid": ["signalled"],
        "flag": True,
        "about": "SIGTERM and SIGINT to the grading process",
    },
    # -- output that attacks whoever reads it ------------------------------------------------
    "xss_stream_and_error": {
        "answer": P.XSS_STREAM_AND_ERROR,
        "check": ["html"],
        "about": "<script> and onerror in print and in an exception",
    },
    "xss_rich_outputs": {
        "answer": P.XSS_RICH,
        "check": ["html"],
        "about": "display(HTML/Javascript/SVG/Markdown/raw text/html)",
    },
    "xss_markdown_answer": {
        "answer": None,
        "explain": P.XSS_MARKDOWN_ANSWER,
        "check": ["html"],
        "about": "<script>/onerror/javascript: in the written answer",
    },
    "xss_markdown_variants": {
        "answer": None,
        "explain": P.XSS_MARKDOWN_VARIANTS,
        "check": ["html"],
        "about": "raw <a>/<svg onload>/data: iframe/object/form/meta "
        "refresh/ontoggle/reference links in the written answer",
    },
    "ansi_in_exception": {
        "answer": P.ANSI_EXCEPTION,
        "check": ["ansi"],
        "about": "escape codes that rewrite the terminal's score line",
    },
    "ansi_in_stderr_and_ename": {
        "answer": P.ANSI_STDERR_ENAME,
        "check": ["ansi"],
        "about": "escapes in stderr, in the exception type and C1 CSI",
    },
}


def write_case(name: str, spec: dict, releases: dict[str, dict]) -> None:
    fixture = spec.get("fixture", "fixture_module")
    folder = CASES / name
    submission = folder / "submission"
    submission.mkdir(parents=True)
    if spec.get("flow") not in ("reference", "symlink_dir") and not spec.get("drop"):
        for filename, nb in releases[fixture].items():
            answer_id = "squares" if fixture == "fixture_module" else "answer"
            answers = {}
            if spec.get("answer") is not None:
                answers[answer_id] = spec["answer"]
            if spec.get("explain") is not None:
                answers["explain"] = spec["explain"]
            out = edited(nb, answers, spec.get("before", []), spec.get("end", []))
            if spec.get("transform") in TRANSFORMS:
                out = TRANSFORMS[spec["transform"]](out)
            nbformat.write(out, submission / filename)
    for relpath, text in spec.get("files", {}).items():
        path = submission / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    meta = {
        "name": name,
        "fixture": fixture,
        "about": spec["about"],
        "baseline": spec.get("baseline", 0),
        "exact": spec.get("exact"),
        "flag": spec.get("flag", False),
        "flag_match": spec.get("flag_match"),
        "forbid": spec.get("forbid", []),
        "persist": spec.get("persist", False),
        "own_process": spec.get("own_process", False),
        "timeout": spec.get("timeout", 20),
        "submission_timeout": spec.get("submission_timeout"),
        "flow": spec.get("flow", "plain"),
        "setup": spec.get("setup", []),
        "check": spec.get("check", []),
    }
    (folder / "case.json").write_text(json.dumps(meta, indent=1) + "\n")


def main() -> None:
    calc = build_calc_source()
    releases = {
        "fixture_module": release_of("fixture_module", FIXTURE_SOURCE),
        "calc_module": release_of("calc_module", calc.parent),
    }
    only = sys.argv[1:]  # names: rewrite just these cases
    if CASES.exists() and not only:
        shutil.rmtree(CASES)
    for name, spec in CASE_SPECS.items():
        if not only or name in only:
            shutil.rmtree(CASES / name, ignore_errors=True)
            write_case(name, spec, releases)
    print(f"{len(only) or len(CASE_SPECS)} cases written to {CASES}")


if __name__ == "__main__":
    main()
