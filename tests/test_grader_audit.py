"""The kernel's audit hook on its own: a fresh interpreter with the hook, learner code in a file.

Fast (no kernel, no nbgrader): each test runs a small script as learner code (a file in a
"working folder") in `python -I` after the hook is installed exactly as the kernel command does,
and reads what came through the pipe with the grader's own reader.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

from autograder import kernel_audit
from autograder.sandbox import SYSTEM_READ, readable_roots

RUNNER = kernel_audit._HOOK + textwrap.dedent(
    """
    import json, runpy, sys
    _install(int(sys.argv[1]), json.loads(sys.argv[2]))
    runpy.run_path(sys.argv[3], run_name="__main__")
    """
)


def audit(
    tmp_path: Path,
    code: str,
    extra_roots: tuple[Path, ...] = (),
    *,
    cell: str = "cell.py",
    trusted: frozenset[str] = frozenset(),
) -> tuple[list[str], int]:
    """Run ``code`` as learner code under the hook, from a file named ``cell`` in the working
    folder; (records the grader keeps when ``trusted`` names the course's cells, exit status)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    script = work / cell
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(textwrap.dedent(code))
    stdlib = str(Path(sysconfig.get_paths()["stdlib"]).resolve()) + "/"
    roots = [str(r) + "/" for r in (*readable_roots(), *extra_roots)]
    (work / "tmp").mkdir(exist_ok=True)
    config = {"rw": [str(work) + "/"], "ro": list(SYSTEM_READ), "roots": roots, "stdlib": [stdlib]}
    channel = kernel_audit.AuditChannel()
    fd = channel.write_fd
    import json

    proc = subprocess.Popen(
        [sys.executable, "-I", "-c", RUNNER, str(fd), json.dumps(config), str(script)],
        cwd=work,
        pass_fds=(fd,),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(work / "tmp"), "HOME": str(work)},
    )
    channel.child_started()
    proc.communicate(timeout=60)
    records = channel.finish(trusted_cells=trusted)
    channel.close()
    return records, proc.returncode


def test_honest_code_sends_nothing(tmp_path):
    records, status = audit(
        tmp_path,
        """
        import json, tempfile, warnings, subprocess, inspect, gc, sqlite3
        from pathlib import Path
        import course
        from course.data.tickets import load_tickets
        assert load_tickets("dev")
        Path("out").mkdir()
        Path("out/a.json").write_text(json.dumps([1, 2]))
        with tempfile.TemporaryDirectory() as scratch:
            (Path(scratch) / "x").write_text("draft")
        sqlite3.connect(":memory:").execute("select 1")
        warnings.warn("careful")
        gc.collect()
        print(inspect.signature(json.dumps), open("/etc/hostname").read() if
              Path("/etc/hostname").exists() else "")
    """,
    )
    assert status == 0
    assert records == []


def test_reaching_out_is_reported_with_the_line_and_the_path(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    records, status = audit(
        tmp_path,
        f"""
        import os, subprocess
        try:
            open({str(outside / "book.db")!r}, "w").write("x")
        except OSError:
            pass
        os.listdir({str(outside)!r})
        subprocess.run(["true"])
        os.kill(os.getpid(), 0)
        import gc
        gc.get_referrers(os)
    """,
    )
    text = "\n".join(records)
    assert status == 0
    assert f"tried to write outside its folders (open), line 4: {outside}/book.db" in text
    assert f"tried to read outside its folders (os.listdir), line 7: {outside}" in text
    assert "starts a process, line 8" in text
    assert "sends a signal, line 9" in text
    assert "reaches referrers (gc), line 11" in text


def test_a_link_planted_in_the_working_folder_is_followed_to_its_target(tmp_path):
    target = tmp_path / "gradebook.db"
    target.write_text("rows")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "innocent.txt").symlink_to(target)  # the target is not in rw
    records, _ = audit(tmp_path, "print(open('innocent.txt').read())")
    assert any(str(target) in r and "tried to read" in r for r in records), records


def test_bytecode_the_import_system_caches_is_not_the_learner(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    (library / "helper_mod.py").write_text("VALUE = 7\n")
    code = f"import sys\nsys.path.insert(0, {str(library)!r})\nimport helper_mod\n"
    records, status = audit(tmp_path, code, extra_roots=(library,))
    assert status == 0 and records == []
    assert list((library / "__pycache__").glob("helper_mod.*.pyc"))  # it was written


def test_libraries_acting_on_their_own_are_not_the_learner(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    (library / "toolkit.py").write_text(
        "import subprocess\ndef run():\n    return subprocess.run(['true']).returncode\n"
    )
    code = f"import sys\nsys.path.insert(0, {str(library)!r})\nimport toolkit\ntoolkit.run()\n"
    records, _ = audit(tmp_path, code, extra_roots=(library,))
    assert records == []


def test_replacing_the_pipe_ends_the_process(tmp_path):
    _, status = audit(
        tmp_path,
        """
        import os, sys
        argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
        fd = int(argv[argv.index(b"-c") + 2])
        os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        sys.audit("autograder.check", "nonce-after-the-cut")
        print("still running")
    """,
    )
    assert status == 71


def test_forged_lines_only_add_evidence(tmp_path):
    records, _ = audit(
        tmp_path,
        """
        import os, sys
        argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
        fd = int(argv[argv.index(b"-c") + 2])
        os.write(fd, b"C\\tmade-up-nonce\\nall clean, nothing to see\\n")
    """,
    )
    assert "the audit channel carried a line the hook never writes" in records


RUN_A_TOOL = """
    import subprocess
    subprocess.run(["true"])
"""


def test_what_a_course_cell_does_is_not_held_against_the_learner(tmp_path):
    # ipykernel names a cell's code <tmp>/ipykernel_<pid>/<hash of the source>.py
    course_cell = kernel_audit.cell_code_name("subprocess.run(['true'])")
    records, _ = audit(
        tmp_path, RUN_A_TOOL, cell=f"ipykernel_7/{course_cell}.py", trusted=frozenset({course_cell})
    )
    assert records == []


def test_the_same_act_in_a_learner_cell_is_reported(tmp_path):
    course_cell = kernel_audit.cell_code_name("subprocess.run(['true'])")
    records, _ = audit(
        tmp_path, RUN_A_TOOL, cell="ipykernel_7/99999.py", trusted=frozenset({course_cell})
    )
    assert any("starts a process, line 3" in r for r in records), records


def test_forging_a_course_cell_name_is_reported(tmp_path):
    course_cell = kernel_audit.cell_code_name("print('the course')")
    records, _ = audit(
        tmp_path,
        f"""
        import os
        os.environ["IPYKERNEL_CELL_NAME"] = "/tmp/ipykernel_7/{course_cell}.py"
        code = compile("import subprocess; subprocess.run(['true'])",
                       "/tmp/ipykernel_7/{course_cell}.py", "exec")
        exec(code)
        """,
        cell="ipykernel_7/12345.py",
        trusted=frozenset({course_cell}),
    )
    text = "\n".join(records)
    assert "renames the notebook's cells" in text, records
    assert "compiles code under a notebook cell's name" in text, records
