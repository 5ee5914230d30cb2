"""Review a code change the way a small model does: read the code, notice some defects, miss
others, and now and then flag clean code that only looks wrong.

Applies when the last user turn holds code (a unified diff, or a fenced Python snippet) and the
instructions ask for a review (`wants_review`). Three steps a learner can follow:

1. **Read** (`candidates`, mechanical, the same for every tier): Python's `ast` over the added
   lines (reading/code.py parses as much as it can) finds candidates, each a concept, a line and
   a strength: CLEAR (`requests.get(url)` with no timeout, `except:`, `tags=[]`, `verify=False`,
   an f-string in an SQL `WHERE`, `while True:` over pages with no cap, a retry loop that never
   sleeps), SUBTLE (a session's `.get`, `urlopen`, a fixed `time.sleep(1)` between retries,
   `while url:`, a bearer token in a header dict) or SUSPECT (clean code that looks like a
   defect: `shell=True` on a fixed command, a formatted column list with `?` parameters, a
   `TOKEN_URL`, a page loop whose cap sits in an `if`, `except Exception:` that does not raise).
   It reads behaviour a linter cannot: whether a loop retries, whether its pause grows, whether
   a page loop is bounded.
2. **Err** (per tier, seeded by the request on a stream the tiers share, so sim-large misses
   only what sim-small misses too): a CLEAR defect is missed with
   `MISS[CLEAR] x base_error_rate x focus x (1 + 0.5 T)`, a SUBTLE one with MISS[SUBTLE] x ...,
   a SUSPECT is reported (a false positive) with `FALSE_ALARM[...] x base_error_rate x focus x
   (1 + 0.5 T)`, and a kind the prompt lists is invented on an unrelated diff with
   `INVENT x base_error_rate`. `focus` is what the prompt says to look for: 1 when it lists the
   kinds with a definition for at least half of them, NAMES_ONLY when it lists names only,
   UNFOCUSED when it lists none.
3. **Write**: the kinds are the prompt's own names, each concept matched to the listed kind
   closest in meaning (name and definition; `course.sim.meaning`), concepts with no match left
   out, as a reviewer told what to look for does; with no list, the model's own names
   ("missing-timeout", "sql-injection", ...). JSON when JSON is asked for (the keys of the
   prompt's example, if it shows one; broken with malformed_json_rate when asked in prose only),
   else review comments in prose, which no program can parse.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course.sim import meaning
from course.sim.reading.code import Code, code_under_review, syntax_trees
from course.sim.reading.cues import asks_for_json_output
from course.sim.reading.prompt import instructions_text, last_user_text
from course.sim.skills.base import Context, Reply
from course.sim.skills.tools import tier_shared_stream
from course.sim.writing import dump_json, wants_json

CLEAR, SUBTLE, SUSPECT, HUNCH = "clear", "subtle", "suspect", "hunch"
MISS = {CLEAR: 0.5, SUBTLE: 1.6}  # x base_error_rate: sim-small 0.15 / 0.48, sim-large 0.06 / 0.19
FALSE_ALARM = {SUSPECT: 1.0, HUNCH: 0.35}  # x base: sim-small 0.30 / 0.105, sim-large 0.12 / 0.04
INVENT = 0.1  # x base, per diff: a listed kind reported with no basis at all
NAMES_ONLY, UNFOCUSED = 1.8, 2.0
MATCH_FLOOR = 0.35  # cosine a listed kind needs to count as one of the reviewer's concepts
_MAX_P = 0.95

# The reviewer's own concepts: its own name for each (used when the prompt lists no kinds) and
# what it means (compared with the prompt's kinds by meaning).
CONCEPTS: dict[str, tuple[str, str]] = {
    "timeout": ("missing-timeout", "HTTP request or URL call made without a timeout; a slow "
                "server makes it hang forever"),
    "sql": ("sql-injection", "SQL query built by string formatting, f-string or concatenation "
            "of values instead of query parameters; SQL injection"),
    "except": ("bare-except", "bare except clause catching every exception, including "
               "KeyboardInterrupt and SystemExit, hiding errors"),
    "default": ("mutable-default-argument", "mutable default argument, a list, dict or set "
                "default value shared between calls"),
    "secret": ("hardcoded-credential", "hardcoded secret credential: password, API key or "
               "token written in the source code"),
    "tls": ("ssl-verification-disabled", "TLS SSL certificate verification disabled, "
            "verify=False, insecure unverified HTTPS"),
    "shell": ("command-injection", "shell command built from variables and run with "
              "shell=True or os.system; command injection"),
    "retry": ("retry-without-backoff", "retry loop without backoff: retries immediately or "
              "after a fixed sleep, no exponential growing delay between attempts"),
    "paging": ("pagination-without-limit", "unbounded pagination loop over a paginated API "
               "fetching next pages with no maximum number of pages"),
}  # fmt: skip

_REVIEW_CUE = re.compile(
    r"\breview\w*|\baudit\w*|\bcode smells?\b|\blint\w*|\bwhat(?:'s| is) wrong\b|"
    r"\b(?:find|flag|spot|list|report|identify|catch|detect|check|look)\b[^.\n]{0,60}?"
    r"\b(?:bugs?|defects?|issues?|problems?|vulnerabilit\w*|mistakes?|flaws?|risks?)\b",
    re.I,
)
_SEARCH_VERB = re.compile(
    r"\b(?:look|watch|check|flag|spot|catch|detect|report|find|search|scan|hunt)\b", re.I
)
_HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
_HTTP_RECEIVER = re.compile(r"requests|session|http|client|api|conn", re.I)
_SECRET_NAME = re.compile(
    r"(?:^|_|\.)(?:pass(?:wo?r?d)?|pwd|secret|token|api_?key|access_?key|private_?key|"
    r"signing_?key|credentials?|auth)(?:$|_)",
    re.I,
)
_KEY_PREFIX = re.compile(r"^(?:sk[-_]|ghp_|gho_|xox[abp]-|AKIA|AIza|-----BEGIN)")
_SECRET_HEADER = re.compile(r"^(?:authorization|x-api-key|api[-_]?key|x-auth-token|token)$", re.I)
_SQL = re.compile(
    r"\b(?:select\b.+\bfrom|insert\s+into|update\b.+\bset|delete\s+from)\b", re.I | re.S
)
_VALUE_BEFORE = re.compile(r"(?:[=<>(']|\blike|\bin\s*\()$", re.I)
_SHELL_CALLS = {"run", "call", "check_call", "check_output", "Popen", "getoutput"}
_PAGE_KEY = re.compile(r"next|cursor|page|token|offset|continuation|after", re.I)
_MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_MUTABLE_CALLS = {"list", "dict", "set", "defaultdict", "collections.defaultdict", "deque"}
_CAP_NAME = re.compile(r"max|limit|cap|budget|pages|count|total", re.I)


@dataclass(frozen=True)
class Candidate:
    """Something the reader noticed: a concept, the line, and how strong the evidence is."""

    concept: str
    line: int
    strength: str
    note: str


def wants_review(ctx: Context) -> Code | None:
    """The code to review, when the last user turn holds code and the instructions ask for a
    review (review / audit / find the bugs / what is wrong ...), or ask to look for two or more
    kinds of defect the reviewer knows by meaning ("Look for: - missing_timeout: ..."); a label
    set alone ("Which language is this? - python_code ...") is not a review. Else None."""
    code = code_under_review(last_user_text(ctx.request.messages))
    if code is None:
        return None
    instructions = instructions_text(ctx.request.messages)
    if _REVIEW_CUE.search(instructions):
        return code
    if not _SEARCH_VERB.search(instructions):
        return None
    names, meanings = stated_kinds(instructions)
    known = _matching(tuple((n, meanings.get(n, "")) for n in names)) if len(names) >= 2 else {}
    return code if len(known) >= 2 else None


# --- 1. reading -----------------------------------------------------------------------------


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    return ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _spreads(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)  # **options may carry a timeout


def _literal_text(node: ast.AST) -> str:
    """The constant text of a string-building expression, a {} where a value goes in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = (_literal_text(v) if isinstance(v, ast.Constant) else "{}" for v in node.values)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_text(node.left) + (_literal_text(node.right) or "{}")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _literal_text(node.left).replace("%s", "{}").replace("%d", "{}")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _literal_text(node.func.value) if node.func.attr == "format" else ""
    return ""


def _built(node: ast.AST) -> bool:
    """A string put together from values at run time (f-string, %, +, .format)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return bool(_literal_text(node))
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and bool(_literal_text(node.func.value))
    )


def _has_text(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node))


def _values_in_sql(text: str) -> bool:
    """Does a {} stand where a value goes (after =, <, a quote, LIKE, IN (, VALUES (), rather
    than where a column or table name goes?"""
    return any(_VALUE_BEFORE.search(before.rstrip()) for before in text.split("{}")[:-1])


def _secret_like(value: str) -> bool:
    if _KEY_PREFIX.match(value) or (value.lower().startswith("bearer ") and len(value) > 15):
        return True
    return (
        len(value) >= 8
        and not re.search(r"\s|://|^/|^\$|^\{", value)
        and not re.fullmatch(r"[a-z_]+|[A-Z_]+|[a-z-]+", value)  # a field or header name
    )


def _exits(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Break | ast.Return | ast.Raise) for s in body)


def _ordered(node: ast.AST) -> bool:
    return any(
        isinstance(c, ast.Compare) and any(isinstance(o, ast.Lt | ast.LtE | ast.Gt | ast.GtE)
                                           for o in c.ops)
        for c in ast.walk(node)
    )  # fmt: skip


def _calls(node: ast.AST):
    return (c for c in ast.walk(node) if isinstance(c, ast.Call))


class _Reader(ast.NodeVisitor):
    def __init__(self, added: frozenset[int], tree: ast.AST) -> None:
        self.added = added
        self.found: list[Candidate] = []
        # names bound to a client or session built with a timeout: their calls need none
        self.timed_clients: set[str] = set()
        for node in ast.walk(tree):
            pairs = []
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.With | ast.AsyncWith):
                pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars]
            for target, value in pairs:
                if _timed_client(value):
                    self.timed_clients.add(_dotted(target))

    def note(self, concept: str, node: ast.AST, strength: str, note: str) -> None:
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line
        if any(n in self.added for n in range(line, end + 1)):
            self.found.append(Candidate(concept, line, strength, note))

    # calls: timeouts, TLS, shell, SQL
    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        if last == "format" and _built(node):
            self._string(node)
        receiver = name.rsplit(".", 1)[0] if "." in name else ""
        http = last in _HTTP_VERBS and _HTTP_RECEIVER.search(receiver) and node.args
        if http and _keyword(node, "timeout") is None and not _spreads(node):
            if receiver == "httpx" or receiver in self.timed_clients:
                self.note("timeout", node, HUNCH, f"{name}() sets no timeout of its own")
            elif receiver == "requests":
                self.note("timeout", node, CLEAR, f"{name}() has no timeout")
            else:
                self.note("timeout", node, SUBTLE, f"{name}() has no timeout")
        if last == "urlopen" and len(node.args) < 3 and _keyword(node, "timeout") is None:
            self.note("timeout", node, SUBTLE, "urlopen() has no timeout")
        verify = _keyword(node, "verify")
        if isinstance(verify, ast.Constant) and verify.value is False:
            self.note("tls", node, CLEAR, "certificate checks turned off (verify=False)")
        if last == "_create_unverified_context":
            self.note("tls", node, CLEAR, "an unverified SSL context")
        shell = _keyword(node, "shell")
        command = node.args[0] if node.args else None
        if last in _SHELL_CALLS and isinstance(shell, ast.Constant) and shell.value is True:
            if command is not None and not isinstance(command, ast.Constant):
                self.note("shell", node, CLEAR, "a command built from variables, run by a shell")
            else:
                self.note("shell", node, SUSPECT, "shell=True")
        if name in ("os.system", "os.popen", "system", "popen") and command is not None:
            fixed = isinstance(command, ast.Constant)
            self.note("shell", node, HUNCH if fixed else CLEAR, f"{name}() runs a shell")
        listed = last in _SHELL_CALLS and isinstance(command, ast.List | ast.Tuple)
        if listed and shell is None and any(not isinstance(e, ast.Constant) for e in command.elts):
            self.note("shell", node, HUNCH, "a process started with variable arguments")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "CERT_NONE":
            self.note("tls", node, CLEAR, "ssl.CERT_NONE")
        self.generic_visit(node)

    # strings: SQL built from values, secrets
    def _string(self, node: ast.AST) -> None:
        text = _literal_text(node)
        if _built(node) and _SQL.search(text):
            values = _values_in_sql(text) or (isinstance(node, ast.BinOp) and "'" in text)
            self.note("sql", node, CLEAR if values else SUSPECT, "SQL put together from values")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._string(node)  # an f-string's own parts are not visited: one note per string

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Add | ast.Mod) and _has_text(node):
            self._string(node)  # one note per string, not one per `+`
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str):
            return
        if _KEY_PREFIX.match(node.value):
            self.note("secret", node, CLEAR, "a key in the code")
        elif "%s" in node.value and _SQL.search(node.value):
            self.note("sql", node, HUNCH, "%s in an SQL string")

    def _named_value(self, name: str, value: ast.AST, node: ast.AST) -> None:
        if not _SECRET_NAME.search(name):
            return
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
            if _secret_like(value.value):
                self.note("secret", node, CLEAR, f"{name} is written in the code")
            else:
                self.note("secret", node, SUSPECT, f"{name} holds a literal")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._named_value(_dotted(target), node.value, node)
        off = isinstance(node.value, ast.Constant) and node.value.value is False
        if off and any(_dotted(t).endswith("check_hostname") for t in node.targets):
            self.note("tls", node, CLEAR, "hostname checks turned off")
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg:
            self._named_value(node.arg, node.value, node.value)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            header = key.value if isinstance(key, ast.Constant) else None
            literal = value.value if isinstance(value, ast.Constant) else None
            secret_header = isinstance(header, str) and _SECRET_HEADER.match(header)
            if secret_header and isinstance(literal, str) and _secret_like(literal):
                self.note("secret", value, SUBTLE, f"a literal {header} header")
        self.generic_visit(node)

    # functions: defaults
    def _defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = node.args
        names = [a.arg for a in (arguments.posonlyargs + arguments.args)]
        pairs = list(zip(names[len(names) - len(arguments.defaults):], arguments.defaults,
                         strict=True))  # fmt: skip
        pairs += [(a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults,
                                               strict=True) if d is not None]  # fmt: skip
        for name, default in pairs:
            self._named_value(name, default, default)
            called = _dotted(default.func) if isinstance(default, ast.Call) else ""
            if isinstance(default, _MUTABLE) or called in _MUTABLE_CALLS:
                self.note("default", default, CLEAR, f"{name} has a mutable default")
            elif called == "frozenset":
                self.note("default", default, HUNCH, f"{name} has a set default")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._defaults(node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    # handlers
    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        raises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
        if node.type is None:
            self.note("except", node, CLEAR, "a bare except")
        elif _dotted(node.type) == "BaseException" and not raises:
            self.note("except", node, SUBTLE, "except BaseException")
        elif _dotted(node.type) == "Exception" and not raises:
            self.note("except", node, SUSPECT, "except Exception swallows the error")
        self.generic_visit(node)

    # loops: retries and pages
    def visit_For(self, node: ast.For) -> None:
        self._loop(node, bounded=_dotted(node.iter.func) not in ("count", "itertools.count")
                   if isinstance(node.iter, ast.Call) else True)  # fmt: skip
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._loop(node, bounded=_ordered(node.test))
        self.generic_visit(node)

    def _loop(self, node: ast.For | ast.While, bounded: bool) -> None:
        self._retry(node)
        if not bounded:
            self._paging(node)

    def _retry(self, node: ast.For | ast.While) -> None:
        tries = [s for s in node.body if isinstance(s, ast.Try)]
        retried = any(
            _exits(t.body) or any(isinstance(s, ast.Return | ast.Break) for s in ast.walk(t))
            for t in tries
        ) and any(not _exits(h.body) or _conditional_exit(h) for t in tries for h in t.handlers)
        if not retried:
            return
        sleeps = [c for c in _calls(node) if _dotted(c.func).endswith("sleep")]
        text = ast.unparse(node)
        if re.search(r"backoff|wait_exponential|jitter", text, re.I):
            return
        if not sleeps:
            self.note("retry", node, CLEAR, "the loop retries at once, with no pause")
            return
        changed = {_dotted(t) for s in ast.walk(node) if isinstance(s, ast.AugAssign | ast.Assign)
                   for t in (s.targets if isinstance(s, ast.Assign) else [s.target])}  # fmt: skip
        loop_var = _dotted(node.target) if isinstance(node, ast.For) else ""
        growing = False
        for call in sleeps:
            names = {_dotted(n) for n in ast.walk(call) if isinstance(n, ast.Name)}
            powers = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow | ast.Mult)
                         for n in ast.walk(call))  # fmt: skip
            if powers or names & changed or (loop_var and loop_var in names):
                growing = True
        if growing:
            if not any(isinstance(n, ast.Pow) for n in ast.walk(node)):
                self.note("retry", node, HUNCH, "a pause that grows only through a variable")
            return
        self.note("retry", node, SUBTLE, "the loop retries after a fixed pause")

    def _paging(self, node: ast.For | ast.While) -> None:
        reads_page = False  # a page counter goes up, a cursor is read from a reply or sent
        for sub in ast.walk(node):
            if isinstance(sub, ast.AugAssign) and _PAGE_KEY.search(_dotted(sub.target)):
                reads_page = True
            if isinstance(sub, ast.Call) and any(
                k.arg and _PAGE_KEY.search(k.arg) for k in sub.keywords
            ):
                reads_page = True
            if isinstance(sub, ast.Assign):
                keys = [c.value for c in ast.walk(sub.value) if isinstance(c, ast.Constant)
                        and isinstance(c.value, str)]  # fmt: skip
                if any(_PAGE_KEY.search(k) for k in keys):
                    reads_page = True
        if not reads_page or not any(True for _ in _calls(node)):
            return
        capped = [
            s for s in ast.walk(node) if isinstance(s, ast.If) and _exits(s.body) and
            _ordered(s.test) and any(_CAP_NAME.search(_dotted(n)) or isinstance(n, ast.Constant)
                                     for n in ast.walk(s.test))
        ]  # fmt: skip
        if capped:
            self.note("paging", node, HUNCH, "a page loop whose cap is inside it")
            return
        endless = isinstance(node, ast.While) and isinstance(node.test, ast.Constant)
        self.note("paging", node, CLEAR if endless else SUBTLE, "pages are read with no cap")


def _timed_client(value: ast.AST) -> bool:
    """A call building a client or session with a timeout (`httpx.Client(timeout=5)`)."""
    return (
        isinstance(value, ast.Call)
        and bool(re.search(r"(?:Client|Session)$", _dotted(value.func)))
        and _keyword(value, "timeout") is not None
    )


def _conditional_exit(handler: ast.ExceptHandler) -> bool:
    """A handler that retries unless a condition holds (if attempts >= n: raise)."""
    return any(isinstance(s, ast.If) for s in handler.body) and not any(
        isinstance(s, ast.Raise | ast.Return | ast.Break) for s in handler.body
    )


def candidates(code: Code) -> list[Candidate]:
    """Everything the reader notices on the added lines, strongest note per concept first."""
    found: list[Candidate] = []
    for tree in syntax_trees(code):
        reader = _Reader(code.added, tree)
        reader.visit(tree)
        found.extend(reader.found)
    order = {CLEAR: 0, SUBTLE: 1, SUSPECT: 2, HUNCH: 3}
    seen, kept = set(), []
    for candidate in sorted(found, key=lambda c: (order[c.strength], c.line)):
        if (candidate.concept, candidate.line) not in seen:
            seen.add((candidate.concept, candidate.line))
            kept.append(candidate)
    return kept


# --- 2. the prompt: which kinds, how focused -------------------------------------------------


_BULLET_KIND = re.compile(
    r"^\s*(?:[-*\u2022]|\d+[.)])\s*[`'\"*]*(?P<name>[A-Za-z][\w\-]*(?: [A-Za-z][\w\-]*){0,3}?)"
    r"[`'\"*]*\s*(?:(?::|\u2014|\u2013| - |=)\s*(?P<meaning>.*))?$"
)
_LINE_KIND = re.compile(
    r"^\s*[`'\"*]*(?P<name>[A-Za-z]\w*[_\-][\w\-]+)[`'\"*]*\s*"
    r"(?::|\u2014|\u2013| - |=)\s*(?P<meaning>.+)$"
)
_IDENTIFIER = r"`?[A-Za-z][\w\-]*[_\-][\w\-]*`?"
_INLINE_LIST = re.compile(rf"(?:{_IDENTIFIER}\s*(?:,|\bor\b|\band\b)\s*)+{_IDENTIFIER}")


def stated_kinds(instructions: str) -> tuple[list[str], dict[str, str]]:
    """Kind names the prompt lists, with any definitions: bullet lines ("- name: meaning" or
    "- name"), lines starting with a snake_case or kebab-case name and a colon, else an inline
    list of two or more such names ("report no_timeout, bare_except or sql_formatting")."""
    names: list[str] = []
    meanings: dict[str, str] = {}
    for line in instructions.splitlines():
        found = _BULLET_KIND.match(line) or _LINE_KIND.match(line)
        if found and found.group("name") not in meanings:
            names.append(found.group("name"))
            meanings[found.group("name")] = (found.group("meaning") or "").strip()
    if len(names) >= 2:
        return names, {n: m for n, m in meanings.items() if m}
    for match in _INLINE_LIST.finditer(instructions):
        listed = [n.strip("` ") for n in re.split(r",|\bor\b|\band\b", match.group(0))]
        listed = [n for n in listed if n]
        if len(listed) >= 2:
            return listed, {}
    return [], {}


def _readable(name: str) -> str:
    return re.sub(r"[_\-]+", " ", name)


@lru_cache(maxsize=512)
def _matching(kinds: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """concept -> the listed kind closest in meaning (name + definition), when close enough; a
    kind is taken by one concept at most (the closest)."""
    concepts = list(CONCEPTS)
    texts = [f"{_readable(n)}. {d}" for n, d in kinds]
    own = meaning.embed([f"{_readable(CONCEPTS[c][0])}. {CONCEPTS[c][1]}" for c in concepts])
    theirs = meaning.embed(texts)
    scores = own @ theirs.T
    for i, concept in enumerate(concepts):  # the same words in the name count too
        mine = set(re.findall(r"[a-z]+", CONCEPTS[concept][0] + " " + CONCEPTS[concept][1]))
        for j, (name, _) in enumerate(kinds):
            words = set(re.findall(r"[a-z]+", name.lower()))
            scores[i, j] += 0.15 * len(words & mine) / max(len(words), 1)
    taken: dict[str, str] = {}
    for flat in np.argsort(-scores, axis=None):
        i, j = divmod(int(flat), len(kinds))
        if scores[i, j] < MATCH_FLOOR:
            break
        if concepts[i] not in taken and kinds[j][0] not in taken.values():
            taken[concepts[i]] = kinds[j][0]
    return taken


# --- 3. the review ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int
    why: str


def review(ctx: Context, code: Code) -> list[Finding]:
    """The findings this tier reports on `code` under this prompt (steps 2 and 3)."""
    instructions = instructions_text(ctx.request.messages)
    names, definitions = stated_kinds(instructions)
    if names:
        kinds = tuple((n, definitions.get(n, "")) for n in names)
        named = _matching(kinds)
        focus = 1.0 if sum(bool(d) for _, d in kinds) >= len(kinds) / 2 else NAMES_ONLY
    else:
        named = {concept: own for concept, (own, _) in CONCEPTS.items()}
        focus = UNFOCUSED
    base = ctx.knob("base_error_rate") * ctx.heat * focus
    findings: dict[str, Finding] = {}
    for candidate in candidates(code):
        kind = named.get(candidate.concept)
        if kind is None or kind in findings:
            continue
        draw = tier_shared_stream(ctx, f"review:{candidate.concept}:{candidate.line}").random()
        if candidate.strength in MISS:
            keep = draw >= min(_MAX_P, MISS[candidate.strength] * base)
        else:
            keep = draw < min(_MAX_P, FALSE_ALARM[candidate.strength] * base)
        if keep:
            findings[kind] = Finding(kind, candidate.line, candidate.note)
    if names:
        invent = tier_shared_stream(ctx, "review:invent")
        if invent.random() < min(_MAX_P, INVENT * base):
            kind = invent.choice(names)
            line = invent.choice(sorted(code.added))
            findings.setdefault(kind, Finding(kind, line, "this looks risky"))
    return sorted(findings.values(), key=lambda f: (f.line, f.kind))


_JSON_WORD = re.compile(r"\bjson\b", re.I)
_LIST_KEY = re.compile(r'"(\w+)"\s*:\s*\[')
_KIND_KEY = re.compile(r"^(?:kind|type|category|defect|label|rule|issue|name|problem)s?$", re.I)
_LINE_KEY = re.compile(r"^(?:line|lineno|line_number|row)$", re.I)


def _as_json(ctx: Context, instructions: str, findings: list[Finding]) -> str:
    example = re.findall(r"\{[^{}]*\}", instructions)
    keys = re.findall(r'"(\w+)"\s*:', example[-1]) if example else []
    kind_key = next((k for k in keys if _KIND_KEY.match(k)), "kind")
    line_key = next((k for k in keys if _LINE_KEY.match(k)), "line")
    why_key = next((k for k in keys if k not in (kind_key, line_key)), "why")
    container = _LIST_KEY.search(instructions)
    if re.search(r'\[\s*"', instructions) and not container:  # a list of names, as shown
        return dump_json(ctx, [f.kind for f in findings])
    items = [{kind_key: f.kind, line_key: f.line, why_key: f.why} for f in findings]
    return dump_json(ctx, {container.group(1) if container else "findings": items})


def _as_prose(findings: list[Finding]) -> str:
    if not findings:
        return "I read the change and found nothing to flag. Looks good to me."
    lines = [f"- Line {f.line}: {f.why} ({f.kind})." for f in findings]
    return "Review comments:\n" + "\n".join(lines)


def _wants_json(ctx: Context, instructions: str) -> bool:
    """JSON asked for by response_format, a repair turn, or the instructions (not by the word
    `json` in the code under review, such as `response.json()`)."""
    if (ctx.request.response_format or {}).get("type") in ("json_schema", "json_object"):
        return True
    if ctx.redo is not None and wants_json(ctx):
        return True
    return bool(_JSON_WORD.search(instructions)) or asks_for_json_output(instructions)


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): code to review and instructions asking for a review."""
    code = wants_review(ctx)
    if code is None:
        return None
    findings = review(ctx, code)
    instructions = instructions_text(ctx.request.messages)
    if _wants_json(ctx, instructions):
        return Reply(content=_as_json(ctx, instructions, findings))
    return Reply(content=_as_prose(findings))
