"""Static scan of a submitted notebook: what the run-time state check cannot see.

The kernel check (autograder.kernel_check) sees hooks that are installed when a test cell runs;
it cannot see code that hides until later, that acts through the operating system, or that
rewrites objects the check does not fingerprint. This scan reads the learner's code cells (after
IPython's own transformation of magics, so ``!cmd`` and ``%%bash`` are seen as the calls they are)
and reports each construct a course notebook never needs. A finding does not change a score by
itself: it flags the notebook for a person, with the cell and line.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

from nbformat import NotebookNode

# Importing a module is not evidence by itself (subprocess, inspect, sqlite3 have honest uses);
# only these imports are: raw memory access, and the grader's own code.
SUSPICIOUS_MODULES = {
    "ctypes": "ctypes (raw memory access)",
    "cffi": "cffi (raw memory access)",
    "autograder": "the grader's own code",
    "nbgrader": "the grader's own code",
}
# (module, function) -> what calling it does; None matches any function of the module.
SUSPICIOUS_USES = {
    ("subprocess", None): "starts a process (subprocess)",
    ("pty", None): "starts a process on a pseudo-terminal",
    ("multiprocessing", "Process"): "starts a process (multiprocessing)",
    ("os", "system"): "runs a shell command",
    ("os", "popen"): "runs a shell command",
    ("os", "posix_spawn"): "starts a process",
    ("os", "posix_spawnp"): "starts a process",
    ("os", "kill"): "sends a signal to a process",
    ("os", "killpg"): "sends a signal to a process group",
    ("os", "getppid"): "looks up the parent process (the grader)",
    ("signal", "signal"): "installs a signal handler",
    ("signal", "pthread_kill"): "sends a signal",
    ("socket", None): "opens a network socket",
    ("gc", "get_referrers"): "the garbage collector (reaching objects by reference)",
    ("gc", "get_referents"): "the garbage collector (reaching objects by reference)",
    ("gc", "get_objects"): "the garbage collector (reaching objects by reference)",
    ("inspect", "currentframe"): "stack frames",
    ("inspect", "stack"): "stack frames",
    ("inspect", "getouterframes"): "stack frames",
    ("inspect", "getinnerframes"): "stack frames",
    ("inspect", "trace"): "stack frames",
    ("linecache", None): "the cell sources of the running tests (linecache)",
    ("atexit", "register"): "an exit hook",
    ("resource", "setrlimit"): "process limits",
}
SUSPICIOUS_CALLS = {
    "exec": "exec",
    "eval": "eval",
    "compile": "compile",
    "__import__": "__import__",
}
SUSPICIOUS_ATTRS = {
    "settrace": "a trace function",
    "setprofile": "a profile function",
    "addaudithook": "an audit hook",
    "_getframe": "stack frames",
    "f_back": "stack frames",
    "f_locals": "stack frames",
    "f_globals": "stack frames",
    "f_lineno": "stack frames",
    "tb_frame": "stack frames",
    "input_transformers_cleanup": "an input transformer",
    "input_transformers_post": "an input transformer",
    "input_transformer_manager": "an input transformer",
    "ast_transformers": "an AST transformer",
    "register_magic_function": "a magic",
    "showtraceback": "the traceback display",
    "_showtraceback": "the traceback display",
    "displayhook": "the display hook",
    "excepthook": "the exception hook",
    "run_cell": "the cell runner",
    "run_cell_async": "the cell runner",
    "run_code": "the cell runner",
    "run_ast_nodes": "the cell runner",
    "do_execute": "the kernel",
    "getoutput": "a shell command",
    "fork": "a forked process",
    "forkpty": "a forked process",
    "execv": "a replaced process",
    "execve": "a replaced process",
    "spawnv": "a process",
    "setsid": "a detached process",
    "meta_path": "an import hook",
    "path_hooks": "an import hook",
    "__subclasses__": "class hierarchy walking",
    "__globals__": "function globals",
    "__code__": "code objects",
    "__builtins__": "builtins",
    "__closure__": "closures",
    # The source of the running test cell (and the grading seed in it) lives in these.
    "history_manager": "the cell input history (the running tests' source)",
    "input_hist_raw": "the cell input history (the running tests' source)",
    "input_hist_parsed": "the cell input history (the running tests' source)",
    "get_parent": "the kernel's current request (the running test's source)",
    "parent_header": "the kernel's current request (the running test's source)",
    "user_ns": "the notebook's namespace by reference",
}
# IPython's input-history variables: each holds cell sources, the running test's included.
HISTORY_NAMES = re.compile(r"In|_ih|_i|_ii|_iii|_i\d+|_i00")
COMPARISON_DUNDERS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__"}
VALUE_TYPES = {"str", "int", "float", "complex", "bool", "list", "tuple", "dict", "set", "bytes"}
FILE_CALLS = {
    "open", "Path", "listdir", "scandir", "walk", "glob", "rglob", "chdir", "remove", "unlink",
    "rmtree", "rename", "symlink", "chmod", "chown", "read_text", "write_text",
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One suspicious construct: where it is and why it matters."""

    cell: int
    line: int
    what: str

    @property
    def severe(self) -> bool:
        """Constructs that can change a test's outcome without leaving state the run-time
        check sees (trace functions jumping over asserts, raw memory, built code)."""
        return any(word in self.what for word in SEVERE)

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.what}"


# Findings that hold the test cells after them for a person (0 points until reviewed).
SEVERE = ("trace function", "profile function", "ctypes", "cffi", "stack frames",
          "garbage collector", "calls exec", "calls eval", "calls compile", "__import__",
          "code objects", "audit hook", "import hook", "rebinds the built-in",
          "an input transformer", "an AST transformer", "IPython event callbacks",
          "the cell runner", "the kernel", "traceback display", "display hook",
          "returns a constant", "cell input history", "current request",
          "namespace by reference")  # fmt: skip


def _python(source: str) -> str:
    """Cell source as IPython would run it (magics become calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


# Names the grader's own state check looks up in the user namespace: shadowing one could let
# a fake answer the check. (Ordinary names such as `id` or `input` are left alone.)
SHADOWED = frozenset({"exec", "get_ipython", "__builtins__", "__import__", "print", "vars"})


# Where a path expression starts that leads out of the working folder when walked up.
_CWD_CALLS = {"cwd", "getcwd", "getcwdb", "home"}
# sys attributes -> folders below the installation's root they point at
_PREFIXES = {"prefix": 0, "base_prefix": 0, "exec_prefix": 0, "executable": 2}
_INSTALL_CALLS = {"get_paths", "get_path", "getsitepackages", "getusersitepackages"}
_ENVIRON_KEYED = {"get", "setdefault", "pop", "__getitem__", "__contains__"}


def _folded(node: ast.AST) -> str | None:
    """The string an expression of string literals spells ("a" + "b", f"{'a'}b"), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_folded(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
    return None


def _imports(tree: ast.AST) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, function or None) for every import in ``tree``."""
    names: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                names[alias.asname or top] = (alias.name if alias.asname else top, None)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


class _Visitor(ast.NodeVisitor):
    def __init__(self, cell: int, imports: dict[str, tuple[str, str | None]]) -> None:
        self.cell = cell
        self.imports = imports
        self.found: list[Finding] = []
        self.walkable: dict[str, float] = {}  # names bound to paths under cwd, home or install
        self._reported: set[int] = set()

    def add(self, node: ast.AST, what: str) -> None:
        self.found.append(Finding(self.cell, getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._module(node, node.module or "")
        self.generic_visit(node)

    def _module(self, node: ast.AST, name: str) -> None:
        top = name.split(".")[0]
        if top in SUSPICIOUS_MODULES:
            self.add(node, f"imports {name}: {SUSPICIOUS_MODULES[top]}")

    def _resolve(self, func: ast.AST) -> tuple[str, str] | None:
        """(module, function) a call refers to through the notebook's imports, if any."""
        if isinstance(func, ast.Name) and func.id in self.imports:
            module, name = self.imports[func.id]
            return (module.split(".")[0], name) if name else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module, name = self.imports.get(func.value.id, (func.value.id, None))
            if name is None:
                return module.split(".")[0], func.attr
        return None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else ""
        resolved = self._resolve(func)
        if resolved is not None:
            module, function = resolved
            what = SUSPICIOUS_USES.get((module, function)) or SUSPICIOUS_USES.get((module, None))
            if what:
                self.add(node, f"calls {module}.{function}: {what}")
            if module == "builtins":
                name = function
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("system", "getoutput")
            and (isinstance(func.value, ast.Call) and _callee(func.value) == "get_ipython")
        ):
            self.add(node, "runs a shell command (!cmd)")
        if name in SUSPICIOUS_CALLS:
            literal = all(isinstance(a, ast.Constant) for a in node.args)
            if name in ("exec", "eval", "compile") and literal:
                self.add(node, f"calls {name} on a literal string")
            else:
                self.add(node, f"calls {SUSPICIOUS_CALLS[name]}")
        if name in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1:
            self._named_by_string(node, _folded(node.args[1]))
        if name in ("setattr", "delattr") and node.args and _owner(node.args[0]) in GUARDED:
            self.add(node, f"replaces {_owner(node.args[0])}.* ({name})")
        callee = func.attr if isinstance(func, ast.Attribute) else name
        if callee in FILE_CALLS and node.args:
            prefix = _path_prefix(node.args[0])
            if prefix is not None and prefix.startswith("/proc"):
                self.add(
                    node,
                    f"reads {prefix[:40]!r}...: other processes' command lines, "
                    f"environment or files ({callee})",
                )
            elif prefix is not None and not _inside_cwd(prefix):
                self.add(node, f"touches {prefix[:60]!r}..., outside the working folder ({callee})")
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _ENVIRON_KEYED
            and self._is_environ(func.value)
        ):
            for child in [*node.args, *node.keywords]:
                self.visit(child)
            return
        if callee in ("dirname", "join", "joinpath"):
            self._walks_up(node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in SUSPICIOUS_ATTRS:
            self.add(node, f"uses .{node.attr}: {SUSPICIOUS_ATTRS[node.attr]}")
        inner = node.value
        if node.attr in ("register", "unregister", "callbacks", "trigger") and (
            isinstance(inner, ast.Attribute) and inner.attr == "events"
        ):
            self.add(node, f"uses .events.{node.attr}: IPython event callbacks")
        if node.attr in ("parent", "parents"):
            self._walks_up(node)
        if self._is_environ(node):
            self.add(node, "reads the whole environment (os.environ)")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("__builtins__", "__loader__", "__spec__"):
            self.add(node, f"uses {node.id}")
        if HISTORY_NAMES.fullmatch(node.id):
            self.add(node, f"uses {node.id}: the cell input history (the running tests' source)")
        if self._is_environ(node):
            self.add(node, "reads the whole environment (os.environ)")

    def _is_environ(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb"):
            return (
                isinstance(node.value, ast.Name)
                and self.imports.get(node.value.id, (node.value.id, None))[0] == "os"
            )
        return isinstance(node, ast.Name) and self.imports.get(node.id) == ("os", "environ")

    def _named_by_string(self, node: ast.AST, name: str | None) -> None:
        """``getattr(x, "_get" + "frame")``, ``ns["I" + "n"]``: the name a string spells."""
        if name in SUSPICIOUS_ATTRS:
            self.add(node, f"uses .{name} (named by a string): {SUSPICIOUS_ATTRS[name]}")
        elif name is not None and HISTORY_NAMES.fullmatch(name):
            self.add(
                node,
                f"uses {name} (named by a string): the cell input history "
                "(the running tests' source)",
            )

    def visit_Subscript(self, node: ast.Subscript) -> None:
        folded = _folded(node.slice)
        if folded is not None and not isinstance(node.slice, ast.Constant):
            self._named_by_string(node, folded)  # a plain ns["In"] may be honest data
        self._walks_up(node)
        self._visit_keyed(node, node.value, [node.slice])

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._walks_up(node)  # cwd / ".." / ".."
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops) and self._is_environ(
            node.comparators[-1]
        ):
            self._visit_keyed(node, node.comparators[-1], [node.left])
            return
        self.generic_visit(node)

    def _visit_keyed(self, node: ast.AST, environ: ast.AST, rest: list[ast.AST]) -> None:
        """os.environ["KEY"], "KEY" in os.environ: one variable, not the whole environment."""
        if not self._is_environ(environ):
            self.generic_visit(node)
            return
        for child in rest:
            self.visit(child)

    def _depth(self, node: ast.AST) -> float | None:
        """Folders below its start (working folder, home, installation) a path expression
        points; negative once it has walked above it; None when it starts elsewhere."""
        if isinstance(node, ast.Name):
            return self.walkable.get(node.id)
        if isinstance(node, ast.Attribute):
            if _owner(node.value) == "sys" and node.attr in _PREFIXES:
                return _PREFIXES[node.attr]
            if node.attr == "__file__":
                return 1
            if node.attr == "parent":
                inner = self._depth(node.value)
                return None if inner is None else inner - 1
            if node.attr == "parents":
                return None if self._depth(node.value) is None else -math.inf
            return None
        if isinstance(node, ast.Subscript):
            value = node.value
            if isinstance(value, ast.Attribute) and value.attr == "parents":
                inner = self._depth(value.value)
                index = node.slice
                step = (
                    index.value + 1
                    if isinstance(index, ast.Constant) and isinstance(index.value, int)
                    else math.inf
                )
                return None if inner is None else inner - step
            if isinstance(value, ast.Call) and _callee(value) in _INSTALL_CALLS:
                return 0
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            inner = self._depth(node.left)
            return None if inner is None else inner + _segments(node.right)
        if isinstance(node, ast.Call):
            callee = _callee(node)
            if callee in _CWD_CALLS:
                return 0
            if callee in ("abspath", "realpath", "resolve", "absolute") and _dot_path(node):
                return 0
            if callee in _INSTALL_CALLS:
                return 0
            if callee == "dirname" and node.args:
                inner = self._depth(node.args[0])
                return None if inner is None else inner - 1
            if callee == "join" and node.args:
                inner = self._depth(node.args[0])
                return None if inner is None else inner + sum(_segments(a) for a in node.args[1:])
            if (
                callee
                in (
                    "Path",
                    "PurePath",
                    "PosixPath",
                    "str",
                    "fspath",
                    "abspath",
                    "realpath",
                    "normpath",
                    "expanduser",
                )
                and node.args
            ):
                return self._depth(node.args[0])
            if isinstance(node.func, ast.Attribute) and callee in (
                "resolve",
                "absolute",
                "expanduser",
                "joinpath",
            ):
                inner = self._depth(node.func.value)
                extra = sum(_segments(a) for a in node.args) if callee == "joinpath" else 0
                return None if inner is None else inner + extra
        return None

    def _walks_up(self, node: ast.AST) -> None:
        depth = self._depth(node)
        if depth is not None and depth < 0 and id(node) not in self._reported:
            self._reported.update(id(sub) for sub in ast.walk(node))
            self.add(
                node,
                "walks up from the working folder, home or the installation "
                "(to the course root, gradebook, repository or other learners)",
            )

    def _binds(self, node: ast.AST, name: str) -> None:
        if name in SHADOWED:
            self.add(node, f"rebinds the built-in name {name!r}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._binds(node, node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._binds(node, node.name)
        bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
        for item in node.body:
            name, func = None, None
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                name, func = item.name, item
            elif isinstance(item, ast.Assign) and len(item.targets) == 1:
                target = item.targets[0]
                name = target.id if isinstance(target, ast.Name) else None
                func = item.value
            if name in COMPARISON_DUNDERS and func is not None and _constant_result(func):
                kind = f" (a {', '.join(sorted(bases & VALUE_TYPES))} subclass)" if bases else ""
                self.add(item, f"class {node.name}{kind}: {name} returns a constant")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        depth = self._depth(node.value)
        if depth is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.walkable[target.id] = depth
        for target in node.targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    self._binds(node, name.id)
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                owner = target.value.id
                if owner in GUARDED:
                    self.add(node, f"replaces {owner}.{target.attr}")
            if isinstance(target, ast.Attribute) and target.attr in COMPARISON_DUNDERS:
                self.add(node, f"assigns {target.attr} on an object")
        self.generic_visit(node)


GUARDED = frozenset({"math", "operator", "builtins", "sys", "os", "np", "numpy", "course"})


def _owner(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _segments(node: ast.AST) -> float:
    """Folders a joined part adds: 'a/b' 2, '..' -1; a part not written out counts 1."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [p for p in node.value.replace("\\", "/").split("/") if p not in ("", ".")]
        return sum(-1 if p == ".." else 1 for p in parts)
    return 1


def _dot_path(call: ast.Call) -> bool:
    """Path('.').resolve(), Path().absolute(), os.path.abspath('.'): the working folder."""
    args = list(call.args)
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call):
        args = list(call.func.value.args)  # Path(x).resolve(): look at x
    return all(isinstance(a, ast.Constant) and a.value in (".", "", "./") for a in args)


def _constant_result(func: ast.AST) -> bool:
    """True when every result of a function or lambda is a constant (``return True``)."""
    if isinstance(func, ast.Lambda):
        return isinstance(func.body, ast.Constant)
    if isinstance(func, ast.Name | ast.Attribute):  # __eq__ = some_other_callable
        return True
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    returns = [n for n in ast.walk(func) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Constant) for r in returns)


def _path_prefix(node: ast.AST) -> str | None:
    """The literal start of a path argument: a constant, an f-string or a + concatenation."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Div):
        return _path_prefix(node.left)
    return None


def _inside_cwd(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return not (value.startswith(("/", "~")) or ".." in value.replace("\\", "/").split("/"))


def scan_notebook(nb: NotebookNode, release: NotebookNode | None = None) -> list[Finding]:
    """Findings in the code cells of ``nb`` that the learner wrote or changed.

    Cells nbgrader overwrites from the source (locked cells, tests) and cells identical to a
    code cell of ``release`` (the student version) are skipped: they are the course's code.
    """
    skip_ids: set[str] = set()
    shipped: set[str] = set()
    for cell in (release or {}).get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            skip_ids.add(meta.get("grade_id"))
        if cell.get("cell_type") == "code":
            shipped.add(str(cell.get("source", "")).strip())
    trees: list[tuple[int, ast.AST, bool]] = []  # (cell number, tree, the learner's own)
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(_python(source))
        except (SyntaxError, ValueError, RecursionError):
            continue  # it fails at run time the same way; nothing hides in it
        ours = grade_id not in skip_ids and source.strip() not in shipped
        trees.append((index, tree, ours))
    imports: dict[str, tuple[str, str | None]] = {}
    for _, tree, _ in trees:  # a module imported in a shipped cell is the same module
        imports.update(_imports(tree))
    found: list[Finding] = []
    walkable: dict[str, float] = {}
    for index, tree, ours in trees:
        if not ours:
            continue
        visitor = _Visitor(index, imports)
        visitor.walkable = walkable  # a path bound in one cell is walked up in another
        visitor.visit(tree)
        found += visitor.found
    return found
