"""The kernel-state check: an expression the grader evaluates in the kernel, and the verdict.

Before the first cell the grader records a baseline of everything that decides what a cell
does and how its outcome is reported: IPython's input and AST transformers, event callbacks,
the shell's, kernel's, display hook's and session's methods, sys.displayhook/excepthook, trace
and profile functions, import hooks, builtins, math/operator/cmath and the slots of the
built-in value types. Before and after every test cell it asks again and compares, outside the
kernel. The answer must carry a fresh nonce; a missing or garbled answer is tampering too.
Each check also raises ``sys.audit("autograder.check", nonce)``: the kernel's audit hook
(autograder.kernel_audit) echoes the nonce through its pipe, so a cut channel shows.

It also lists objects that learner code put into installed modules (``math.isclose = ...``,
``course.evals.text.normalise = ...``) and learner classes that define comparison dunders
(objects that compare equal to anything). Code counts as the learner's when its file is not
under one of the read-only install roots the grader passes in.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field

MARKER = "AUTOGRADER-STATE"

# Runs in the kernel in a fresh namespace; must not rely on anything the learner can shadow in
# the user namespace. It prints one line: MARKER-<nonce>:<json>.
_SNIPPET = r"""
def _check(nonce, roots):
    import builtins, sys, json, math, operator, cmath, threading, types, functools
    sys.audit("autograder.check", nonce)  # the audit hook echoes it to the grader
    shell_class = sys.modules["IPython.core.interactiveshell"].InteractiveShell
    ip = shell_class._instance or shell_class.instance()
    learner_hint = ("<ipython-input", "<stdin>")

    def _unwrap(obj):
        for _ in range(4):
            if isinstance(obj, functools.partial):
                obj = obj.func
            elif isinstance(obj, (types.MethodType, staticmethod, classmethod)):
                obj = obj.__func__
            else:
                break
        return obj

    def code_file(obj):
        obj = _unwrap(obj)
        code = getattr(obj, "__code__", None)
        if isinstance(code, types.CodeType):
            return code.co_filename
        if isinstance(obj, type):
            return "<__main__>" if obj.__module__ == "__main__" else None
        if type(obj).__module__ == "__main__":
            return "<__main__>"
        return None

    def learner(obj):
        name = code_file(obj)
        if name is None or name.startswith(("<frozen", "<decorator-gen")):
            return False
        if name.startswith(learner_hint) or name == "<__main__>":
            return True
        if name.startswith("<"):  # exec'd code: the learner's only if it runs in __main__
            globs = getattr(_unwrap(obj), "__globals__", None)
            return isinstance(globs, dict) and globs.get("__name__") == "__main__"
        # Relative names are compiled extensions (Cython); cells live in absolute temp files.
        return name.startswith("/") and not name.startswith(roots)

    def ident(obj):
        mod = getattr(obj, "__module__", None) or type(obj).__module__
        qual = getattr(obj, "__qualname__", None) or type(obj).__qualname__
        return f"{mod}.{qual}#{id(obj)}#{'L' if learner(obj) else 'I'}"

    out = {"nonce": nonce, "lists": {}, "ids": {}, "planted": [], "comparisons": []}
    itm = ip.input_transformer_manager
    lists = {
        "input_transformers_cleanup": itm.cleanup_transforms,
        "input_line_transforms": itm.line_transforms,
        "input_token_transformers": itm.token_transformers,
        "input_transformers_post": ip.input_transformers_post,
        "ast_transformers": ip.ast_transformers,
        "sys.meta_path": sys.meta_path,
        "sys.path_hooks": sys.path_hooks,
    }
    for name, cbs in ip.events.callbacks.items():
        lists["events." + name] = cbs
    for name, seq in lists.items():
        out["lists"][name] = [ident(x) for x in seq]
    ids = out["ids"]
    for name in ("displayhook", "breakpointhook", "stdout", "stderr"):
        ids["sys." + name] = ident(getattr(sys, name, None))
    ids["sys.gettrace()"] = repr(sys.gettrace())
    ids["sys.getprofile()"] = repr(sys.getprofile())
    ids["threading.gettrace()"] = repr(getattr(threading, "gettrace", lambda: None)())
    ids["threading.getprofile()"] = repr(getattr(threading, "getprofile", lambda: None)())
    for mod in (builtins, math, operator, cmath):
        for key, value in list(vars(mod).items()):
            if key not in ("_", "__", "___", "input", "raw_input"):  # ipykernel resets input
                ids[f"{mod.__name__}.{key}"] = id(value)
    for t in (object, type, str, bytes, int, float, complex, bool, list, tuple, dict, set,
              frozenset, BaseException, AssertionError):
        for key, value in vars(t).items():
            ids[f"{t.__name__}.{key}"] = id(value)
    owners = {"shell": ip, "kernel": getattr(ip, "kernel", None), "displayhook": ip.displayhook,
              "display_pub": ip.display_pub, "compile": ip.compile,
              "display_formatter": ip.display_formatter,
              "session": getattr(getattr(ip, "kernel", None), "session", None)}
    for label, owner in owners.items():
        if owner is None:
            continue
        for cls in type(owner).__mro__[:-1]:
            for key, value in vars(cls).items():
                if callable(value) or isinstance(value, (staticmethod, classmethod, property)):
                    ids[f"{label}:{cls.__name__}.{key}"] = id(value)
        ids[f"{label}:class"] = id(type(owner))
        for key, value in list(vars(owner).items()):
            if callable(value) and not isinstance(value, type):
                ids[f"{label}.{key}"] = ident(value)
        for key, value in list(getattr(owner, "_trait_values", {}).items()):
            if callable(value) and not isinstance(value, type):
                ids[f"{label}.trait.{key}"] = ident(value)
    interpreter_owned = {("sys", "last_type"), ("sys", "last_value"), ("sys", "last_exc"),
                         ("sys", "last_traceback"), ("builtins", "_")}
    function_type = types.FunctionType
    builtin_function = types.BuiltinFunctionType
    helper_owners = {"operator", "builtins", "math", "cmath"}
    comparison_helpers = {"eq", "ne", "lt", "le", "gt", "ge", "is_", "is_not", "not_", "truth",
                          "contains", "and_", "or_", "xor", "isclose", "bool", "callable",
                          "isinstance", "issubclass", "hasattr", "all", "any"}
    wrapper_types = (functools.partial, types.MethodType, staticmethod, classmethod)
    plain_types = {types.BuiltinFunctionType, types.ModuleType, int, float, str, bytes, bool,
                   type(None), dict, list, tuple, set, frozenset, types.WrapperDescriptorType,
                   types.MethodDescriptorType, types.GetSetDescriptorType}
    for modname, mod in list(sys.modules.items()):
        if modname in ("__main__", "__mp_main__"):  # ipykernel aliases __main__ for multiprocessing
            continue
        if not isinstance(mod, types.ModuleType):
            out["planted"].append(f"sys.modules[{modname!r}] is a {type(mod).__name__}")
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for key, value in items:
            kind = type(value)
            if kind is builtin_function and not key.startswith("_"):
                # A comparison helper swapped for a C function of another name
                # (numpy.allclose = operator.is_not): C code, but not this module's.
                # Only helpers that can answer a comparison count: installed modules alias
                # others at import (six.exec_ = builtins.exec, six.indexbytes = getitem).
                owner = str(getattr(value, "__module__", None) or "").lstrip("_")
                if (owner in helper_owners and value.__name__ != key and modname != owner
                        and value.__name__ in comparison_helpers):
                    out["planted"].append(f"{modname}.{key} = {owner}.{value.__name__}")
                continue
            if kind in plain_types or key.startswith("__"):
                continue  # data, C functions, modules: cannot carry learner code
            if (modname, key) in interpreter_owned:
                continue  # the interpreter keeps the last exception / result here
            if kind is function_type:  # the common case, checked without the general path
                name = value.__code__.co_filename
                if not name.startswith(("/", "<")) or name.startswith(roots):
                    continue
            elif isinstance(value, type):
                if value.__module__ != "__main__":
                    continue
            elif kind not in wrapper_types and kind.__module__ != "__main__":
                continue  # an instance of an installed class
            if learner(value):
                out["planted"].append(f"{modname}.{key} = learner code ({ident(value)})")
    # Learner classes whose comparisons hold against anything: probe each comparison dunder
    # with values no honest object equals (an instance is made without running __init__).
    probes = (object(), -7.25e-3, "\x00" + nonce, (nonce,), None)
    wanted = {"__eq__": True, "__ne__": False, "__lt__": True, "__le__": True, "__gt__": True,
              "__ge__": True}
    value_types = (float, int, str, bytes, complex, list, tuple, dict, set, frozenset)
    seen, stack = set(), [object]
    while stack:
        cls = stack.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        try:
            stack.extend(type.__subclasses__(cls))
        except TypeError:
            continue
        ours = cls.__module__ == "__main__" or learner(cls)
        if not (ours or issubclass(cls, value_types)):
            continue
        own = vars(cls)
        params = own.get("__dataclass_params__")
        for name, always in wanted.items():
            fn = own.get(name)
            if fn is None:
                continue
            borrowed = getattr(fn, "__name__", name)
            if isinstance(borrowed, str) and borrowed != name and not hasattr(fn, "__code__"):
                out["comparisons"].append(f"class {cls.__qualname__}: {name} is {borrowed}")
                continue
            if not ours:
                continue  # an installed value type: only a borrowed dunder is suspicious
            if params is not None and code_file(fn) == "<string>":
                continue  # generated by @dataclass: compares fields
            try:
                inst = cls.__new__(cls)
            except Exception:
                try:
                    inst = object.__new__(cls)
                except Exception:
                    inst = None
            hits = 0
            for probe in probes:
                try:
                    result = fn(inst, probe)
                    hits += result is not NotImplemented and bool(result) == always
                except Exception:
                    pass
            if hits == len(probes):
                out["comparisons"].append(
                    f"class {cls.__qualname__}: {name} is {always} against anything"
                )
    return "AUTOGRADER-STATE-" + nonce + ":" + json.dumps(out, sort_keys=True)
"""


# The real sys, reached through syntax alone: no name is looked up in the user namespace,
# where a learner could bind `exec`, `print` or `get_ipython` to answer for the grader.
_REAL_SYS = (
    '[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "_wrap_close"][0]'
    '.__init__.__globals__["sys"]'
)


def expression(nonce: str, roots: list[str]) -> str:
    """The check as one expression, sent as an execute_request's user_expressions.

    IPython evaluates user_expressions with eval(): no input or AST transformer ever sees the
    check, so a transformer cannot recognise it and step aside or forge an answer. The code
    runs with the real builtins in a fresh namespace and returns MARKER-<nonce>:<json>.
    """
    source = _SNIPPET + f"\n_result = _check({nonce!r}, {tuple(roots)!r})\n"
    return (
        "(lambda s: (lambda g: (s.modules['builtins'].exec("
        f"{source!r}, g), g['_result'])[1])"
        "({'__builtins__': s.modules['builtins'], '__name__': '__autograder__'}))"
        f"({_REAL_SYS})"
    )


def new_nonce() -> str:
    """A fresh, unguessable token per check."""
    return secrets.token_hex(16)


# Callbacks the kernel's own libraries register on IPython events as a notebook runs.
BENIGN_CALLBACK_MODULES = ("matplotlib.", "matplotlib_inline.", "IPython.", "ipykernel.")


@dataclass
class StateVerdict:
    """What one check found: ``tampered`` loses the cell; ``suspect`` holds it for a person."""

    tampered: list[str] = field(default_factory=list)
    suspect: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.tampered and not self.suspect


def parse_answer(text: str, nonce: str) -> dict | None:
    """The JSON answer for ``nonce`` from the check's stdout, or None when absent or garbled."""
    prefix = f"{MARKER}-{nonce}:"
    found = [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]
    if len(found) != 1:
        return None
    try:
        answer = json.loads(found[0])
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("nonce") != nonce:
        return None
    for key, kind in (("lists", dict), ("ids", dict), ("planted", list), ("comparisons", list)):
        if not isinstance(answer.get(key), kind):
            return None
    return answer


def _benign(entry: str) -> bool:
    name, _, rest = entry.partition("#")
    return name.startswith(BENIGN_CALLBACK_MODULES) and rest.endswith("#I")


def _evidence(text: str) -> str:
    """Evidence names come from learner objects: keep identifier-like text, short, so a name
    cannot carry hidden tests into a report."""
    return re.sub(r"[^\w.<>:()'=#\[\] -]", "?", str(text))[:120]


def compare(baseline: dict, current: dict) -> StateVerdict:
    """Differences between the baseline answer and a later one, as evidence lines."""
    verdict = compare_raw(baseline, current)
    verdict.tampered = [_evidence(line) for line in verdict.tampered]
    verdict.suspect = [_evidence(line) for line in verdict.suspect]
    return verdict


def compare_raw(baseline: dict, current: dict) -> StateVerdict:
    """``compare`` before the evidence is made safe to print."""
    verdict = StateVerdict()
    for name in sorted(set(baseline["lists"]) | set(current["lists"])):
        before = baseline["lists"].get(name, [])
        now = current["lists"].get(name, [])
        added = [e for e in now if e not in before]
        removed = [e for e in before if e not in now]
        if name.startswith("events."):
            added = [e for e in added if not _benign(e)]
            removed = [e for e in removed if not _benign(e)]
        if name in ("sys.meta_path", "sys.path_hooks"):
            # Installed libraries add importers when imported (six, setuptools); only an
            # importer defined by learner code (ident ends in #L) is evidence.
            added = [e for e in added if not e.endswith("#I")]
        for entry in added:
            verdict.tampered.append(f"{name}: added {entry.split('#')[0]}")
        for entry in removed:
            verdict.tampered.append(f"{name}: removed {entry.split('#')[0]}")
    before_ids, now_ids = baseline["ids"], current["ids"]
    for key in sorted(set(before_ids) | set(now_ids)):
        if ".trait." in key and key not in before_ids:
            continue  # traits get their default value lazily, on first use
        if before_ids.get(key) != now_ids.get(key):
            change = "replaced"
            if key not in before_ids or key not in now_ids:
                change = "added" if key not in before_ids else "removed"
            verdict.tampered.append(f"{key} {change}")
    planted = [p for p in current["planted"] if p not in baseline["planted"]]
    verdict.tampered += [f"planted: {p}" for p in planted]
    verdict.suspect += [c for c in current["comparisons"] if c not in baseline["comparisons"]]
    return verdict
