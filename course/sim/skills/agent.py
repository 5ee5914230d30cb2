"""Multi-step tool use: work towards the user's goal one tool call per turn, as an agent does.

A new skill (not a branch of `tools`), because it reads the whole conversation, not the last
user message: the goal (the user turns), the values it has learnt (the user's text and every
tool result), the procedural rules of the system prompt, and what it has already done. It
answers a request that offers tools when the tools form a workflow (one tool's required
identifier is produced by another: an item id by the tool that lists an order's items) or the
system prompt states rules about the tools; single requests go to `tools` as before.

Each turn it works out, from what it reads and nothing it knows about any particular app:
- the goal: the tool that best fits the first user turn (the evidence of `tools.evidence`);
- the rules (`read_rules`): a sentence of the system prompt that names a tool, by its name or
  by meaning, and says "before"/"first" makes that tool a required prior check; "above/over
  <amount>" a limit that hands the action to the other tool the sentence names ("escalate");
  "within/after <n> days" a window on a date of the record (today's date read from the prompt);
  "only ... <state>" / "cannot ... <state>" a state the record must (not) be in, a word the
  simulator recognises because a tool result holds it as a value ("processing", "delivered");
- the next step: the check, then whatever produces the goal tool's missing arguments (a lookup
  whose description mentions what is missing), then the record the rules need, then the goal
  tool, or a question to the user when nothing can supply a required value, then a reply built
  from the tool results (what was done, with its numbers, or which rule stopped it).

Failure modes, drawn from the request's hash (tier-shared, so sim-large errs where sim-small
errs too) at rates proportional to the tier's base_error_rate (field_miss_rate for garbled
arguments), times (1 + 0.5 x temperature); the constants are in RATES and docs/SIMULATOR.md
("Agents: multi-step tool use") gives the measured effect of each lever.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from course.sim import meaning
from course.sim.reading import finders
from course.sim.reading.prompt import system_text, text_of
from course.sim.reading.text import identifier_words
from course.sim.skills import tools as single
from course.sim.skills.base import Context, Reply
from course.sim.writing import Filler, garble

# Each failure mode's chance, as a multiple of the tier's base_error_rate (sim-small 0.30,
# sim-large 0.12), before temperature. See the docstring of each use.
RATES = {
    "skip_stated_check": 0.08,  # skips a check the system prompt requires
    "skip_habit_check": 1.6,  # no rule stated: skips the check tool (capped at 0.8)
    "hallucinate": 0.6,  # invents a missing identifier instead of looking it up or asking
    "hallucinate_sourced": 0.1,  # ... when the parameter's description says where it comes from
    "garble": 0.5,  # x field_miss_rate: an identifier argument with a typo
    "stop_early": 0.25,  # replies before the goal tool ran
    "loop": 0.12,  # repeats the previous call unchanged (and goes on repeating, LOOP_STICKY)
    "mishandle_error": 0.9,  # after a tool error: retries the same call, gives up, or ignores it
    "claim": 0.45,  # the final reply claims the goal's action although it did not run
    "ignore_rule": 0.1,  # acts although a stated limit/window/state rule forbids it
}
LOOP_STICKY = 0.85
VAGUE_MARGIN = 0.4  # a vague/missing description: the evidence margin counts this much
CLEAR_FACTOR = 0.5  # clear descriptions halve the wrong-tool chance (vague ones keep it whole)
GOAL_THRESHOLD = 0.35  # below this no tool fits the user's goal: ask what they need
MENTION = 0.45  # a sentence this close in meaning to a tool's profile mentions that tool
_SOURCE_HINT = re.compile(
    r"\b(?:from|returned|given|gave|provided|listed|shown|as in|out of|by the)\b", re.I
)
_ERROR = re.compile(
    r"^\s*(?:invalid|error|there is no tool|unknown)|\bfailed\b|\berror\b|\bnot (?:found|allowed)",
    re.I,
)
_BEFORE = re.compile(r"\b(?:before|first|prior to|until|unless|only after|only once)\b", re.I)
_ABOVE = re.compile(r"\b(?:above|over|more than|exceed\w*|greater than|larger than|>)\s*"
                    r"(?:[A-Z]{3}|[€$£])?\s*(\d+(?:[.,]\d+)?)", re.I)
_WINDOW = re.compile(r"(\d+)\s*(days?|weeks?|months?)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|never|cannot|can't|no)\b|n't\b", re.I)
_ONLY = re.compile(r"\bonly\b", re.I)
_TODAY = re.compile(r"\btoday\b[^.\n]{0,30}?(\d{4}-\d{2}-\d{2})|(\d{4}-\d{2}-\d{2})[^.\n]{0,12}"
                    r"\btoday\b", re.I)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXAMPLE = re.compile(r"(?:such as|like|e\.g\.|for example|eg)\s+([A-Za-z0-9][\w-]*\d[\w-]*)")
_NOT_STATES = frozenset({"need", "anything", "nothing", "something", "everything", "thing",
                         "bring", "during", "according", "following", "regarding", "using"})
_ID_PARAM = re.compile(r"(?:^|_)(?:id|number|no|code|ref)$")


@dataclass
class Call:
    """A tool call made earlier in the conversation and what came back."""

    name: str
    arguments: dict
    result: str
    data: object
    error: bool


@dataclass
class Rule:
    """One procedural rule read from the system prompt."""

    kind: str  # check | limit | window | state
    sentence: str
    tools: list[str]  # the tools the sentence mentions, closest first
    number: float = 0.0
    words: list[str] = field(default_factory=list)  # content words (state and date reading)
    required: bool = True  # state rules: the record must (True) or must not (False) be so
    subject: list[str] = field(default_factory=list)  # the tools the rule limits (its head)


@dataclass
class Reading:
    """What the simulator has read from the conversation."""

    system: str
    users: list[str]
    calls: list[Call]
    asked: int  # text replies the assistant has given (questions to the user)
    functions: list[dict]
    rules: list[Rule]
    today: date | None

    @property
    def goal(self) -> str:
        return self.users[0] if self.users else ""

    @property
    def user_text(self) -> str:
        return "\n".join(self.users)

    def done(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name and not c.error]


def _parse(result: str) -> object:
    try:
        return json.loads(result)
    except ValueError:
        return None


def _is_error(result: str, data: object) -> bool:
    if isinstance(data, dict) and ("error" in data or "detail" in data):
        return True
    return data is None and bool(_ERROR.search(result[:200]))


def read(ctx: Context) -> Reading:
    messages = ctx.request.messages
    functions = single._functions(ctx)
    users, calls, pending, asked = [], [], {}, 0
    for message in messages:
        role = message.get("role")
        if role == "user":
            users.append(text_of(message))
        elif role == "assistant":
            for call in message.get("tool_calls") or []:
                fn = call.get("function", {})
                try:
                    arguments = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    arguments = {}
                pending[call.get("id")] = (fn.get("name", ""), arguments)
            if not message.get("tool_calls") and text_of(message):
                asked += 1
        elif role == "tool":
            name, arguments = pending.get(message.get("tool_call_id"), ("", {}))
            result = text_of(message)
            data = _parse(result)
            calls.append(Call(name, arguments, result, data, _is_error(result, data)))
    system = system_text(messages)
    found = _TODAY.search(system) or _TODAY.search("\n".join(users))
    today = date.fromisoformat(found.group(1) or found.group(2)) if found else None
    return Reading(system, users, calls, asked, functions, read_rules(system, functions), today)


def _mentions(sentence: str, functions: list[dict]) -> list[str]:
    """The tools a sentence names: literally ("verify_identity"), by the verb of the tool's name
    ("refunded" -> refund_item, "escalate" -> escalate), or the one closest in meaning to the
    sentence (description or profile, cosine >= MENTION)."""
    named = [f["name"] for f in functions
             if f.get("name") and re.search(rf"\b{re.escape(f['name'])}\b", sentence)]
    lemmas = set(single.content_lemmas(sentence))
    verbs = [f["name"] for f in functions if f.get("name") and
             single._lemma(identifier_words(f["name"]).split()[0]) in lemmas]
    texts = [single._info(f).profile for f in functions]
    scores = meaning.similarities(sentence, texts)
    scores = np.maximum(scores, meaning.similarities(
        sentence, [f.get("description") or f.get("name", "") for f in functions]))
    best = int(scores.argmax())
    close = [functions[best]["name"]] if scores[best] >= MENTION else []
    return list(dict.fromkeys(named + verbs + close))


@lru_cache(maxsize=256)
def _rules(system: str, key: str) -> tuple[Rule, ...]:
    functions = json.loads(key)
    found: list[Rule] = []
    joined = re.sub(r"[ \t]*\n(?![ \t]*(?:\d+[.)]|[-*•]|\n))[ \t]*", " ", system)
    for line in re.split(r"\n+", joined):
        for sentence in re.split(r"(?<=[.!?;])\s+", line.strip()):
            sentence = re.sub(r"^\s*(?:\d+[.)]|[-*•])\s*", "", sentence).strip()
            if len(sentence.split()) < 3:
                continue
            tools = _mentions(sentence, functions)
            if not tools:
                continue
            head = re.split(r"[:(;]|\binstead\b", sentence, maxsplit=1)[0]
            subject = [t for t in _mentions(head, functions) if t in tools] or tools
            words = [w.lower() for w in re.findall(r"[A-Za-z]+", sentence)]
            outside = re.sub(r"\([^)]*\)", " ", sentence)
            own = {identifier_words(t).split()[0][:5] for t in tools}
            states = [w.lower() for w in re.findall(r"[A-Za-z]+(?:ed|ing)\b", outside)
                      if w.lower()[:5] not in own and w.lower() not in _NOT_STATES]
            above, window = _ABOVE.search(sentence), _WINDOW.search(sentence)
            if above:
                found.append(Rule("limit", sentence, tools, float(above.group(1).replace(",", ".")),
                                  subject=subject))
            elif window:
                unit = window.group(2).lower()
                days = int(window.group(1)) * (7 if unit.startswith("week") else
                                               30 if unit.startswith("month") else 1)
                found.append(Rule("window", sentence, tools, days, words, subject=subject))
            elif _BEFORE.search(sentence):
                found.append(Rule("check", sentence, _prerequisite_first(sentence, tools,
                                                                         functions)))
            if _ONLY.search(sentence) or _NEGATION.search(sentence):
                negations = len(_NEGATION.findall(sentence))
                required = bool(_ONLY.search(sentence)) or negations % 2 == 0
                if states:
                    found.append(Rule("state", sentence, tools, words=states,
                                      required=required, subject=subject))
    return tuple(found)


def _prerequisite_first(sentence: str, tools: list[str], functions: list[dict]) -> list[str]:
    """Order a check rule's tools so the prerequisite comes first: the tool of the clause that
    is not governed by "before" ("Before any refund, verify..." / "verify ... before ...")."""
    cue = _BEFORE.search(sentence)
    head, tail = sentence[: cue.start()], sentence[cue.end():]
    if cue.group(0).lower() in ("before", "prior to", "until") and not head.strip(" ,"):
        clause = tail.split(",", 1)[1] if "," in tail else tail
    elif cue.group(0).lower() in ("only after", "only once", "unless", "first"):
        clause = tail if cue.group(0).lower() != "first" else sentence
    else:
        clause = head
    literal = [t for t in tools if re.search(rf"\b{re.escape(t)}\b", clause)]
    if literal:
        return literal + [t for t in tools if t not in literal]
    profiles = {f["name"]: single._info(f).profile for f in functions if f.get("name") in tools}
    scores = meaning.similarities(clause, [profiles[t] for t in tools])
    best = tools[int(scores.argmax())]
    return [best] + [t for t in tools if t != best]


def read_rules(system: str, functions: list[dict]) -> list[Rule]:
    """The procedural rules of the system prompt that concern the offered tools."""
    if not system.strip():
        return []
    key = json.dumps(functions, sort_keys=True, default=str)
    return list(_rules(system, key))


def _entity(param: str) -> str:
    """What an identifier parameter identifies: item_id -> item, orderNumber -> order."""
    words = identifier_words(param).split()
    return " ".join(w for w in words if not _ID_PARAM.search(w)) or param


def _required(function: dict) -> list[str]:
    parameters = function.get("parameters") or {}
    return list(parameters.get("required", []))


def _props(function: dict) -> dict:
    return (function.get("parameters") or {}).get("properties") or {}


def workflow(functions: list[dict]) -> bool:
    """Does one tool's required identifier come from another tool (its profile mentions it)?"""
    for function in functions:
        for name in _required(function):
            if not _ID_PARAM.search(name):
                continue
            entity = _entity(name)
            for other in functions:
                if other is not function and re.search(
                    rf"\b{re.escape(entity)}", single._info(other).profile, re.I
                ) and other.get("name", "").find(entity) < 0:
                    return True
    return False


def _scalars(data: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    if isinstance(data, dict):
        out = []
        for k, v in data.items():
            out += _scalars(v, (*path, str(k)))
        return out
    if isinstance(data, list):
        out = []
        for v in data:
            out += _scalars(v, path)
        return out
    return [(path, data)]


def _records(data: object, tool: str) -> list[tuple[str, dict]]:
    """(what the record is, the record) for each dict in a result: the tool's own record
    (get_order -> "order") and every dict in a list under a key (items -> "item")."""
    out = []
    if isinstance(data, dict):
        out.append((identifier_words(tool), data))
        for k, v in data.items():
            if isinstance(v, list):
                out += [(k.rstrip("s"), d) for d in v if isinstance(d, dict)]
            elif isinstance(v, dict):
                out.append((k, v))
    elif isinstance(data, list):
        out += [(identifier_words(tool), d) for d in data if isinstance(d, dict)]
    return out


def _shape(description: str) -> re.Pattern[str] | None:
    found = _EXAMPLE.search(description or "")
    if not found:
        return None
    parts = re.findall(r"\d+|[A-Za-z]+|.", found.group(1))
    pattern = "".join(rf"\d{{{len(p)}}}" if p.isdigit() else rf"[A-Za-z]{{{len(p)}}}"
                      if p.isalpha() else re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w-]){pattern}(?![\w-]*\d)")


def _goal_words(reading: Reading) -> set[str]:
    return set(single.content_lemmas(reading.user_text))


def candidates(reading: Reading, param: str, schema: dict,
               ambiguous: set[str] | None = None) -> list[str]:
    """Values for an identifier parameter, most recent evidence first: what the user said
    (a code of the description's example shape), then matching keys of tool results."""
    shape = _shape(schema.get("description", ""))
    found: list[str] = []
    ambiguous = set() if ambiguous is None else ambiguous
    for text in reversed(reading.users):
        codes = [m.group(0) for m in single._CODE_TOKEN.finditer(text)]
        found += [c for c in codes if shape is None or shape.fullmatch(c)] if shape else []
    entity = _entity(param)
    goal = _goal_words(reading)
    for call in reversed(reading.calls):
        if call.error:
            continue
        scored = []
        for what, record in _records(call.data, call.name):
            for key, value in record.items():
                if isinstance(value, (dict, list)) or value in (None, ""):
                    continue
                value = str(value)
                exact = key == param
                own = key == "id" and entity in what
                fits = shape is not None and shape.fullmatch(value) is not None
                if exact or own or (fits and entity in identifier_words(key)):
                    words = set(single.content_lemmas(" ".join(map(str, record.values()))))
                    scored.append((-(len(words & goal)), value))
        if scored:
            best = min(s for s, _ in scored)
            tied = list(dict.fromkeys(v for s, v in scored if s == best))
            if len(tied) > 1 and not found:
                ambiguous.update(tied[1:])
            found += tied
    return list(dict.fromkeys(found))


class Agent:
    """One turn of the agent: the next call, a question, or the final reply."""

    def __init__(self, ctx: Context, reading: Reading) -> None:
        self.ctx, self.r = ctx, reading
        self.by_name = {f.get("name", ""): f for f in reading.functions}
        self.base = ctx.knob("base_error_rate")
        self.behaviours: list[str] = []
        self.ambiguous: set[str] = set()
        self.options: dict[str, list[str]] = {}

    # -- chances --------------------------------------------------------------------------
    def chance(self, mode: str, scale: float = 1.0) -> bool:
        p = min(0.9, RATES[mode] * self.base * scale * self.ctx.heat)
        return single._tier_shared_stream(self.ctx, f"agent-{mode}").random() < p

    # -- the goal -------------------------------------------------------------------------
    def goal_tool(self) -> str | None:
        """The tool the user's first turn asks for: the evidence of `tools.evidence` without
        argument fit (the values a customer hands over say which record, not what they want),
        sentences that only hand over an identity (an e-mail and a few words) and the check
        tool left out. Wrong tool: the runner-up, at the documented rate."""
        kept = [x for x in re.split(r"(?<=[.!?])\s+|\s*\([^)]*@[^)]*\)\s*", self.r.goal)
                if x and not (finders.EMAIL.search(x) and len(
                    finders.EMAIL.sub(" ", x).split()) <= 6)]
        text = finders.EMAIL.sub(" ", " ".join(kept) or self.r.goal)
        check, _ = self.check_tool()
        found = single.evidence(single.instruction_part(text), self.r.functions)
        total = [t - single.FIT_WEIGHT * f for t, f in zip(found.total, found.fit, strict=True)]
        order = sorted((i for i in range(len(total)) if self.r.functions[i]["name"] != check),
                       key=lambda i: -total[i])
        if not order or total[order[0]] < GOAL_THRESHOLD:
            return None
        best = order[0]
        margin = total[best] - (total[order[1]] if len(order) > 1 else -math.inf)
        described = all(single._info(f).clear for f in self.r.functions)
        if not described:  # names alone: the model is less sure of what tells them apart
            margin *= VAGUE_MARGIN
        closeness = math.exp(-margin / (single.MARGIN_PER_ERROR * self.base)) if self.base else 0
        p = self.base * (CLEAR_FACTOR if described else 1.0) * self.ctx.heat * closeness
        if len(order) > 1 and single._tier_shared_stream(self.ctx, "agent-tool").random() < p:
            self.behaviours.append("wrong_tool")
            best = order[1]
        return self.r.functions[best]["name"]

    # -- arguments ------------------------------------------------------------------------
    def value(self, function: dict, param: str) -> str | None:
        """The value for a required parameter, or None when it is unknown or ambiguous (two
        records fit the goal equally: the user must say which)."""
        schema = _props(function).get(param, {})
        if _ID_PARAM.search(param) or single.param_kind(param, schema) == "code":
            found = candidates(self.r, param, schema, self.ambiguous)
            if len(found) > 1 and found[1] in self.ambiguous:
                self.options[param] = found
                return None
            return found[0] if found else None
        kind = single.param_kind(param, schema)
        if kind == "email":
            emails = [e for u in reversed(self.r.users) for e in finders.EMAIL.findall(u)]
            return emails[0] if emails else None
        return self.free_text(param, schema)

    def free_text(self, param: str, schema: dict) -> str:
        hint = single._hint(param, schema)
        if re.search(r"address|street|where|destination", hint, re.I):
            for text in reversed(self.r.users):
                found = re.search(r"\bto\s+((?:my\s+\w+\s+at\s+)?[^.?!]*\d[^.?!]*?)(?:\s+instead)?"
                                  r"\s*(?:[.?!]|$)", text)
                if found:
                    return re.sub(r"^my\s+\w+\s+at\s+", "", found.group(1)).strip()
        goal = re.sub(r"\s+", " ", self.r.goal)
        goal = finders.EMAIL.sub("", goal)
        return " ".join(goal.split()[:24])

    def arguments(self, function: dict) -> tuple[dict, list[str]]:
        """Required arguments it can fill, and the required ones it cannot."""
        args, missing = {}, []
        required = _required(function)
        for param in required:
            value = self.value(function, param)
            if value in (None, ""):
                missing.append(param)
            else:
                args[param] = value
        if not required:  # all optional: send the strongest identity it has (an e-mail first)
            props = _props(function)
            order = sorted(props, key=lambda p: single.param_kind(p, props[p]) != "email")
            for param in order:
                kind = single.param_kind(param, props[param])
                if kind != "email" and not _ID_PARAM.search(param):
                    continue
                value = self.value(function, param)
                if value:
                    args[param] = value
                    break
        return args, missing

    def producer(self, param: str, seen: set[str], depth: int = 0) -> tuple[str, dict] | None:
        """A tool not yet run that can supply `param`: its profile mentions what the parameter
        identifies and its own required arguments are at hand, or can be produced in turn
        (up to two links: item <- order <- customer)."""
        entity = _entity(param)
        best = None
        for function in self.r.functions:
            name = function.get("name", "")
            if name in seen or param in _required(function):
                continue
            profile = single._info(function).profile
            if not re.search(rf"\b{re.escape(entity)}", profile, re.I):
                continue
            args, missing = self.arguments(function)
            if self.r.done(name) or (not args and not missing):
                continue
            step: tuple[str, dict] | None = (name, args)
            if missing:
                step = None
                if depth < 2:
                    step = self.producer(missing[0], seen | {name}, depth + 1)
                if step is None:
                    continue
            score = float(meaning.similarities(f"show the {entity} details", [profile])[0])
            if best is None or score > best[0]:
                best = (score, *step)
        return (best[1], best[2]) if best else None

    # -- rules ----------------------------------------------------------------------------
    def check_tool(self) -> tuple[str | None, bool]:
        """(the check tool, whether the prompt states it)."""
        for rule in self.r.rules:
            if rule.kind == "check":
                return rule.tools[0], True
        for function in self.r.functions:  # a tool that reads as a check, by habit
            profile = single._info(function).profile
            if meaning.similarity(profile, "verify or check who the customer is, confirm "
                                  "their identity") >= 0.5:
                return function["name"], False
        return None, False

    def record_for(self, args: dict) -> dict | None:
        """The latest tool result record that holds one of the action's identifiers."""
        values = {str(v) for v in args.values()}
        for call in reversed(self.r.calls):
            if call.error:
                continue
            for _, record in _records(call.data, call.name):
                if values & {str(v) for v in record.values()}:
                    merged = dict(record)
                    if isinstance(call.data, dict):
                        merged = {**{k: v for k, v in call.data.items()
                                     if not isinstance(v, (list, dict))}, **record}
                    return merged
        return None

    def blocking(self, tool: str, args: dict, record: dict | None,
                 skip: Rule | None = None) -> tuple[Rule, str] | None:
        """The stated rule that forbids this call on this record, and why (`skip`: the rule that
        named this tool as the alternative does not forbid it)."""
        for rule in self.r.rules:
            if rule is skip or rule.kind == "check" or record is None:
                continue
            if tool not in (rule.subject or rule.tools):
                continue
            if rule.kind == "limit":
                amounts = [float(v) for k, v in record.items()
                           if isinstance(v, (int, float)) and re.search(
                               r"price|amount|total|cost|eur|usd", k, re.I)]
                if amounts and max(amounts) > rule.number:
                    return rule, f"the amount {max(amounts):.2f} is above {rule.number:g}"
            elif rule.kind == "window" and self.r.today is not None:
                dates = [(k, v) for k, v in record.items()
                         if isinstance(v, str) and _ISO.match(v)]
                if dates:
                    scores = meaning.similarities(" ".join(rule.words),
                                                  [identifier_words(k) for k, _ in dates])
                    key, when = dates[int(scores.argmax())]
                    age = (self.r.today - date.fromisoformat(when)).days
                    if age > rule.number:
                        return rule, f"{identifier_words(key)} was {age} days ago"
            elif rule.kind == "state" and rule.words:
                status = [str(v).lower() for k, v in record.items()
                          if isinstance(v, str) and re.search(r"status|state", k, re.I)]
                if not status:
                    continue
                inside = status[0] in rule.words
                if inside != rule.required:
                    return rule, f"its status is {status[0]}"
        return None

    def alternative(self, rule: Rule, tool: str, check: str | None) -> str | None:
        return next((name for name in rule.tools if name not in (tool, check)), None)

    # -- the turn -------------------------------------------------------------------------
    def call(self, name: str, args: dict, loop_ok: bool = True) -> Reply:
        function = self.by_name.get(name, {"name": name})
        args = dict(args)
        last = self.r.calls[-1] if self.r.calls else None
        if loop_ok and last and not last.error:
            repeating = len(self.r.calls) >= 2 and (self.r.calls[-2].name, self.r.calls[-2]
                                                     .arguments) == (last.name, last.arguments)
            if (repeating and single._tier_shared_stream(self.ctx, "agent-sticky").random() \
                    < LOOP_STICKY) or self.chance("loop"):
                self.behaviours.append("looped")
                name, args = last.name, dict(last.arguments)
                function = self.by_name.get(name, {"name": name})
        props = _props(function)
        filler = Filler(text=self.r.user_text, root=function.get("parameters") or {},
                        rng=self.ctx.stream("agent-arguments"),
                        base_error_rate=self.base, temperature=self.ctx.request.temperature,
                        style="argument")
        for key in list(args):
            if _ID_PARAM.search(key) and self.chance(
                    "garble", self.ctx.knob("field_miss_rate") / max(self.base, 1e-9)):
                wrong = garble(args[key], props.get(key, {"type": "string"}), filler)
                if wrong != args[key]:
                    args[key] = wrong
                    self.behaviours.append("wrong_argument")
        rng = self.ctx.stream("agent-call-id")
        return Reply(tool_calls=[{
            "id": f"call_{rng.getrandbits(96):024x}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)}}],
            behaviours=self.behaviours)

    def say(self, text: str) -> Reply:
        return Reply(content=text, behaviours=self.behaviours)

    def next(self) -> Reply:
        r = self.r
        last = r.calls[-1] if r.calls else None
        fresh_result = bool(self.ctx.request.messages) and \
            self.ctx.request.messages[-1].get("role") == "tool"
        goal = self.goal_tool()
        if goal is None:
            self.behaviours.append("no_tool_fits")
            return self.say(self.report(None, "I am not sure which of my tools fits your "
                                              "request. Could you say what you need?"))
        # A tool error just came back: handle it, or mishandle it.
        if fresh_result and last is not None and last.error:
            if self.chance("mishandle_error"):
                how = single._tier_shared_stream(self.ctx, "agent-how").choice(
                    ("retry", "give_up", "ignore"))
                self.behaviours.append(f"error_{how}")
                if how == "retry":
                    return self.call(last.name, last.arguments, loop_ok=False)
                if how == "give_up":
                    return self.say("Sorry, something went wrong on my side and I could not "
                                    "finish this. Please try again later.")
                return self.say(self.report(goal, None, claim=True))
            named = [n for n in self.by_name if n != last.name and n in last.result]
            if named and not r.done(named[0]):
                args, missing = self.arguments(self.by_name[named[0]])
                if not missing:
                    return self.call(named[0], args)
            retried = [c for c in r.calls if c.name == last.name and c.error]
            if len(retried) >= 2 or _mentions_need(last.result):
                return self.say(f"{last.name} did not work: {last.result[:160]} "
                                "Could you give me the details it needs?")
        # 1. the check
        check, stated = self.check_tool()
        if check and check != goal:
            passed = [c for c in r.done(check) if _positive(c.data)]
            failed = [c for c in r.done(check) if not _positive(c.data)]
            if not passed:
                skip = self.chance("skip_stated_check") if stated else \
                    min(0.8, RATES["skip_habit_check"] * self.base * self.ctx.heat) > \
                    single._tier_shared_stream(self.ctx, "agent-habit").random()
                if skip and not failed:
                    self.behaviours.append("skipped_check")
                else:
                    args, _ = self.arguments(self.by_name[check])
                    tried = [c.arguments for c in r.calls if c.name == check]
                    if args and args not in tried:
                        return self.call(check, args)
                    if failed:
                        return self.say("I could not verify your identity with the details "
                                        "given, so I cannot go ahead. If you have other "
                                        "details on the account, please send them.")
                    if not args:
                        return self.say(self.ask(self.by_name[check]))
        # 2. the goal tool's arguments, via producers or the user
        goal_function = self.by_name[goal]
        args, missing = self.arguments(goal_function)
        seen: set[str] = {goal}
        if missing:
            for param in missing:
                produced = self.producer(param, seen)
                if produced and not self.stop_early():
                    return self.call(*produced)
                schema = _props(goal_function).get(param, {})
                sourced = bool(_SOURCE_HINT.search(schema.get("description", "")))
                if self.chance("hallucinate_sourced" if sourced else "hallucinate"):
                    self.behaviours.append("hallucinated_argument")
                    args[param] = _invent(schema, self.ctx)
                    continue
                return self.say(self.ask(goal_function, param, self.options.get(param, [])))
            if any(p not in args for p in missing):
                return self.say(self.ask(goal_function))
        # 3. the record the rules need, then the rules
        if r.done(goal) and not (last and last.name == goal and last.error):
            return self.say(self.report(goal, None))
        if self.stop_early():
            return self.say(self.report(goal, None))
        record = self.record_for(args)
        rules = [x for x in r.rules if goal in (x.subject or x.tools) and x.kind != "check"]
        if rules and record is None:
            lookup = self.lookup(args, seen)
            if lookup:
                return self.call(*lookup)
        blocked = self.blocking(goal, args, record)
        if blocked and not self.chance("ignore_rule"):
            rule, why = blocked
            other = self.alternative(rule, goal, check)
            if other and not r.done(other):
                other_args, other_missing = self.arguments(self.by_name[other])
                if not other_missing and not self.blocking(other, other_args, record, rule):
                    return self.call(other, other_args)
            if other and r.done(other):
                return self.say(self.report(goal, f"I could not do {goal} because {why}: "
                                            f"\"{rule.sentence}\"", blocked_by=other))
            return self.say(self.report(goal, f"I could not do {goal} because {why}: "
                                        f"\"{rule.sentence}\""))
        if blocked:
            self.behaviours.append("ignored_rule")
        failed = [c for c in r.calls if c.error and (c.name, c.arguments) == (goal, args)]
        if failed:
            return self.say(self.report(goal, f"{goal} did not work: {failed[-1].result[:200]}"))
        return self.call(goal, args)

    def stop_early(self) -> bool:
        if self.r.calls and self.chance("stop_early"):
            self.behaviours.append("stopped_early")
            return True
        return False

    def lookup(self, args: dict, seen: set[str]) -> tuple[str, dict] | None:
        """A read tool that takes the same identifiers, to fetch the record the rules need."""
        best = None
        for function in self.r.functions:
            name = function.get("name", "")
            required = _required(function)
            if name in seen or not required or self.r.done(name):
                continue
            if not set(required) <= set(args):
                continue
            profile = single._info(function).profile
            score = float(meaning.similarities("look up and show the details of one record",
                                               [profile])[0])
            if best is None or score > best[0]:
                best = (score, name, {k: args[k] for k in required})
        return (best[1], best[2]) if best else None

    def ask(self, function: dict, param: str | None = None, options: list[str] = ()) -> str:
        props = _props(function)
        if param is None:
            wanted = [p for p in props if p not in self.arguments(function)[0]] or list(props)
            param = wanted[0] if wanted else "details"
        hint = props.get(param, {}).get("description") or identifier_words(param)
        if len(options) > 1:
            return f"I found more than one: {', '.join(options[:5])}. Which one do you mean?"
        return f"To go ahead I need {identifier_words(param)} ({hint}). Could you give it to me?"

    def report(self, goal: str | None, note: str | None, *, claim: bool = False,
               blocked_by: str | None = None) -> str:
        """The final reply: each successful call with its result, then the note; or, by the
        claim mode, a claim that the goal tool ran although it did not."""
        lines = []
        for call in self.r.calls:
            if call.error:
                continue
            lines.append(f"{call.name}: {_digest(call.data, call.result)}")
        if note:
            lines.append(note)
        done = goal is not None and bool(self.r.done(goal))
        words = identifier_words(goal or "").split()
        acting = bool(words) and words[0] not in _READ_VERBS
        if goal and acting and not done and (claim or self.chance("claim")):
            self.behaviours.append("claimed_action")
            verb = words[0] + ("d" if words[0].endswith("e") else "ed")
            lines.append(f"I have {verb} {' '.join(words[1:]) or 'it'} for you as requested.")
        return "\n".join(lines) or "I have nothing to report."


_READ_VERBS = frozenset({"get", "list", "find", "look", "lookup", "show", "search", "check",
                         "verify", "read", "fetch", "query", "track", "view"})


def _mentions_need(text: str) -> bool:
    return bool(re.search(r"\b(?:give|provide|need|missing|required)\b", text, re.I))


def _positive(data: object) -> bool:
    """A check's result passes: no false flag in it."""
    if isinstance(data, dict):
        flags = [v for v in data.values() if isinstance(v, bool)]
        return all(flags) if flags else True
    return data is not None


def _digest(data: object, text: str) -> str:
    if data is None:
        return " ".join(text.split()[:40])
    pairs = _scalars(data)[:24]
    return "; ".join(f"{'.'.join(p) or 'value'}: {v}" for p, v in pairs)


def _invent(schema: dict, ctx: Context) -> str:
    """A made-up identifier of the example's shape (or a generic one): a hallucination."""
    rng = ctx.stream("agent-invent")
    found = _EXAMPLE.search(schema.get("description", "") or "")
    example = found.group(1) if found else "ID-10000"
    return re.sub(r"\d", lambda _: str(rng.randint(0, 9)), example)


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): a request with tools that form a workflow or come with
    rules about them; anything else is left to `tools`."""
    functions = single._functions(ctx)
    if len(functions) < 2:
        return None
    reading = read(ctx)
    if not reading.rules and not workflow(functions):
        return None
    return Agent(ctx, reading).next()
