"""Contract rules an assignment states in words ("no course.evals, no scipy"), checked statically.

A hidden test compares a learner's function with the library it must not use, so wrapping that
library passes the test without the work. This module reads the code cells a learner wrote or
changed and finds every way such code reaches a banned module: ``import``/``from`` (with
aliases), attribute chains on an imported package (``course.evals.text.normalise``),
``getattr`` on one, ``importlib.import_module``/``__import__``, ``sys.modules``, and a name in
the notebook the rule forbids (the grading harness). A use zeroes the clauses the rule names
for the cell it is in, and for every cell that calls a name that cell defines (a helper in
another cell carries the ban along). The grader turns each ``Violation`` into a failed clause
whose reason names the rule (grading.py, after the run).

Rules live in one table, ``CONTRACTS``, keyed by (module, notebook name).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from nbformat import NotebookNode


@dataclass(frozen=True)
class Rule:
    """One sentence of a contract: which code may not use what, and the clauses it guards."""

    text: str  # the rule as the notebook states it; the message quotes it
    banned_modules: tuple[str, ...]  # a prefix bans the package and everything under it
    cells: dict[str, tuple[str, ...]]  # solution grade_id -> the clauses that run its code
    banned_names: tuple[str, ...] = ()  # notebook names the code may not touch
    banned_calls: tuple[str, ...] = ()  # names the code may not call (it may still mention them)
    banned_attributes: tuple[str, ...] = ()  # attributes the code may not read (frame walking)
    guarded_names: tuple[str, ...] = ()  # names no learner cell may rebind (the grading harness)


@dataclass(frozen=True)
class Violation:
    """A banned use found in a learner's cell, and the clauses it costs."""

    cell: int  # 1-based position among the notebook's cells
    line: int
    what: str
    rule: Rule
    clauses: tuple[str, ...]

    def message(self) -> str:
        return f"contract: cell {self.cell}, line {self.line}: {self.what} ({self.rule.text})"


_HARNESS_RULES = (
    "scorers: no course.evals, no scipy, no sklearn; write them with the standard library, numpy "
    "and pandas"
)
M2_07_FUNCTIONS = Rule(
    text=_HARNESS_RULES,
    banned_modules=(
        "course.evals",
        "course.retrieval.metrics",
        "course.retrieval.recall_at_k",
        "scipy",
        "sklearn",
        "statsmodels",
        "pingouin",
        "ranx",
    ),
    cells={
        "ex1_solution": ("c1_normalise_tests", "c2_exact_match_tests", "c3_token_f1_tests"),
        "ex2_solution": ("c2_exact_match_tests", "c3_token_f1_tests"),
        "ex3_solution": ("c4_recall_at_k_tests",),
    },
    banned_names=("GRADING", "GradingHarness"),
)
M2_07_SOLVER = Rule(
    text=(
        "the solver reads the handbook it is given: no gold data (load_qa, the generators), no "
        "simulator internals, no client but the one passed in"
    ),
    banned_modules=(
        "course.data.handbook.load_qa",
        "course.data.handbook.load_judge_set",
        "course.data.handbook.QA_FILE",
        "course.data.handbook.JUDGE_FILE",
        "course.data.handbook.DATA_DIR",
        "course.data.generate_handbook",
        "course.data.fresh_handbook",
        "course.sim",
        "course.llm.providers",
        "course.evals.counted",  # the grading harness's clients and meter
    ),
    cells={"ex7_solution": ("c8_improvement_tests", "c9_cost_tests")},
    banned_names=("GRADING", "GradingHarness", "load_qa", "load_judge_set", "dev"),
    banned_calls=("Client",),
)

# Module 3's failure analysis: detectors read the trajectory they are given, and a fix sees
# what production sees. The answer key (Task objects, the checks, the generator), the simulator,
# the client and the harness are out of reach, and so is every way to find them at run time
# (frames, the garbage collector, inspect, sys).
_M3_07_ANSWER_KEY = (
    "course.agents.shop.tasks",
    "course.agents.shop.checks",
    "course.agents.shop.run",
    "course.agents.shop.store",
    "course.agents.shop.check",
    "course.agents.shop.changes",
    "course.agents.shop.policy_violations",
    "course.agents.shop.failure_kind",
    "course.agents.shop.generate_tasks",
    "course.agents.shop.run_task",
    "course.agents.shop.run_tasks",
    "course.agents.shop.outcomes_frame",
    "course.agents.shop.Task",
    "course.agents.shop.TaskSet",
    "course.agents.shop.Shop",
    "course.agents.failures",
    "course.agents.loop",
    "course.evals",
    "course.agents.Agent",
    "course.sim",
    "course.llm",
    "gc",
    "inspect",
    "sys",
    "ctypes",
    "traceback",
    "importlib",
    "builtins",
    "threading",
    "pickle",
    "marshal",
    "types",
)
_M3_07_NAMES = (
    "GRADING",
    "PRODUCTION",
    "GradingHarness",
    "generate_tasks",
    "run_task",
    "run_config",
    "compare_runs",
    "score_detector",
    "runs",
    "trajectories",
    "Client",
)
_M3_07_FRAMES = (
    "f_back",
    "f_locals",
    "f_globals",
    "f_builtins",
    "f_code",
    "tb_frame",
    "tb_next",
    "gi_frame",
    "cr_frame",
    "ag_frame",
    "__traceback__",
    "__self__",
    "__subclasses__",
    "__mro__",
    "__bases__",
    "__class__",
)
M3_07_DETECTORS = Rule(
    text=(
        "detectors read the trajectory they are given: no answer key, no simulator, no harness, "
        "no notebook state, no frames"
    ),
    banned_modules=_M3_07_ANSWER_KEY,
    cells={
        "ex2_solution": ("c2_unverified_tests",),
        "ex3_solution": ("c3_refund_tests",),
        "ex4_solution": ("c4_shipped_tests",),
    },
    banned_names=_M3_07_NAMES,
    banned_attributes=_M3_07_FRAMES,
    guarded_names=("GRADING", "GradingHarness"),
)
M3_07_FIX = Rule(
    text=(
        "the fix sees what production sees: no answer key (Task objects, the checks, the task "
        "generator), no course.sim, no course.llm, no harness, no frames, gc, inspect or sys"
    ),
    banned_modules=_M3_07_ANSWER_KEY,
    cells={"ex5_solution": ("c5_fix_tests",)},
    banned_names=_M3_07_NAMES,
    banned_attributes=_M3_07_FRAMES,
    guarded_names=("GRADING", "GradingHarness"),
)

CONTRACTS: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("module2_evals", "07_assignment_eval_harness"): (M2_07_FUNCTIONS, M2_07_SOLVER),
    ("module3_agents", "07_assignment_failure_analysis"): (M3_07_DETECTORS, M3_07_FIX),
}

_NAMESPACE_READERS = frozenset({"globals", "vars"})
_DYNAMIC_IMPORTS = frozenset({"import_module", "__import__", "reload", "find_spec"})
_SNEAKY_ATTRIBUTES = frozenset(
    {"__globals__", "__dict__", "__builtins__", "__loader__", "__spec__", "__closure__"}
)


def check_notebook(
    module: str, name: str, nb: NotebookNode, release: NotebookNode | None = None
) -> list[Violation]:
    """Every banned use in the cells the learner wrote or changed, for this notebook's rules."""
    rules = CONTRACTS.get((module, name), ())
    if not rules:
        return []
    cells = list(_learner_cells(nb, release))
    found: list[Violation] = []
    for rule in rules:
        scanned = []
        for index, grade_id, tree in cells:
            uses = _Uses(rule)
            uses.visit(tree)
            scanned.append((index, grade_id, uses))
        tainted = {index: uses.found[0] for index, _, uses in scanned if uses.found}
        defined = {index: uses.defined for index, _, uses in scanned}
        _spread(tainted, defined, {index: uses.free for index, _, uses in scanned})
        for index, grade_id, uses in scanned:
            if index in tainted:
                clauses = _clauses(rule, grade_id, uses.defined, scanned)
                if clauses:
                    line, what = tainted[index]
                    found.append(Violation(index, line, what, rule, clauses))
            rebound = sorted(uses.defined & set(rule.guarded_names))
            if rebound:  # a harness replaced by a cell of one's own grades nothing honestly
                every = tuple(dict.fromkeys(c for cs in rule.cells.values() for c in cs))
                found.append(Violation(index, 1, f"rebinds {rebound[0]}", rule, every))
    return found


def zeroed(violations: Iterable[Violation]) -> dict[str, str]:
    """grade_id -> the reason it scores 0 (the first violation that reached it)."""
    reasons: dict[str, str] = {}
    for violation in violations:
        for clause in violation.clauses:
            reasons.setdefault(clause, f"scored 0 by the {violation.message()}")
    return reasons


def _clauses(rule: Rule, grade_id: str | None, defined: set[str], scanned) -> tuple[str, ...]:
    """A tainted cell costs its own clauses, and those of any solution whose names it rebinds."""
    out = list(rule.cells.get(grade_id or "", ()))
    for _, other_id, other in scanned:
        if other_id in rule.cells and other_id != grade_id and defined & other.defined:
            out += rule.cells[other_id]
    return tuple(dict.fromkeys(out))


def _spread(
    tainted: dict[int, tuple[int, str]], defined: dict[int, set[str]], used: dict[int, set[str]]
) -> None:
    """A cell that uses a name a tainted cell defines is tainted too (to a fixed point)."""
    changed = True
    while changed:
        changed = False
        bad_names = {n: i for i in tainted for n in defined[i]}
        for index, names in used.items():
            if index in tainted:
                continue
            hit = sorted(n for n in names if n in bad_names and n not in defined[index])
            if hit:
                source = bad_names[hit[0]]
                tainted[index] = (1, f"uses {hit[0]} from cell {source}, which breaks the rule")
                changed = True


def _learner_cells(nb: NotebookNode, release: NotebookNode | None):
    """(index, grade_id, AST) of code cells not locked and not identical to the release."""
    locked: set[str] = set()
    shipped: set[str] = set()
    for cell in (release or {}).get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            locked.add(meta.get("grade_id"))
        if cell.get("cell_type") == "code":
            shipped.add(_text(cell).strip())
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        source = _text(cell)
        if grade_id in locked or source.strip() in shipped:
            continue
        try:
            tree = ast.parse(_python(source))
        except (SyntaxError, ValueError, RecursionError):
            continue  # it fails at run time, scoring nothing
        yield index, grade_id, tree


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _python(source: str) -> str:
    """Cell source as IPython runs it (magics become calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _banned(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


class _Uses(ast.NodeVisitor):
    """Banned uses in one cell, the names it defines and the names it reads."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.found: list[tuple[int, str]] = []
        self.aliases: dict[str, str] = {}  # local name -> the module (or module.attr) it is
        self.defined: set[str] = set()  # top-level names only: what other cells can call
        self.loaded: set[str] = set()
        self.bound: set[str] = set()  # names bound anywhere in the cell (locals included)
        self._depth = 0
        self._banned_loads: list[ast.Name] = []

    def visit(self, node: ast.AST) -> None:  # type: ignore[override]
        """Visit the cell; a banned name counts only when the cell does not bind it itself."""
        super().visit(node)
        if isinstance(node, ast.Module):
            for name in self._banned_loads:
                if name.id not in self.bound and name.id not in self.defined:
                    self._flag(name, f"uses {name.id}")
            self.found.sort()

    @property
    def free(self) -> set[str]:
        """Names the cell reads but never binds itself: what it takes from other cells."""
        return self.loaded - self.bound - self.defined

    def _flag(self, node: ast.AST, what: str) -> None:
        self.found.append((getattr(node, "lineno", 1), what))

    def _check_module(self, node: ast.AST, module: str, how: str) -> None:
        if _banned(module, self.rule.banned_modules):
            self._flag(node, f"{how} {module}")

    # imports ----------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name, "imports")
            local = alias.asname or alias.name.split(".")[0]
            self.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
            self.defined.add(local)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            self._flag(node, "a relative import")
        for alias in node.names:
            full = f"{base}.{alias.name}" if base else alias.name
            if _banned(base, self.rule.banned_modules) or _banned(full, self.rule.banned_modules):
                self._flag(node, f"imports {full}")
            local = alias.asname or alias.name
            self.aliases[local] = full
            self.defined.add(local)

    # names and attribute chains ---------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.bound.add(node.id)
            if not self._depth:
                self.defined.add(node.id)
            return
        self.loaded.add(node.id)
        if node.id in self.rule.banned_names:
            self._banned_loads.append(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in _SNEAKY_ATTRIBUTES:
            self._flag(node, f"reaches into {node.attr}")
        elif node.attr in self.rule.banned_attributes:
            self._flag(node, f"reads .{node.attr}")
        dotted = self._dotted(node)
        if dotted is not None:
            self._check_module(node, dotted, "uses")
            if dotted in ("sys.modules", "importlib.sys"):
                self._flag(node, f"reads {dotted}")
        self.generic_visit(node)

    def _dotted(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        # A name imported in another cell is taken for the module it names ("sys", "course").
        return ".".join([self.aliases.get(node.id, node.id), *reversed(parts)])

    # definitions --------------------------------------------------------------------------------
    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if not self._depth and hasattr(node, "name"):
            self.defined.add(node.name)
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]
    visit_ClassDef = visit_FunctionDef  # type: ignore[assignment]
    visit_Lambda = visit_FunctionDef  # type: ignore[assignment]

    # calls that import or reach by name -----------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in _DYNAMIC_IMPORTS:
            target = _literal(node.args[0]) if node.args else None
            if target is None:
                self._flag(node, f"imports a module named at run time ({name})")
            else:
                self._check_module(node, target, f"imports ({name})")
        elif name == "getattr" and len(node.args) >= 2:
            owner = self._dotted(node.args[0])
            attr = _literal(node.args[1])
            if owner is not None and attr is None:
                self._flag(node, f"getattr on {owner} with a name built at run time")
            elif owner is not None:
                self._check_module(node, f"{owner}.{attr}", "uses")
            if attr in self.rule.banned_attributes or attr in _SNEAKY_ATTRIBUTES:
                self._flag(node, f"reads .{attr} through getattr")
            elif attr is None and self.rule.banned_attributes:
                self._flag(node, "getattr with a name built at run time")
        elif (
            isinstance(func, ast.Name) and func.id in _NAMESPACE_READERS and self.rule.banned_names
        ):
            self._flag(node, f"reads the notebook's names through {func.id}()")
        elif isinstance(func, ast.Name) and func.id in self.rule.banned_calls:
            self._flag(node, f"calls {func.id}(...)")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        dotted = self._dotted(node.value) if isinstance(node.value, ast.Attribute) else None
        if dotted == "sys.modules":
            key = _literal(node.slice)
            if key is not None:
                self._check_module(node, key, "reads sys.modules for")
        self.generic_visit(node)


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def apply(record: dict, violations: Iterable[Violation]) -> dict:
    """The grader's record with every clause a violation reaches failed, naming the rule."""
    cells = dict(record.get("cells") or {})
    for grade_id, reason in zeroed(violations).items():
        verdict = dict(cells.get(grade_id) or {})
        verdict.update(passed=False, reason=reason)
        cells[grade_id] = verdict
    return {**record, "cells": cells}
