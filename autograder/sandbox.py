"""Run each graded notebook's kernel in a sandbox the learner's code cannot escape or reach out of.

nbgrader executes a notebook through jupyter_client, so the sandbox is a KernelManager whose
kernel command wraps ``python -I -m ipykernel_launcher -f {connection_file}``:

* bubblewrap (``bwrap``) builds a new mount namespace holding only what the kernel must import,
  read-only (the interpreter, the venv, the ``course`` package, /usr), a private home and a
  private working folder with copies of the learner's notebooks; plus new PID, network, IPC and
  UTS namespaces (the network namespace has only ``lo``; the whole process tree dies with the
  sandbox's PID 1, setsid and SIGTERM-ignoring children included).
* As root, ``setpriv`` drops to a throwaway uid/gid that owns nothing on the host (a fresh one per
  kernel, so RLIMIT_NPROC counts only this sandbox) with no capabilities and no_new_privs.
  As a normal user, bwrap's user namespace maps the kernel to ``nobody`` with no capabilities.
* ``prlimit`` caps address space, processes, file size and CPU seconds.
* The kernel's home and working folder are one size-limited tmpfs (the grader's copies of the
  notebook and data files bound in read-only), /tmp another; everything else bwrap made is
  remounted read-only, so a kernel can fill neither the host's disk nor more than that.
* An audit hook (autograder.kernel_audit) is installed before ipykernel starts and reports
  attempts to reach outside over a pipe only the kernel holds.
* The environment is rebuilt from nothing: no keys, no COURSE_* settings except the simulator
  and a private COURSE_HOME.
* The kernel talks to the grader over ZeroMQ ``ipc`` sockets in a folder shared with the sandbox,
  because a kernel in its own network namespace cannot reach the grader's TCP ports.

Where bubblewrap cannot run (not Linux, not installed, user namespaces disabled) the kernel
still starts in isolated mode, in the private folder, with the scrubbed environment and rlimits,
and ``SandboxInfo`` says exactly which protections are missing.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Dict, Integer, Unicode

import course
from autograder import kernel_audit

INSIDE_HOME = "/home/learner"
INSIDE_WORK = f"{INSIDE_HOME}/work"
NOBODY = 65534
# Throwaway uids: far above any real account (useradd stops at 60000); one per kernel.
UID_RANGE = (1_500_000, 1_900_000)

DEFAULT_LIMITS: dict[str, int] = {
    "as": 6 * 1024**3,  # bytes of address space per process (numpy/faiss threads reserve a lot)
    "nproc": 256,  # tasks (processes and threads) of the throwaway uid
    "fsize": 64 * 1024**2,  # bytes per file written
    "cpu": 1800,  # CPU seconds per process
    "nofile": 1024,
}
TMP_SIZE = 256 * 1024**2  # the kernel's /tmp is a tmpfs of this size
HOME_SIZE = 512 * 1024**2  # its home (working folder included) is a tmpfs of this size
# Folders a kernel may read besides the install roots (the audit hook reports reads elsewhere).
SYSTEM_READ = (
    "/usr/",
    "/etc/",
    "/lib/",
    "/lib32/",
    "/lib64/",
    "/libx32/",
    "/bin/",
    "/sbin/",
    "/opt/",
    "/sys/",
    "/dev/",
    "/var/lib/",
    "/var/cache/",
    "/run/",
)
TREE_MEMORY = 4 * 1024**3  # bytes of memory for the kernel's whole process tree (cgroup)
TREE_PIDS = 512  # tasks in the kernel's whole process tree (cgroup)
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Moves the shell into each cgroup.procs file given, then becomes the sandbox: every process
# the kernel starts is born inside the groups.
_JOIN = (
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 97; shift; n=$((n-1)); done; '
    'exec "$@"'
)


def cgroup_parents() -> dict[str, Path]:
    """Writable cgroup folders for memory and pids (v2 unified, else v1), as root only."""
    if not (_as_root() and CGROUP_ROOT.is_dir()):
        return {}
    found: dict[str, Path] = {}
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.is_file():  # pure v2
        enabled = set(controllers.read_text().split())
        if {"memory", "pids"} <= enabled and os.access(CGROUP_ROOT, os.W_OK):
            return {"memory": CGROUP_ROOT, "pids": CGROUP_ROOT}
        return {}
    for name in ("memory", "pids"):  # v1 (or hybrid): one hierarchy per controller
        folder = CGROUP_ROOT / name
        if (folder / "cgroup.procs").is_file() and os.access(folder, os.W_OK):
            found[name] = folder
    return found


def make_cgroups(tag: str) -> list[Path]:
    """Create this kernel's groups with the memory and task limits; [] where impossible."""
    parents = cgroup_parents()
    made: list[Path] = []
    try:
        for controller, parent in parents.items():
            group = parent / f"autograder-{tag}"
            if group in made:
                continue
            group.mkdir()
            made.append(group)
            v2 = (group / "memory.max").exists() or (group / "cgroup.controllers").exists()
            if controller == "memory" or v2:
                limit = "memory.max" if v2 else "memory.limit_in_bytes"
                if (group / limit).exists():
                    (group / limit).write_text(str(TREE_MEMORY))
            if (controller == "pids" or v2) and (group / "pids.max").exists():
                (group / "pids.max").write_text(str(TREE_PIDS))
    except OSError:
        remove_cgroups(made)
        return []
    return made


def remove_cgroups(groups: list[Path]) -> None:
    """Remove empty groups (the PID namespace is gone once the kernel is)."""
    for group in groups:
        for _ in range(20):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:  # still has a dying process: wait a little
                import time

                time.sleep(0.05)


@dataclass(frozen=True)
class SandboxInfo:
    """What protected the kernels of one grading: shown in the report, asserted by tests."""

    mechanism: str  # "bwrap+setpriv (root)", "bwrap (user namespace)" or "none"
    protections: tuple[str, ...]
    missing: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        """True when the kernel ran in its own namespaces (filesystem, network, PIDs)."""
        return self.mechanism != "none"

    def summary(self) -> str:
        """One line for the terminal report."""
        text = f"sandbox: {self.mechanism}; " + ", ".join(self.protections)
        if self.missing:
            text += "; NOT active: " + "; ".join(self.missing)
        return text


def _which(name: str) -> str | None:
    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin"]))
    return str(Path(found).resolve()) if found else None


@functools.cache
def _bwrap_works(as_root: bool) -> str | None:
    """None when bwrap can build the namespaces we need here; otherwise why not."""
    bwrap = _which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    probe = [bwrap, *_namespace_flags(as_root), "--ro-bind", "/", "/", "--", "/bin/true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})"
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return f"bubblewrap cannot create namespaces here ({why[0]})"
    return None


def _namespace_flags(as_root: bool) -> list[str]:
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    flags += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if not as_root:
        flags += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL"]
    return flags


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def plan(enabled: bool = True) -> SandboxInfo:
    """Decide what this machine can enforce; the same answer for every kernel of a run."""
    always = ["isolated python (-I, no sidecar files on sys.path)", "scrubbed environment"]
    always.append("private working folder with copies of the notebooks only")
    missing: list[str] = []
    prlimit = _which("prlimit")
    if prlimit:
        always.append("rlimits (address space, processes, file size, CPU)")
    else:
        missing.append("rlimits: util-linux prlimit not found")
    if not enabled:
        return SandboxInfo("none", tuple(always), (*missing, "sandbox disabled by the caller"))
    if not sys.platform.startswith("linux"):
        why = f"namespaces need Linux, not {sys.platform}"
        return SandboxInfo("none", tuple(always), (*missing, why))
    as_root = _as_root()
    why_not = _bwrap_works(as_root)
    if why_not:
        return SandboxInfo("none", tuple(always), (*missing, why_not))
    if as_root and not _which("setpriv"):
        return SandboxInfo("none", tuple(always), (*missing, "util-linux setpriv not found"))
    protections = [
        *always,
        "read-only view of the installed packages only (no sources, gradebook, repository, "
        "other learners)",
        "no network (own network namespace: lo only)",
        "own PID namespace (the process tree dies with the kernel)",
        "throwaway uid without capabilities" if as_root else "user namespace, uid nobody, no caps",
    ]
    if cgroup_parents():
        protections.append(
            f"cgroup limits for the whole process tree ({TREE_MEMORY // 1024**3} GB memory, "
            f"{TREE_PIDS} tasks)"
        )
    else:
        missing.append("cgroup limits for the whole tree (needs root and writable cgroups)")
    mechanism = "bwrap+setpriv (root)" if as_root else "bwrap (user namespace)"
    return SandboxInfo(mechanism, tuple(protections), tuple(missing))


def readable_roots() -> list[Path]:
    """What the kernel must be able to import: interpreter, venv, the course package. Read-only."""
    roots = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(course.__file__).resolve().parent,
        Path(sysconfig.get_paths()["stdlib"]).resolve(),
        Path(sys.executable).resolve().parent.parent,
    }
    roots |= {Path(p).resolve() for p in sys.path if "site-packages" in p and Path(p).is_dir()}
    resolved = sorted({r.resolve() for r in roots if r.exists()}, key=lambda p: len(p.parts))
    kept: list[Path] = []  # drop roots inside another root
    for root in resolved:
        if not any(root.is_relative_to(k) for k in kept):
            kept.append(root)
    return kept


def _shadowed(writable: list[str], roots: list[Path]) -> list[str]:
    """Folders of the host checkout that lie inside a folder the kernel may write (a CI clone
    under /tmp): touching them is reaching for the checkout, not using scratch space."""
    found = set()
    for folder in writable:
        base = Path(folder)
        for root in roots:
            if root != base and root.is_relative_to(base):
                top = base / root.relative_to(base).parts[0]
                found.add(str(top).rstrip("/") + "/")
    return sorted(found)


def kernel_env(python: str) -> dict[str, str]:
    """The whole environment of a graded kernel: nothing inherited from the grader."""
    bin_dir = str(Path(python).parent)
    return {
        "HOME": INSIDE_HOME,
        "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "COURSE_PROVIDER": "sim",
        "COURSE_HOME": f"{INSIDE_HOME}/.course",
        "MPLCONFIGDIR": f"{INSIDE_HOME}/.config/matplotlib",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "2",
        "OPENBLAS_NUM_THREADS": "2",
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def _dirs_for(path: Path) -> list[str]:
    """bwrap args making every ancestor of ``path`` traversable (bwrap's default is 0700)."""
    args: list[str] = []
    for parent in reversed(path.parents[:-1]):  # skip "/"; bwrap accepts a folder made twice
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def prepare_folder(folder: Path, uid: int | None) -> None:
    """Make a grader-made folder usable by the kernel's uid (as root) and nobody else."""
    folder.mkdir(parents=True, exist_ok=True)
    if uid is None:
        return
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            os.chown(path, uid, uid)


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in the sandbox described in the module docstring.

    Configured per notebook by the grader: ``sandbox_root`` holds ``work/`` (the kernel's
    working folder, copies of the notebooks) and ``home/``; the connection file and ipc sockets
    go to a short-named private folder in /tmp (socket paths are limited to ~100 characters),
    removed when the kernel is cleaned up. Interrupts are sent as messages: a signal to the
    bwrap process would not reach a kernel in another session.
    """

    sandbox_root = Unicode("", help="folder holding work/, home/, run/ for this kernel").tag(
        config=True
    )
    use_bwrap = Bool(True, help="build namespaces with bubblewrap when possible").tag(config=True)
    limits = Dict(DEFAULT_LIMITS, help="prlimit values: as, nproc, fsize, cpu, nofile").tag(
        config=True
    )
    uid = Integer(0, help="throwaway uid for the kernel as root (0: pick one)").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.sandbox_root:
            raise ValueError("SandboxKernelManager needs sandbox_root (set by the grader)")
        self.info = plan(self.use_bwrap)
        root = Path(self.sandbox_root)
        self.work_dir, self.home_dir = root / "work", root / "home"
        # Socket paths must stay under ~100 characters (sun_path), whatever the grading folder.
        short = "/tmp" if os.name == "posix" else None
        self.run_dir = Path(tempfile.mkdtemp(prefix="ag-", dir=short))
        self.kernel_uid: int | None = None
        self.cgroups: list[Path] = []
        if self.info.active and _as_root():
            fresh = UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0])
            self.kernel_uid = self.uid or fresh
        for folder in (self.work_dir, self.home_dir, self.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
        (self.home_dir / ".config" / "matplotlib").mkdir(parents=True, exist_ok=True)
        (self.home_dir / ".course").mkdir(parents=True, exist_ok=True)
        self._seed_font_cache()
        for folder in (self.work_dir, self.home_dir, self.run_dir):
            prepare_folder(folder, self.kernel_uid)
        if self.info.active:  # the kernel has no network: ZeroMQ over unix sockets
            self.transport = "ipc"
            self.ip = str(self.run_dir / "zmq")
        self.connection_file = str(self.run_dir / "kernel.json")
        self.audit = kernel_audit.AuditChannel()

    def _seed_font_cache(self) -> None:
        """Copy matplotlib's font cache in: building it costs seconds per kernel."""
        try:
            import matplotlib

            for cache in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
                shutil.copyfile(cache, self.home_dir / ".config" / "matplotlib" / cache.name)
        except Exception:  # only speed is at stake
            return

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.kernel_uid is not None:
            os.chown(self.connection_file, self.kernel_uid, self.kernel_uid)

    def audit_config(self) -> dict[str, list[str]]:
        """Where the kernel may write and read, for the audit hook (paths as the kernel sees
        them)."""
        if self.info.active:
            writable = [INSIDE_HOME, "/tmp", "/var/tmp", "/dev/shm", str(self.run_dir)]
        else:
            writable = [str(self.home_dir), str(self.work_dir), str(self.run_dir)]
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        return {
            "rw": [w.rstrip("/") + "/" for w in writable],
            "shadow": _shadowed(writable, readable_roots()),
            "ro": list(SYSTEM_READ),
            "roots": [str(r).rstrip("/") + "/" for r in readable_roots()],
            "stdlib": sorted({f"{stdlib}/", f"{stdlib.resolve()}/"}),
        }

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        python = str(Path(sys.executable))
        boot = kernel_audit.boot_command(python, self.audit.write_fd, self.audit_config())
        kernel = [*boot, "-f", self.connection_file]
        kernel += ["--IPKernelApp.ignore_cwd=True", *(extra_arguments or [])]
        limits = self._prlimit()
        if not self.info.active:
            return limits + kernel
        command = self._bwrap(python) + self._drop_privileges() + limits + kernel
        if not self.cgroups:
            self.cgroups = make_cgroups(self.run_dir.name)
        if self.cgroups:
            procs = [str(group / "cgroup.procs") for group in self.cgroups]
            command = ["/bin/sh", "-c", _JOIN, "sh", str(len(procs)), *procs, *command]
        return command

    def _prlimit(self) -> list[str]:
        prlimit = _which("prlimit")
        if not prlimit:
            return []
        return [prlimit, *(f"--{name}={value}" for name, value in self.limits.items()), "--"]

    def _drop_privileges(self) -> list[str]:
        if self.kernel_uid is None:
            return []
        uid = str(self.kernel_uid)
        return [
            _which("setpriv") or "setpriv",
            "--reuid", uid, "--regid", uid, "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--",
        ]  # fmt: skip

    def _bwrap(self, python: str) -> list[str]:
        args = [_which("bwrap") or "bwrap", *_namespace_flags(_as_root())]
        for system in ("/usr", "/etc/ld.so.cache", "/etc/fonts", "/etc/localtime"):
            if Path(system).exists():
                args += [*_dirs_for(Path(system)), "--ro-bind", system, system]
        for link in ("bin", "lib", "lib64", "sbin"):
            if Path(f"/{link}").is_symlink():
                args += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
            elif Path(f"/{link}").is_dir():
                args += ["--ro-bind", f"/{link}", f"/{link}"]
        # The private /tmp first: a checkout or venv under /tmp (a CI clone) is bound on top.
        args += ["--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
        # The checkout's own folders under /tmp get a small tmpfs of their own, made read-only
        # below: writing "into the repository" must fail there as it does anywhere else.
        shadow = _shadowed(["/tmp"], readable_roots())
        for folder in shadow:
            args += ["--perms", "0755", "--size", str(1024**2), "--tmpfs", folder.rstrip("/")]
        for root in readable_roots():
            args += [*_dirs_for(root), "--ro-bind", str(root), str(root)]
        args += ["--proc", "/proc", "--dev", "/dev"]
        # Home and working folder: one size-limited tmpfs, so a kernel can fill neither the
        # host's disk nor memory beyond HOME_SIZE; the grader's files are bound in read-only.
        args += [*_dirs_for(Path(INSIDE_HOME)), "--perms", "0777", "--size", str(HOME_SIZE)]
        args += ["--tmpfs", INSIDE_HOME]
        for folder in sorted(p for p in self.home_dir.rglob("*") if p.is_dir()):
            inside = f"{INSIDE_HOME}/{folder.relative_to(self.home_dir)}"
            args += ["--perms", "0777", "--dir", inside]
        args += ["--perms", "0777", "--dir", INSIDE_WORK]
        for base, inside_base in ((self.home_dir, INSIDE_HOME), (self.work_dir, INSIDE_WORK)):
            for path in sorted(p for p in base.rglob("*") if p.is_file() and not p.is_symlink()):
                args += ["--ro-bind", str(path), f"{inside_base}/{path.relative_to(base)}"]
        args += [*_dirs_for(self.run_dir), "--bind", str(self.run_dir), str(self.run_dir)]
        # Everything not mounted above (the folders bwrap made on its own root) is read-only:
        # the kernel writes only to its size-limited home and /tmp.
        for folder in shadow:
            args += ["--remount-ro", folder.rstrip("/")]
        args += ["--remount-ro", "/", "--chdir", INSIDE_WORK, "--clearenv"]
        for key, value in kernel_env(python).items():
            args += ["--setenv", key, value]
        return [*args, "--"]

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        kw["env"] = kernel_env(sys.executable) | {"HOME": str(self.home_dir)}
        if not self.info.active:  # no bwrap: the folders are real paths, /tmp is shared
            kw["env"]["COURSE_HOME"] = str(self.home_dir / ".course")
            kw["env"]["MPLCONFIGDIR"] = str(self.home_dir / ".config" / "matplotlib")
            kw["env"]["TMPDIR"] = str(self.home_dir / "tmp")
            (self.home_dir / "tmp").mkdir(exist_ok=True)
        kw["cwd"] = str(self.work_dir)
        kw["pass_fds"] = (self.audit.write_fd,)
        # The kernel's own fd 1/2 (C libraries, os.write) must never reach the grader's
        # terminal: they go to a log in the grader's folder, capped by RLIMIT_FSIZE.
        log = open(Path(self.sandbox_root) / "kernel.log", "ab")  # noqa: SIM115 - kept open
        self._kernel_log = log
        kw["stdout"] = kw["stderr"] = log
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            self.audit.child_started()  # the kernel holds the only write end now

    def lock_run_dir(self) -> None:
        """Once the kernel has bound its sockets, take back its run folder (as root): it can
        create no file there, so nothing it writes reaches the host's disk."""
        if self.kernel_uid is None:
            return
        try:
            os.chown(self.connection_file, 0, 0)
            os.chown(self.run_dir, 0, 0)
            self.run_dir.chmod(0o755)
        except OSError:
            return

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.audit.close()
            shutil.rmtree(self.run_dir, ignore_errors=True)
            if getattr(self, "_kernel_log", None) is not None:
                self._kernel_log.close()
            remove_cgroups(self.cgroups)
            self.cgroups = []

    cleanup_resources = _async_cleanup_resources

    async def _async_interrupt_kernel(self) -> None:
        if not self.has_kernel:
            raise RuntimeError("Cannot interrupt kernel. No kernel is running!")
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel  # the base class binds the name to its own method
