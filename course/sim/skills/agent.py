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
    "stop_early": 0.8,  # replies before the goal tool ran
    "loop": 0.3,  # repeats the previous call unchanged (and goes on repeating, LOOP_STICKY)
    "mishandle_error": 0.9,  # after a tool error: retries the same call, gives up, or ignores it
    "claim": 0.45,  # the final reply claims the goal's action although it did not run
    "guess": 0.6,  # picks one of two records that fit equally instead of asking which
    "cave": 1.0,  # the check failed, the user insists ("just do it"): acts anyway
    "ignore_rule": 1.0,  # acts although a stated limit/window/state rule forbids it
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
_ABOVE = re.compile(
    r"\b(?:above|over|more than|exceed\w*|greater than|larger than|>)\s*"
    r"(?:[A-Z]{3}|[€$£])?\s*(\d+(?:[.,]\d+)?)",
    re.I,
)
_WINDOW = re.compile(r"(\d+)\s*(days?|weeks?|months?)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|never|cannot|can't|no)\b|n't\b", re.I)
_ONLY = re.compile(r"\bonly\b", re.I)
_TODAY = re.compile(
    r"\btoday\b[^.\n]{0,30}?(\d{4}-\d{2}-\d{2})|(\d{4}-\d{2}-\d{2})[^.\n]{0,12}"
    r"\btoday\b",
    re.I,
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXAMPLE = re.compile(r"(?:such as|like|e\.g\.|for example|eg)\s+([A-Za-z0-9][\w-]*\d[\w-]*)")
_NOT_STATES = frozenset(
    {
        "need",
        "anything",
        "nothing",
        "something",
        "everything",
        "thing",
        "bring",
        "during",
        "according",
        "following",
        "regarding",
        "using",
    }
)
_ID_PARAM = re.compile(r"(?:^|_)(?:id|number|no|code|ref)$")

# What the goal reading weighs besides the `tools` evidence (see `goal_scores`).
VERB_WEIGHT = 0.6  # the request uses the verb of the tool's name ("refund" -> refund_item)
OBJECT_WEIGHT = 0.25  # ... its object, in the same number ("my order" -> get_order)
NEGATED_WEIGHT = 1.0  # ... words the description says the tool does NOT do ("nothing is refunded")
# Everyday phrasings a static word model does not link to the action they ask for, and the
# plain words a stronger model reads in them. General English, not any one app's vocabulary.
IDIOMS = (
    (re.compile(r"\bmoney back\b|\breimburs|\bpay (?:me )?back\b", re.I), "refund"),
    (
        re.compile(
            r"\bwhere(?:'s| is| are)\b|\b(?:been )?(?:sent|shipped|dispatched) yet\b"
            r"|\bbeen (?:sent|shipped|dispatched)\b|\btracking number\b",
            re.I,
        ),
        "status shipment tracking",
    ),
    (
        re.compile(r"\b(?:send|ship|deliver|redirect|forward)\b[^.?!]{0,40}?\bto\b", re.I),
        "change the delivery address",
    ),
    (
        re.compile(
            r"\b(?:talk|speak)\s+(?:to|with)\s+(?:a\s+)?(?:human|person|someone|manager)"
            r"|\breal person\b",
            re.I,
        ),
        "hand over to a person",
    ),
)
# Figures of speech whose verb is not the action asked for ("I changed my mind about O-1, just
# cancel it" asks to cancel, not to change anything): read as their plain meaning instead.
FIGURES = (
    (
        re.compile(
            r"\b(?:change|changed|changing|changes)\s+(?:my|our|his|her|their|your)\s+minds?\b",
            re.I,
        ),
        "reconsidered",
    ),
)
_INSTEAD = re.compile(r"\binstead\b", re.I)


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
    functions = single.offered_functions(ctx)
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


def _said_verb(verb: str, lemmas: set[str], words: set[str]) -> bool:
    """Does a sentence use this verb, in any form ("refunded", "cancelled", "changing")?"""
    if verb in lemmas:
        return True
    stem = verb[:-1] if verb.endswith(("e", "y")) else verb
    return len(stem) >= 4 and any(w.startswith(stem) for w in words)


def _mentions(sentence: str, functions: list[dict]) -> list[str]:
    """The tools a sentence names: literally ("verify_identity") or by the verb of the tool's
    name ("refunded" -> refund_item, "cancelled" -> cancel_order); when it names none, the
    one closest in meaning to the sentence (description or profile, cosine >= MENTION). A
    closest-by-meaning tool is not added beside a named one: a description that shares the
    sentence's words ("an order that is still processing") does not make the sentence about
    that tool."""
    named = [
        f["name"]
        for f in functions
        if f.get("name") and re.search(rf"\b{re.escape(f['name'])}\b", sentence)
    ]
    plain = glossed(sentence)  # "money back" is a refund
    lemmas = set(single.content_lemmas(plain))
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", plain)}
    verbs = [
        f["name"]
        for f in functions
        if f.get("name") and _said_verb(single.tool_info(f).action[0], lemmas, words)
    ]
    if named or verbs:
        return list(dict.fromkeys(named + verbs))
    texts = [single.tool_info(f).profile for f in functions]
    described = [
        single.split_negated(f.get("description") or "")[0] or f.get("name", "") for f in functions
    ]
    scores = np.maximum(
        meaning.similarities(sentence, texts), meaning.similarities(sentence, described)
    )
    best = int(scores.argmax())
    return [functions[best]["name"]] if scores[best] >= MENTION else []


@lru_cache(maxsize=256)
def _rules(system: str, key: str) -> tuple[Rule, ...]:
    functions = json.loads(key)
    found: list[Rule] = []
    joined = re.sub(r"[ \t]*\n(?![ \t]*(?:\d+[.)]|[-*•]|\n))[ \t]*", " ", system)
    for line in re.split(r"\n+", joined):
        previous: list[Rule] = []  # the rules of the line's previous sentence
        for sentence in re.split(r"(?<=[.!?;])\s+", line.strip()):
            sentence = re.sub(r"^\s*(?:\d+[.)]|[-*•])\s*", "", sentence).strip().rstrip(";")
            if len(sentence.split()) < 3:
                previous = []
                continue
            tools = _mentions(sentence, functions)
            if not tools:
                previous = []
                continue
            if _INSTEAD.search(sentence) and previous:
                # "... cannot be refunded; cancel the order instead": the clause after the
                # semicolon names the alternative of the rule before it, as a parenthesis does
                for rule in previous:
                    rule.tools += [t for t in tools if t not in rule.tools]
            start = len(found)
            head = re.split(r"[:(;]|\binstead\b", sentence, maxsplit=1)[0]
            subject = [t for t in _mentions(head, functions) if t in tools] or tools
            words = [w.lower() for w in re.findall(r"[A-Za-z]+", sentence)]
            outside = re.sub(r"\([^)]*\)", " ", sentence)
            own = {identifier_words(t).split()[0][:5] for t in tools}
            states = [
                w.lower()
                for w in re.findall(r"[A-Za-z]+(?:ed|ing)\b", outside)
                if w.lower()[:5] not in own and w.lower() not in _NOT_STATES
            ]
            above, window = _ABOVE.search(sentence), _WINDOW.search(sentence)
            if above:
                found.append(
                    Rule(
                        "limit",
                        sentence,
                        tools,
                        float(above.group(1).replace(",", ".")),
                        subject=subject,
                    )
                )
            elif window:
                unit = window.group(2).lower()
                days = int(window.group(1)) * (
                    7 if unit.startswith("week") else 30 if unit.startswith("month") else 1
                )
                found.append(Rule("window", sentence, tools, days, words, subject=subject))
            elif _BEFORE.search(sentence):
                found.append(
                    Rule("check", sentence, _prerequisite_first(sentence, tools, functions))
                )
            if (_ONLY.search(sentence) or _NEGATION.search(sentence)) and not window:
                negations = len(_NEGATION.findall(sentence))
                required = bool(_ONLY.search(sentence)) or negations % 2 == 0
                if states:
                    found.append(
                        Rule(
                            "state",
                            sentence,
                            tools,
                            words=states,
                            required=required,
                            subject=subject,
                        )
                    )
            previous = [rule for rule in found[start:] if rule.kind in ("limit", "state")]
    return tuple(found)


def _prerequisite_first(sentence: str, tools: list[str], functions: list[dict]) -> list[str]:
    """Order a check rule's tools so the prerequisite comes first: the tool of the clause that
    is not governed by "before" ("Before any refund, verify..." / "verify ... before ...")."""
    cue = _BEFORE.search(sentence)
    head, tail = sentence[: cue.start()], sentence[cue.end() :]
    if cue.group(0).lower() in ("before", "prior to", "until") and not head.strip(" ,"):
        clause = tail.split(",", 1)[1] if "," in tail else tail
    elif cue.group(0).lower() in ("only after", "only once", "unless", "first"):
        clause = tail if cue.group(0).lower() != "first" else sentence
    else:
        clause = head
    literal = [t for t in tools if re.search(rf"\b{re.escape(t)}\b", clause)]
    if literal:
        return literal + [t for t in tools if t not in literal]
    profiles = {f["name"]: single.tool_info(f).profile for f in functions if f.get("name") in tools}
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
                if (
                    other is not function
                    and re.search(rf"\b{re.escape(entity)}", single.tool_info(other).profile, re.I)
                    and other.get("name", "").find(entity) < 0
                ):
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
    pattern = "".join(
        rf"\d{{{len(p)}}}"
        if p.isdigit()
        else rf"[A-Za-z]{{{len(p)}}}"
        if p.isalpha()
        else re.escape(p)
        for p in parts
    )
    return re.compile(rf"(?<![\w-]){pattern}(?![\w-]*\d)")


def _goal_words(reading: Reading) -> set[str]:
    return set(single.content_lemmas(reading.user_text))


_ADDRESS_PARAM = re.compile(r"address|street|destination|deliver", re.I)
_ADDRESS = re.compile(
    r"\b(?:to|at)\s+(?:(?:my|our|the)\s+\w+\s+(?:at|in|on)\s+)?"
    r"((?=[^.?!]*\d)(?=[^.?!]*[A-Z][a-zß-ÿ])[A-Z0-9][^.?!]*?)(?:\s+instead)?\s*(?:[.?!]|$)"
)


def address_span(text: str) -> str | None:
    """The span of `text` that reads as a postal address: after "to" or "at" (past "my office
    at"), starting with a capital or a digit and holding a digit and a capitalised word
    ("Hauptstraße 13, 28987", "Mill Lane 4"); e-mail addresses and order codes are no address."""
    text = finders.EMAIL.sub(" ", text)
    for found in _ADDRESS.finditer(text):
        span = found.group(1).strip(" ,")
        if not single.CODE_TOKEN.fullmatch(span) and len(span.split()) <= 12:
            return span
    return None


def without_identity(text: str) -> str:
    """The request without the sentences that only hand over an identity (an e-mail address
    and a few words: "My email is a@b.example.", "(account: a@b.example)")."""
    parts = re.split(r"(?<=[.!?])\s+|\s*\([^)]*@[^)]*\)\s*", text)
    kept = [
        x
        for x in parts
        if x and not (finders.EMAIL.search(x) and len(finders.EMAIL.sub(" ", x).split()) <= 6)
    ]
    return finders.EMAIL.sub(" ", " ".join(kept) or text).strip()


def glossed(text: str) -> str:
    """The request with its figures of speech in plain words (`FIGURES`) and the plain words
    of its everyday phrasings added (`IDIOMS`)."""
    for pattern, plain in FIGURES:
        text = pattern.sub(plain, text)
    extra = [gloss for pattern, gloss in IDIOMS if pattern.search(text)]
    return " ".join([text, *extra])


def goal_scores(goal: str, functions: list[dict]) -> list[float]:
    """How well each tool fits what the user wants, one score per tool.

    The `tools` evidence (meaning, word alignment, lemmas) of the request without its identity
    sentences, its values and argument fit (the values a customer hands over say which record,
    not what they want), with its everyday phrasings glossed; plus what the tool DOES: the
    verb of its name used in the request (a reading verb such as get/list does not count:
    people do not ask to "get"), and its object in the same number ("my order" is one order:
    get_order rather than list_orders); minus the request's words that the description says
    the tool does not do ("nothing is refunded" speaks against a refund request).
    """
    text = glossed(single.instruction_part(without_identity(goal)))
    found = single.evidence(text, functions)
    surface = [w.lower() for w in re.findall(r"[A-Za-z]+", text)]
    lemmas = [single.lemma(w) for w in surface]
    weights = {
        lemma: meaning.word_weight(w)
        for w, lemma in zip(surface, lemmas, strict=True)
        if lemma in set(single.content_lemmas(text))
    }
    total_weight = sum(weights.values()) or 1.0
    actions = [
        single.tool_info(f).action
        for f in functions
        if single.tool_info(f).action and single.tool_info(f).action[0] not in _READ_VERBS
    ]
    scores = []
    for function, base, fit in zip(functions, found.total, found.fit, strict=True):
        info = single.tool_info(function)
        score = base - single.FIT_WEIGHT * fit
        words = identifier_words(function.get("name", "")).lower().split()
        if info.action and info.action[0] not in _READ_VERBS and info.action[0] in lemmas:
            # the action asked for first is the goal ("cancel it and give me the money back")
            first = lemmas.index(info.action[0]) == min(
                lemmas.index(x[0]) for x in actions if x[0] in lemmas
            )
            score += VERB_WEIGHT if first else VERB_WEIGHT / 2
        for word, lemma in zip(words[1:], info.action[1:], strict=False):
            said = [w for w, x in zip(surface, lemmas, strict=True) if x == lemma]
            if said and any((w != lemma) == (word != lemma) for w in said):
                score += OBJECT_WEIGHT
        against = sum(w for lemma, w in weights.items() if lemma in info.negated)
        scores.append(score - NEGATED_WEIGHT * against / total_weight)
    return scores


def candidates(
    reading: Reading, param: str, schema: dict, ambiguous: set[str] | None = None
) -> list[str]:
    """Values for an identifier parameter, most recent evidence first: what the user said
    (a code of the description's example shape), then matching keys of tool results."""
    shape = _shape(schema.get("description", ""))
    found: list[str] = []
    ambiguous = set() if ambiguous is None else ambiguous
    for text in reversed(reading.users):
        codes = [m.group(0) for m in single.CODE_TOKEN.finditer(text)]
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
        return single.tier_shared_stream(self.ctx, f"agent-{mode}").random() < p

    # -- the goal -------------------------------------------------------------------------
    def goal_tool(self) -> str | None:
        """The tool the user's first turn asks for (`goal_scores`), the check tool left out.
        Wrong tool: the runner-up, at the documented rate."""
        check, _ = self.check_tool()
        total = goal_scores(self.r.goal, self.r.functions)
        order = sorted(
            (i for i in range(len(total)) if self.r.functions[i]["name"] != check),
            key=lambda i: -total[i],
        )
        if not order or total[order[0]] < GOAL_THRESHOLD:
            return None
        best = order[0]
        margin = total[best] - (total[order[1]] if len(order) > 1 else -math.inf)
        described = all(single.tool_info(f).clear for f in self.r.functions)
        if not described:  # names alone: the model is less sure of what tells them apart
            margin *= VAGUE_MARGIN
        closeness = math.exp(-margin / (single.MARGIN_PER_ERROR * self.base)) if self.base else 0
        p = self.base * (CLEAR_FACTOR if described else 1.0) * self.ctx.heat * closeness
        if len(order) > 1 and single.tier_shared_stream(self.ctx, "agent-tool").random() < p:
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
                if self.chance("guess"):
                    self.behaviours.append("guessed_argument")
                    return found[0]
                self.options[param] = found
                return None
            return found[0] if found else None
        kind = single.param_kind(param, schema)
        if kind == "email":
            emails = [e for u in reversed(self.r.users) for e in finders.EMAIL.findall(u)]
            return emails[0] if emails else None
        return self.free_text(param, schema)

    def free_text(self, param: str, schema: dict) -> str | None:
        """A free-text value: for an address-like parameter only a span that reads as an
        address (`address_span`; none: unknown, so the model asks), for anything else (a
        reason, a summary) the user's request without the sentences that hand over an
        identity, at most 24 words."""
        if _ADDRESS_PARAM.search(single.param_hint(param, schema)):
            spans = [address_span(text) for text in reversed(self.r.users)]
            return next((span for span in spans if span), None)
        return " ".join(without_identity(self.r.goal).split()[:24]) or None

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
            profile = single.tool_info(function).profile
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
            if self.limited(name):
                continue
            score = float(meaning.similarities(f"show the {entity} details", [profile])[0])
            score += self.reads(function)
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
            profile = single.tool_info(function).profile
            if (
                meaning.similarity(
                    profile, "verify or check who the customer is, confirm their identity"
                )
                >= 0.5
            ):
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
                        merged = {
                            **{
                                k: v
                                for k, v in call.data.items()
                                if not isinstance(v, (list, dict))
                            },
                            **record,
                        }
                    return merged
        return None

    def blocking(
        self, tool: str, args: dict, record: dict | None, skip: Rule | None = None
    ) -> tuple[Rule, str] | None:
        """The stated rule that forbids this call on this record, and why (`skip`: the rule that
        named this tool as the alternative does not forbid it)."""
        for rule in self.r.rules:
            if rule is skip or rule.kind == "check" or record is None:
                continue
            if tool not in (rule.subject or rule.tools):
                continue
            if rule.kind == "limit":
                amounts = [
                    float(v)
                    for k, v in record.items()
                    if isinstance(v, (int, float))
                    and re.search(r"price|amount|total|cost|eur|usd", k, re.I)
                ]
                if amounts and max(amounts) > rule.number:
                    return rule, f"the amount {max(amounts):.2f} is above {rule.number:g}"
            elif rule.kind == "window" and self.r.today is not None:
                dates = [(k, v) for k, v in record.items() if isinstance(v, str) and _ISO.match(v)]
                if dates:
                    scores = meaning.similarities(
                        " ".join(rule.words), [identifier_words(k) for k, _ in dates]
                    )
                    key, when = dates[int(scores.argmax())]
                    age = (self.r.today - date.fromisoformat(when)).days
                    if age > rule.number:
                        return rule, f"it was {identifier_words(key)} {when}, {age} days ago"
            elif rule.kind == "state" and rule.words:
                status = [
                    str(v).lower()
                    for k, v in record.items()
                    if isinstance(v, str) and re.search(r"status|state", k, re.I)
                ]
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
            repeating = len(self.r.calls) >= 2 and (
                self.r.calls[-2].name,
                self.r.calls[-2].arguments,
            ) == (last.name, last.arguments)
            if (
                repeating
                and single.tier_shared_stream(self.ctx, "agent-sticky").random() < LOOP_STICKY
            ) or self.chance("loop"):
                self.behaviours.append("looped")
                name, args = last.name, dict(last.arguments)
                function = self.by_name.get(name, {"name": name})
        props = _props(function)
        filler = Filler(
            text=self.r.user_text,
            root=function.get("parameters") or {},
            rng=self.ctx.stream("agent-arguments"),
            base_error_rate=self.base,
            temperature=self.ctx.request.temperature,
            style="argument",
        )
        for key in list(args):
            if _ID_PARAM.search(key) and self.chance(
                "garble", self.ctx.knob("field_miss_rate") / max(self.base, 1e-9)
            ):
                wrong = garble(args[key], props.get(key, {"type": "string"}), filler)
                if wrong != args[key]:
                    args[key] = wrong
                    self.behaviours.append("wrong_argument")
        rng = self.ctx.stream("agent-call-id")
        return Reply(
            tool_calls=[
                {
                    "id": f"call_{rng.getrandbits(96):024x}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
            ],
            behaviours=self.behaviours,
        )

    def say(self, text: str) -> Reply:
        return Reply(content=text, behaviours=self.behaviours)

    def next(self) -> Reply:
        r = self.r
        last = r.calls[-1] if r.calls else None
        fresh_result = (
            bool(self.ctx.request.messages) and self.ctx.request.messages[-1].get("role") == "tool"
        )
        goal = self.goal_tool()
        if goal is None:
            self.behaviours.append("no_tool_fits")
            return self.say(
                self.report(
                    None,
                    "I am not sure which of my tools fits your "
                    "request. Could you say what you need?",
                )
            )
        # A tool error just came back: handle it, or mishandle it.
        if fresh_result and last is not None and last.error:
            if self.chance("mishandle_error"):
                how = single.tier_shared_stream(self.ctx, "agent-how").choice(
                    ("retry", "give_up", "ignore")
                )
                self.behaviours.append(f"error_{how}")
                if how == "retry":
                    return self.call(last.name, last.arguments, loop_ok=False)
                if how == "give_up":
                    return self.say(
                        "Sorry, something went wrong on my side and I could not "
                        "finish this. Please try again later."
                    )
                return self.say(self.report(goal, None, claim=True))
            named = [n for n in self.by_name if n != last.name and n in last.result]
            if named and not r.done(named[0]):
                args, missing = self.arguments(self.by_name[named[0]])
                if not missing:
                    return self.call(named[0], args)
            retried = [c for c in r.calls if c.name == last.name and c.error]
            if len(retried) >= 2 or _mentions_need(last.result):
                return self.say(f"{self.attempt(last)} Could you give me the details it needs?")
        # 1. the check
        check, stated = self.check_tool()
        if check and check != goal:
            passed = [c for c in r.done(check) if _positive(c.data)]
            failed = [c for c in r.done(check) if not _positive(c.data)]
            if not passed:
                skip = (
                    self.chance("skip_stated_check")
                    if stated
                    else min(0.8, RATES["skip_habit_check"] * self.base * self.ctx.heat)
                    > single.tier_shared_stream(self.ctx, "agent-habit").random()
                )
                caves = bool(failed) and r.asked > 0 and self.chance("cave")
                if caves:
                    self.behaviours.append("ignored_rule")
                elif skip and not failed:
                    self.behaviours.append("skipped_check")
                else:
                    args, _ = self.arguments(self.by_name[check])
                    tried = [c.arguments for c in r.calls if c.name == check]
                    if args and args not in tried:
                        return self.call(check, args)
                    if failed:
                        return self.say(
                            "I could not verify your identity with the details "
                            "given, so I cannot go ahead. If you have other "
                            "details on the account, please send them."
                        )
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
                identifier = _ID_PARAM.search(param) or single.param_kind(param, schema) == "code"
                if identifier and self.chance("hallucinate_sourced" if sourced else "hallucinate"):
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
            refusal = (
                f"I could not {_phrase(goal, args)} because {why}; "
                f'our policy says: "{rule.sentence}"'
            )
            return self.say(self.report(goal, refusal))
        if blocked:
            self.behaviours.append("ignored_rule")
        failed = [c for c in r.calls if c.error and (c.name, c.arguments) == (goal, args)]
        if failed:
            return self.say(self.report(goal, self.attempt(failed[-1])))
        return self.call(goal, args)

    def stop_early(self) -> bool:
        if self.r.calls and self.chance("stop_early"):
            self.behaviours.append("stopped_early")
            return True
        return False

    def limited(self, name: str) -> bool:
        """Does a stated rule limit this tool (so it acts, and is no way to read a record)?"""
        return any(name in (rule.subject or ()) for rule in self.r.rules if rule.kind != "check")

    @staticmethod
    def reads(function: dict) -> float:
        """0.5 for a tool whose name starts with a reading verb (get, list, show...), else 0:
        to look something up, a model prefers a tool that only reads."""
        action = single.tool_info(function).action
        return 0.5 if action and action[0] in _READ_VERBS else 0.0

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
            if self.limited(name):
                continue
            profile = single.tool_info(function).profile
            score = float(
                meaning.similarities("look up and show the details of one record", [profile])[0]
            ) + self.reads(function)
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

    def attempt(self, call: Call) -> str:
        """A failed call in words: what was tried and why the tool refused."""
        return f"I tried to {_phrase(call.name, call.arguments)}, but it did not work: " + (
            f"{_error_text(call.result)}."
        )

    def report(self, goal: str | None, note: str | None, *, claim: bool = False) -> str:
        """The final reply in plain words: what was done (each successful action, with the
        facts its result gives: amounts, identifiers, dates), the answer when the goal was
        to read something (status, shipment, dates of the record), then the note (a rule
        that stopped an action); or, by the claim mode, a claim that the goal's action was
        taken although it was not."""
        lines = []
        check, _ = self.check_tool()
        for call in self.r.calls:
            if call.error:
                continue
            if call.name == check and _positive(call.data):
                lines.append(f"I {_past(_verb(call.name))} {_object(call.name, 'your')}.")
            elif not _reading(call.name):
                lines.append(_done_sentence(call))
        answers = [c for c in self.r.done(goal or "") if _reading(c.name)] if goal else []
        if answers:
            lines.append(_answer_sentence(answers[-1]))
        if note:
            lines.append(note)
        done = goal is not None and bool(self.r.done(goal))
        if goal and not _reading(goal) and not done and (claim or self.chance("claim")):
            self.behaviours.append("claimed_action")
            lines.append(f"I have {_phrase(goal, {}, past=True)} for you as requested.")
        return "\n".join(dict.fromkeys(lines)) or "I have nothing to report."


_READ_VERBS = frozenset(
    {
        "get",
        "list",
        "find",
        "look",
        "lookup",
        "show",
        "search",
        "check",
        "verify",
        "read",
        "fetch",
        "query",
        "track",
        "view",
    }
)


def _mentions_need(text: str) -> bool:
    return bool(re.search(r"\b(?:give|provide|need|missing|required)\b", text, re.I))


def _positive(data: object) -> bool:
    """A check's result passes: no false flag in it."""
    if isinstance(data, dict):
        flags = [v for v in data.values() if isinstance(v, bool)]
        return all(flags) if flags else True
    return data is not None


_CURRENCY_KEY = re.compile(r"(?:^|\s)(eur|usd|gbp|chf|jpy|sek|nok|dkk|pln|cad|aud)$")
_ERROR_PREFIX = re.compile(r"^(?:\w+ failed:\s*)?(?:[A-Z]\w*(?:Error|Exception):\s*)?")


def _verb(tool: str) -> str:
    words = identifier_words(tool).lower().split()
    return words[0] if words else "do"


def _reading(tool: str) -> bool:
    """Does the tool's name start with a reading verb (get, list, show...)?"""
    return _verb(tool) in _READ_VERBS


def _past(verb: str) -> str:
    """The past tense of a regular verb: refund -> refunded, cancel -> cancelled."""
    if verb.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ied"
    if re.search(r"[^aeiou][aeiou]l$", verb):
        return verb + "led"
    return verb + "ed"


def _object(tool: str, determiner: str = "the") -> str:
    words = identifier_words(tool).lower().split()[1:]
    return f"{determiner} {' '.join(words)}" if words else "your request"


def _phrase(tool: str, args: dict, *, past: bool = False) -> str:
    """What a call does, in words: "refund item O-50012-1", "change the address of order
    O-50012" (the object and the record its identifier names)."""
    verb = _past(_verb(tool)) if past else _verb(tool)
    thing = identifier_words(tool).lower().split()[1:]
    ids = [(_entity(k), str(v)) for k, v in args.items() if _ID_PARAM.search(k) and v]
    if not thing:
        return f"{verb} your request" + (f" about {ids[0][0]} {ids[0][1]}" if ids else "")
    if ids and ids[0][0] == " ".join(thing):
        return f"{verb} {ids[0][0]} {ids[0][1]}"
    where = f" of {ids[0][0]} {ids[0][1]}" if ids else ""
    return f"{verb} the {' '.join(thing)}{where}"


def _fact(key: str, value: object) -> str | None:
    """One fact of a result in words: "amount 34.50 EUR", "tracking UP849118145"."""
    if isinstance(value, bool) or value in (None, "", [], {}):
        return None
    words = identifier_words(key).lower()
    currency = _CURRENCY_KEY.search(words)
    if currency and isinstance(value, (int, float)):
        label = words[: currency.start()].strip() or "amount"
        return f"{label} {value:.2f} {currency.group(1).upper()}"
    return f"{words} {value}"


def _facts(record: dict, skip: set[str]) -> list[str]:
    found = []
    for key, value in record.items():
        if isinstance(value, (dict, list)) or str(value) in skip:
            continue
        if re.search(r"(?:^|_)id$", key) and key != "id":
            continue
        fact = _fact(key, value)
        if fact:
            found.append(fact)
    return found


def _done_sentence(call: Call) -> str:
    """A successful action in words, with the facts of its result that the call did not
    already say: "I refunded item O-50012-1 (amount 34.50 EUR)."."""
    said = {str(v) for v in call.arguments.values()}
    facts = _facts(call.data, said) if isinstance(call.data, dict) else []
    details = f" ({', '.join(facts)})" if facts else ""
    where = [str(v) for k, v in call.arguments.items() if _ADDRESS_PARAM.search(k) and v]
    to = f" to {where[0]}" if where else ""
    return f"I {_phrase(call.name, call.arguments, past=True)}{to}{details}."


def _answer_sentence(call: Call) -> str:
    """What a read returned, as the answer to the user's question: the record's own facts,
    then each nested record ("shipment: carrier DHL, tracking UP849118145, eta 2026-11-24"),
    then the names of the things it lists."""
    data = call.data
    if isinstance(data, list):
        records = [d for d in data if isinstance(d, dict)]
        parts = ["; ".join(_facts(d, set())) for d in records[:6]]
        return "Here is what I found: " + " | ".join(p for p in parts if p) + "."
    if not isinstance(data, dict):
        return "Here is what I found: " + " ".join(call.result.split()[:40])
    name = data.get("id") or next(iter(call.arguments.values()), "")
    entity = _entity(next(iter(call.arguments), "record"))
    parts = [", ".join(_facts(data, {str(name)}))]
    for key, value in data.items():
        if isinstance(value, dict):
            parts.append(f"{identifier_words(key)}: {', '.join(_facts(value, set()))}")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            names = [
                next(
                    (
                        str(x)
                        for k, x in v.items()
                        if isinstance(x, str) and not re.search(r"(?:^|_)id$", k)
                    ),
                    "",
                )
                for v in value
            ]
            parts.append(f"{identifier_words(key)}: {', '.join(n for n in names if n)}")
    text = "; ".join(p for p in parts if p and not p.endswith(": "))
    return f"{entity.capitalize()} {name}: {text}."


def _error_text(result: str) -> str:
    """A tool's error message without the exception's class: "order O-1 is delivered; it
    cannot be cancelled"."""
    return _ERROR_PREFIX.sub("", " ".join(result.split())[:200]).rstrip(".")


def _invent(schema: dict, ctx: Context) -> str:
    """A made-up identifier of the example's shape (or a generic one): a hallucination."""
    rng = ctx.stream("agent-invent")
    found = _EXAMPLE.search(schema.get("description", "") or "")
    example = found.group(1) if found else "ID-10000"
    return re.sub(r"\d", lambda _: str(rng.randint(0, 9)), example)


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): a request with tools that form a workflow or come with
    rules about them; anything else is left to `tools`."""
    functions = single.offered_functions(ctx)
    if len(functions) < 2:
        return None
    reading = read(ctx)
    if not reading.rules and not workflow(functions):
        return None
    return Agent(ctx, reading).next()
