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
from dataclasses import dataclass

from nbformat import NotebookNode

# module -> why importing it is suspicious in a graded notebook
SUSPICIOUS_MODULES = {
    "ctypes": "ctypes (raw memory access)",
    "cffi": "cffi (raw memory access)",
    "signal": "signal handlers",
    "subprocess": "subprocesses",
    "multiprocessing": "extra processes",
    "socket": "network sockets",
    "pty": "a pseudo-terminal",
    "sqlite3": "a database (the gradebook is SQLite)",
    "sqlalchemy": "a database (the gradebook is SQLite)",
    "gc": "the garbage collector (reaching objects by reference)",
    "inspect": "stack and source inspection",
    "linecache": "cell sources of the running tests",
    "importlib": "import machinery",
    "atexit": "exit hooks",
    "builtins": "builtins",
    "resource": "process limits",
    "nbgrader": "nbgrader itself",
    "IPython": "IPython internals",
    "ipykernel": "kernel internals",
    "jupyter_client": "kernel internals",
    "zmq": "kernel sockets",
}
SUSPICIOUS_CALLS = {
    "system": "a shell command",
    "popen": "a shell command",
    "exec": "exec",
    "eval": "eval",
    "compile": "compile",
    "__import__": "__import__",
    "globals": "globals()",
    "breakpoint": "breakpoint()",
    "setattr": "setattr",
    "delattr": "delattr",
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
    "events": "IPython event callbacks",
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
    "kill": "signals to processes",
    "killpg": "signals to processes",
    "meta_path": "an import hook",
    "path_hooks": "an import hook",
    "__subclasses__": "class hierarchy walking",
    "__globals__": "function globals",
    "__code__": "code objects",
    "__builtins__": "builtins",
    "__closure__": "closures",
}
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
          "returns a constant")  # fmt: skip


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


class _Visitor(ast.NodeVisitor):
    def __init__(self, cell: int) -> None:
        self.cell = cell
        self.found: list[Finding] = []

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
        if name in ("IPython.display", "IPython.core.display"):
            return  # display(), Markdown, HTML: what notebooks use IPython for
        if top in SUSPICIOUS_MODULES:
            self.add(node, f"imports {name}: {SUSPICIOUS_MODULES[top]}")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = ""
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute):
            name = func.attr
        if name in ("compile", "system", "popen") and isinstance(func, ast.Attribute):
            owner = func.value
            if not (isinstance(owner, ast.Name) and owner.id in ("os", "builtins", "subprocess")):
                name = ""  # re.compile, message.system: not what we look for
        if name in SUSPICIOUS_CALLS:
            literal = all(isinstance(a, ast.Constant) for a in node.args)
            if name in ("exec", "eval", "compile") and literal:
                self.add(node, f"calls {name} on a literal string")
            else:
                self.add(node, f"calls {SUSPICIOUS_CALLS[name]}")
        if name == "get_ipython":
            self.add(node, "reaches the IPython shell (get_ipython())")
        if name in FILE_CALLS and node.args:
            prefix = _path_prefix(node.args[0])
            if prefix is not None and not _inside_cwd(prefix):
                self.add(node, f"touches {prefix[:60]!r}..., outside the working folder ({name})")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in SUSPICIOUS_ATTRS:
            self.add(node, f"uses .{node.attr}: {SUSPICIOUS_ATTRS[node.attr]}")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("__builtins__", "__loader__", "__spec__"):
            self.add(node, f"uses {node.id}")

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
        for target in node.targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    self._binds(node, name.id)
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                owner = target.value.id
                if owner in {"math", "operator", "builtins", "sys", "os", "np", "numpy", "course"}:
                    self.add(node, f"replaces {owner}.{target.attr}")
            if isinstance(target, ast.Attribute) and target.attr in COMPARISON_DUNDERS:
                self.add(node, f"assigns {target.attr} on an object")
        self.generic_visit(node)


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
    found: list[Finding] = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in skip_ids:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.strip() in shipped:
            continue
        try:
            tree = ast.parse(_python(source))
        except (SyntaxError, ValueError, RecursionError):
            continue  # it fails at run time the same way; nothing hides in it
        visitor = _Visitor(index)
        visitor.visit(tree)
        found += visitor.found
    return found
