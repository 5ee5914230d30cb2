"""An audit hook in the graded kernel that reports reach-out attempts to the grader over a pipe.

The sandbox keeps learner code from reaching the repository, the gradebook, other processes or
the network, but a contained attempt leaves no trace by itself. This module puts a
``sys.addaudithook`` hook into the kernel before ipykernel (and so any learner code) starts; a
hook cannot be removed once added. It reports, one line each:

* opening, listing or changing a path outside what the kernel may use (its working folder,
  home and /tmp for writing; the installed roots and system folders for reading; /proc only for
  itself), by learner code or by a library learner code called;
* starting processes, sending signals, network sockets, ctypes calls, reaching objects through
  the garbage collector, building code objects, trace/profile functions and further audit
  hooks, imports of the grader itself: when learner code does it directly (the innermost frame
  outside the standard library is the learner's), so libraries that do so on their own
  (threadpoolctl's ctypes, a tokenizer's subprocess) never count.

The channel: each report is written with ``os.write`` to a pipe the grader reads, synchronously,
before the audited operation goes ahead, so what was sent cannot be taken back. Learner code can
write to the pipe too, but extra lines only add evidence against it. To blind the hook it would
have to close or replace the pipe: the hook checks the descriptor is still the same pipe before
every write and ends the kernel (exit 71) when it is not, and every state check of the grader
sends a fresh nonce through the hook (``sys.audit("autograder.check", nonce)``), so a pipe that
stopped carrying the hook's lines is noticed at the next check.

Each report names the cell its learner line is in (ipykernel's name for the cell's code, a hash
of its source), and the grader drops reports from the course's own cells: a plain cell of the
release that starts the gate CLI is the course's doing, not the learner's. Renaming cells
(IPYKERNEL_CELL_NAME) or compiling code under a cell's name is itself reported. What this cannot
see: learner code that rebinds IPython's own cell-naming function in the process; such code still
runs inside the sandbox, only without this evidence.
"""

from __future__ import annotations

import os
import re
import threading
import time

HEARTBEAT_EVENT = "autograder.check"
MAX_BYTES = 256 * 1024  # read from one kernel; beyond it the channel counts as flooded
MAX_RECORDS = 50  # distinct attempts kept per notebook

# Runs in the kernel as `python -I -c BOOT ...`: installs the hook, then starts ipykernel.
# Everything the hook uses is bound when it is installed, so rebinding os.write, posixpath
# or sys._getframe later changes nothing. The hook keeps no state learner code can reach
# except through gc/ctypes/frames, which are themselves reported first.
_HOOK = r'''
def _install(fd, config):
    import os, sys, posixpath, stat
    write, fstat, getcwd, exit_, environ = os.write, os.fstat, os.getcwd, os._exit, os.environ
    normpath, join, realpath = posixpath.normpath, posixpath.join, posixpath.realpath
    getframe, isdir = sys._getframe, stat.S_ISDIR
    boot_globals = sys._getframe(1).f_globals
    first = fstat(fd)
    ident = (first.st_dev, first.st_ino)
    own_pid = str(os.getpid())
    rw = tuple(config["rw"])
    ro = tuple(config["ro"])
    roots = tuple(config["roots"])
    stdlib = tuple(config["stdlib"])
    shadow = tuple(config.get("shadow", ()))  # the host checkout's folders inside a writable one
    sent = set()
    path_events = {"open", "os.listdir", "os.scandir", "glob.glob", "os.chdir", "os.mkdir",
                   "os.remove", "os.rmdir", "os.rename", "os.link", "os.symlink", "os.truncate",
                   "os.chmod", "os.chown", "os.utime", "shutil.rmtree", "shutil.copyfile",
                   "shutil.copytree", "shutil.move", "shutil.chown", "shutil.make_archive",
                   "shutil.unpack_archive", "os.listxattr", "os.setxattr", "os.removexattr",
                   "sqlite3.connect"}
    direct_events = {
        "subprocess.Popen": "starts a process", "os.system": "runs a shell command",
        "os.exec": "replaces the process", "os.posix_spawn": "starts a process",
        "os.spawn": "starts a process", "os.fork": "forks the kernel",
        "os.forkpty": "forks the kernel", "pty.spawn": "starts a process",
        "os.kill": "sends a signal", "os.killpg": "sends a signal",
        "signal.pthread_kill": "sends a signal",
        "socket.connect": "connects a socket", "socket.bind": "binds a socket",
        "socket.sendto": "sends on a socket", "ctypes.dlopen": "loads a C library (ctypes)",
        "ctypes.dlsym": "looks up a C symbol (ctypes)", "ctypes.call_function": "calls C (ctypes)",
        "ctypes.addressof": "takes a raw address (ctypes)",
        "ctypes.cdata": "reads raw memory (ctypes)",
        "ctypes.string_at": "reads raw memory (ctypes)",
        "gc.get_objects": "walks every object (gc)", "gc.get_referrers": "reaches referrers (gc)",
        "gc.get_referents": "reaches referents (gc)", "code.__new__": "builds a code object",
        "sys.settrace": "sets a trace function", "sys.setprofile": "sets a profile function",
        "sys.addaudithook": "adds an audit hook",
    }
    write_events = path_events - {"open", "os.listdir", "os.scandir", "glob.glob", "os.chdir",
                                  "os.listxattr"}

    def send(line):
        try:
            now = fstat(fd)
            if (now.st_dev, now.st_ino) != ident:
                exit_(71)
            write(fd, (line.replace("\n", " ")[:400] + "\n").encode("utf-8", "replace"))
        except OSError:
            exit_(71)

    def learner_file(code, frame):
        name = code.co_filename
        if name.startswith("<"):
            return (not name.startswith("<frozen") and frame.f_globals is not boot_globals
                    and frame.f_globals.get("__name__") == "__main__")
        return not name.startswith(roots)

    def frames():
        frame = getframe(2)
        while frame is not None:
            if frame.f_globals is not boot_globals:  # the hook itself and the boot module
                yield frame
            frame = frame.f_back

    def by_learner(direct):
        for frame in frames():
            code = frame.f_code
            if learner_file(code, frame):
                return True
            if direct and not (code.co_filename.startswith(stdlib)
                               or code.co_filename.startswith("<frozen")):
                return False
        return False

    def where():
        """The learner line and the notebook cell it is in (ipykernel names a cell's code
        <tmp>/ipykernel_<pid>/<hash of its source>.py), so the grader can tell the course's
        own cells from the learner's."""
        for frame in frames():
            if learner_file(frame.f_code, frame):
                folder, _, base = frame.f_code.co_filename.rpartition("/")
                cell = base[:-3] if folder.rpartition("/")[2].startswith("ipykernel_") else ""
                if "IPYKERNEL_CELL_NAME" in environ:  # cells named by whoever set it
                    cell = ""
                return f", line {frame.f_lineno}", cell
        return "", ""

    def text(value):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return value if isinstance(value, str) else None

    def absolute(path):
        try:
            path = normpath(join(getcwd(), path))
            if path.startswith(rw):
                path = realpath(path)  # a link planted where the kernel may write
        except Exception:
            pass
        return path

    def outside(path, writing):
        folder = path.rstrip("/") + "/"
        if path in ("/dev/null", "/dev/zero", "/dev/urandom"):
            return None
        if folder.startswith(rw) and not folder.startswith(shadow):
            return None
        if writing:
            return "tried to write outside its folders"
        if path.startswith("/proc/"):
            part = path[6:].split("/", 1)
            if part[0].isdigit() and part[0] != own_pid:
                return "tried to read another process's files"
            if part[1:] and part[1].startswith("environ"):
                return "read the whole environment"
            return None
        if folder.startswith(ro) or folder.startswith(roots):
            return None
        return "tried to read outside its folders"

    def report(kind, detail):
        line, cell = where()
        key = (kind, detail, cell)
        if key in sent or len(sent) > 200:
            return
        sent.add(key)
        send(f"A\t{kind}{line}\t{detail}\t{cell}")

    def hook(event, args):
        if event == "autograder.check":
            send(f"C\t{args[0]}")
            return
        if event in path_events:
            writing = event in write_events
            if event == "open":
                mode, flags = args[1], args[2] if len(args) > 2 else 0
                writing = bool((isinstance(mode, str) and any(c in mode for c in "wax+"))
                               or (isinstance(flags, int) and flags & 0o3103))
            paths = [text(a) for a in args[:2] if text(a) is not None]
            if event in ("open", "os.listdir", "os.scandir", "glob.glob", "os.chdir",
                         "sqlite3.connect"):
                paths = paths[:1]
            if event == "os.listdir" and args and args[0] is None:
                return
            for path in paths:
                if event == "glob.glob":
                    path = path.split("*")[0].split("?")[0].split("[")[0] or "."
                full = absolute(path)
                if "/__pycache__" in full and getframe(1).f_code.co_filename.startswith(
                    "<frozen importlib"
                ):
                    continue  # the import system caching bytecode, not the learner
                verb = outside(full, writing)
                if verb and by_learner(False):
                    report(f"{verb} ({event})", full)
            return
        if event == "os.putenv" and text(args[0]) == "IPYKERNEL_CELL_NAME":
            report("renames the notebook's cells", "")  # it would forge which cell ran code
            return
        if event == "compile" and len(args) > 1 and by_learner(True):
            name = text(args[1]) or ""
            if name.rpartition("/")[0].rpartition("/")[2].startswith("ipykernel_"):
                report("compiles code under a notebook cell's name", name)
            return
        if event == "import":
            name = str(args[0]).split(".")[0]
            if name in ("autograder", "nbgrader") and by_learner(True):
                report("tried to import the grader", str(args[0]))
            return
        what = direct_events.get(event)
        if what and by_learner(True):
            shown = event.startswith(("subprocess", "os.", "pty", "socket", "signal"))
            report(what, " ".join(repr(a)[:80] for a in args[:2]) if shown else "")

    sys.addaudithook(hook)
'''

_BOOT = (
    _HOOK
    + r"""
import sys as _sys
_install(int(_sys.argv.pop(1)), __import__("json").loads(_sys.argv.pop(1)))
del _install, _sys
from ipykernel import kernelapp as _app
_app.launch_new_instance()
"""
)


def cell_code_name(source: str) -> str:
    """The name ipykernel gives a cell's code (the file stem in tracebacks): a hash of its
    source. The grader computes it for the course's own cells to tell them from the learner's."""
    from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86

    return str(murmur2_x86(source, get_tmp_hash_seed()))


def boot_command(python: str, fd: int, config: dict) -> list[str]:
    """``python -I -c BOOT FD CONFIG``: the kernel command prefix that installs the hook first.

    ``config`` holds the folders the kernel may write (``rw``), read (``ro``), the install
    roots (``roots``: code there is not the learner's) and the standard library (``stdlib``).
    """
    import json

    return [python, "-I", "-c", _BOOT, str(fd), json.dumps(config)]


_SAFE = re.compile(r"[^\w./<>:()'=#\[\] ,+-]")


class AuditChannel:
    """The grader's end of the pipe: a thread reads the kernel's lines; nothing it sends is
    trusted beyond being evidence (lines are cleaned, capped and counted)."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.records: list[str] = []
        self.cells: dict[str, str] = {}  # record -> the code name of the cell it came from
        self.flooded = False
        self._nonces: set[str] = set()
        self._cond = threading.Condition()
        self._eof = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def child_started(self) -> None:
        """Close the grader's copy of the write end: EOF then means the kernel is gone."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def _read(self) -> None:
        buffer, total = b"", 0
        try:
            while True:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_BYTES:
                    self.flooded = True
                    continue  # keep draining so the kernel never blocks on a full pipe
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self._take(line.decode("utf-8", "replace"))
        except OSError:
            pass
        finally:
            self._eof.set()
            with self._cond:
                self._cond.notify_all()

    def _take(self, line: str) -> None:
        kind, _, rest = line.partition("\t")
        with self._cond:
            if kind == "C":
                self._nonces.add(rest.strip())
            elif kind == "A":
                what, _, rest = rest.partition("\t")
                detail, _, cell = rest.partition("\t")
                record = f"{_SAFE.sub('?', what)[:160]}: {_SAFE.sub('?', detail)[:160]}".rstrip()
                cell = cell.strip() if cell.strip().isdigit() else ""
                if record in self.records and self.cells.get(record) != cell:
                    self.cells[record] = ""  # seen from two cells: nobody's alone, keep it
                elif record not in self.records and len(self.records) < MAX_RECORDS:
                    self.records.append(record)
                    self.cells[record] = cell[:24]
            else:
                self.records.append("the audit channel carried a line the hook never writes")
            self._cond.notify_all()

    def saw_check(self, nonce: str, timeout: float = 10.0) -> bool:
        """True once the hook has sent this state check's nonce back through the pipe."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while nonce not in self._nonces:
                left = deadline - time.monotonic()
                if left <= 0 or self._eof.is_set():
                    return nonce in self._nonces
                self._cond.wait(left)
            return True

    def finish(
        self, timeout: float = 2.0, trusted_cells: frozenset[str] = frozenset()
    ) -> list[str]:
        """Wait for the kernel's end of the pipe to close; every record, flooding included,
        except those that came from a cell in ``trusted_cells`` (the course's own code, named
        by ``cell_code_name``)."""
        self.child_started()
        self._eof.wait(timeout)
        with self._cond:
            found = [r for r in self.records if self.cells.get(r, "") not in trusted_cells]
        if self.flooded:
            found.append(f"the kernel sent more than {MAX_BYTES // 1024} KB of audit lines")
        return found

    def close(self) -> None:
        """Release the pipe once the kernel has let go of it (safe to call twice)."""
        self.child_started()
        if self._eof.wait(2.0) and self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1
