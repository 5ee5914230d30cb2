"""Plan tool calls from the tool schemas by meaning, or answer from a tool's result.

Each offered tool gets an evidence score from three kinds of evidence (see `evidence`):
- meaning: the cosine (course.sim.meaning) between the request and the tool's profile, i.e.
  its name, description and parameter names and descriptions; plus word alignment: every
  content word of the request is matched to its nearest word of the profile, weighted by how
  informative the word is to the model ("umbrella" counts more than "need");
- words: the share of the request's lemmas (simplemma) found in the profile, so "flights"
  matches "flight" and "charged" matches "charges" exactly;
- argument fit: a value in the request that fits a parameter (a tracking code for a
  `tracking_number`, an amount with a currency for an `amount`, a date, an e-mail address, a
  city for a `city`) counts for the tool; a required parameter of a strict kind (code, money,
  currency, e-mail, URL, phone) with no value in the request counts against it.
A "no tool" option competes with the tools: small talk, thanks and general questions (a few
general sentences, `NO_TOOL_PHRASINGS`) score for it, and a request whose best tool does not
clear `CALL_THRESHOLD` gets a plain text reply.

Error model (evidence first, seeded noise on top):
- wrong tool: with p = base_error_rate x (0.5 if every tool has a clear description)
  x (1 + 0.5 x temperature) x closeness, where closeness = exp(-margin / (MARGIN_PER_ERROR x
  base_error_rate)) falls from 1 (a tie with the runner-up) towards 0 as the evidence margin
  grows (a weaker tier stays unsure over wider margins: 0.15 on sim-large, 0.375 on
  sim-small), it calls the runner-up instead. A vague description ("does stuff", fewer than
  three words of its own) or a missing one forfeits the halving and gives the model less to
  match, so margins shrink.
  The draw is shared by the tiers (the model is left out of its seed), so sim-large calls a
  wrong tool only on requests where sim-small, with its higher rate, does too;
- wrong argument: each argument is wrong with field_miss_rate x (1 + 0.5 x temperature).
A request with several steps ("convert 100 USD to EUR, then check the weather in Rome") is
served one call per turn: after each tool result, the next step's tool is called, and once
every step has a result the reply is text built from the results (`answer_from_result`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import simplemma

from course.sim import meaning
from course.sim.reading import finders, money
from course.sim.reading.prompt import last_user_index, last_user_text, payload, text_of
from course.sim.reading.text import STOPWORDS, first_words, identifier_words, words
from course.sim.skills.base import Context, Reply, seeded
from course.sim.skills.plain import plain
from course.sim.writing import Filler, garble

# What a request that needs no tool sounds like: compared by meaning, sentence by sentence.
NO_TOOL_PHRASINGS = (
    "Hello, how are you today?",
    "Hi there, good morning!",
    "Thank you, that is all I needed.",
    "Tell me a joke or a funny story.",
    "A general knowledge question about history, science or geography.",
    "What is your opinion about this?",
)
# What a description that says nothing about the tool sounds like.
VAGUE_PHRASINGS = (
    "A helper tool that does things.",
    "Utility function.",
    "Handles the request.",
)
CHAT_SENTENCE = 0.58  # a sentence this close to a no-tool phrasing carries no task ("Hi!")
CALL_THRESHOLD = 0.65  # the best tool's evidence must reach this to be called at all
NO_TOOL_WEIGHT = 0.8  # the "no tool" option scores NO_TOOL_WEIGHT x its closest phrasing + 0.2
# The margin at which the wrong-tool chance has fallen to 1/e of a tie, per unit of the tier's
# base_error_rate: 0.15 on sim-large (0.12), 0.375 on sim-small (0.30).
MARGIN_PER_ERROR = 1.25
FIT_WEIGHT = 0.6
LEMMA_WEIGHT = 0.5
_MIN_OWN_WORDS = 3  # a clear description has at least this many content words of its own

_STEP_BREAK = re.compile(
    r"(?<=[.!?;])\s+|\n+|,?\s+\b(?:and then|then|after that|afterwards|and also|also)\b\s+",
    re.I,
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
CODE_TOKEN = re.compile(
    r"(?<![\w@.$€£-])#?(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{3,}|#\d{3,}"
)
_QUOTES = re.compile(r"\"[^\"]*\"|(?<!\w)'[^']*'(?!\w)|“[^”]*”|‘[^’]*’")
# A code written in digits only: eight or more, or groups of four ("4471 2298 3310").
_LONG_NUMBER = re.compile(r"(?<![\d.,])(?:\d{8,}|\d{4}(?:[ -]\d{4}){2,})(?![\d.,])")
_CAPS_TOKEN = re.compile(r"\b[A-Z]{2,6}\b")
_NAMED_TOKEN = re.compile(r"\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")
_ID_NAME = re.compile(
    r"(?:^| )(?:id|code|number|no|ref|reference|sku|tracking|ticker|symbol|serial|key)(?: |$)"
)
_ID_DESCRIPTION = re.compile(r"\bidentifier\b|\b(?:tracking|reference|confirmation)\b", re.I)
_MONEY_HINT = re.compile(r"amount|price|cost|total|money|sum|fee|payment|balance", re.I)
_CURRENCY_HINT = re.compile(r"currenc|iso\s*code|\bccy\b", re.I)
_DATE_HINT = re.compile(
    r"\bdate|\bday\b|\btime\b|\bwhen\b|\bstart|\bdeadline|schedule|\bat\b|check.?(?:in|out)", re.I
)
_STRICT = frozenset({"code", "money", "currency", "email", "url", "phone"})
# How much a fitting value says about the tool: a bare number or a day fits many tools.
_FIT_STRENGTH = {"number": 0.4, "date": 0.6}
RARE_WORD = 5.5  # token-norm weight above which a capitalised first word may be a name
_NAMED_FIT = 0.3  # a capitalised value this close in meaning to a parameter's hint fits it
_NUMBER_WORDS = frozenset(
    {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
    | {"eleven", "twelve", "twenty", "thirty"}
)


def offered_functions(ctx: Context) -> list[dict]:
    """The function schemas the request offers (OpenAI `tools` entries, unwrapped)."""
    offered = ctx.request.tools or []
    return [t.get("function", t) for t in offered if t.get("type", "function") == "function"]


def lemma(word: str) -> str:
    """The dictionary form of one word ("refunded" -> "refund"), lower case."""
    return simplemma.lemmatize(word.lower(), lang="en").lower()


def content_lemmas(text: str) -> list[str]:
    """Lemmas of the content words of `text` ("flights" -> "flight"), stopwords removed."""
    spaced = identifier_words(text) if "_" in text else text
    found = [w.split("'")[0] for w in _WORD_RE.findall(spaced.replace("’", "'"))]
    # An acronym in capitals is a content word even when its letters spell one ("IT", "US").
    return [lemma(w) for w in found if len(w) > 1 and (w.lower() not in STOPWORDS or w.isupper())]


def param_hint(name: str, schema: dict) -> str:
    """What a parameter says about itself: its name in words and its description."""
    return f"{identifier_words(name)} {schema.get('description', '')}".strip()


_CLAUSE_BREAK = re.compile(r"[,;:()]|(?<=[.!?])\s+|\s+(?:but|and|although|though)\s+")
_NEGATED = re.compile(r"\b(?:not|no|never|nothing|none|neither|nor|without|cannot)\b|n't\b", re.I)


def split_negated(description: str) -> tuple[str, str]:
    """(what a description says a tool does, what it says the tool does not do).

    A clause with a negation ("nothing is refunded item by item", "(not yet shipped)") does not
    describe the tool's action: its words must not attract requests about that action. The
    clauses are cut at commas, semicolons, colons, parentheses, sentence ends and "but"/"and".
    """
    kept, negated = [], []
    for clause in _CLAUSE_BREAK.split(description or ""):
        if clause and clause.strip(" ."):
            (negated if _NEGATED.search(clause) else kept).append(clause.strip())
    return ", ".join(kept), ", ".join(negated)


def _profile_text(function: dict) -> str:
    """What the model knows about a tool: name, description (without its negated clauses),
    parameter names and descriptions."""
    described = split_negated(function.get("description") or "")[0]
    parts = [identifier_words(function.get("name", "")) + ":", described]
    for name, schema in _properties(function).items():
        parts.append(param_hint(name, schema if isinstance(schema, dict) else {}))
    return " ".join(p for p in parts if p)


def _properties(function: dict) -> dict:
    return (function.get("parameters") or {}).get("properties") or {}


@lru_cache(maxsize=1024)
def _profile_words(profile: str) -> tuple[tuple[str, ...], np.ndarray]:
    lemmas = tuple(sorted(set(content_lemmas(profile))))
    return lemmas, meaning.embed(list(lemmas)) if lemmas else np.zeros((0, meaning.DIM))


def clear_description(function: dict) -> bool:
    """A description that tells the model something: three words of its own and not generic."""
    description = (function.get("description") or "").strip()
    own = set(content_lemmas(description)) - set(content_lemmas(function.get("name", "")))
    if len(own) < _MIN_OWN_WORDS:
        return False
    return meaning.closest_sentence(description, VAGUE_PHRASINGS)[0] < 0.7


def param_kind(name: str, schema: dict) -> str:
    """The kind of value a parameter takes, from its type, format, name and description.

    One of: email, url, phone, money, number, currency, date, code, enum, named (a string
    whose value can be recognised by meaning, such as a city or a language), free.
    """
    kind = schema.get("type", "string")
    fmt = str(schema.get("format", ""))
    own = identifier_words(name)
    hint = param_hint(name, schema)
    if schema.get("enum"):
        return "enum"
    if kind in ("number", "integer"):
        return "money" if _MONEY_HINT.search(hint) else "number"
    mail = "email" in hint.lower() or "e-mail" in hint.lower()
    if fmt == "email" or (mail and not re.search(r"\bname\b", hint, re.I)):
        return "email"
    if fmt in ("uri", "url") or re.search(r"\burl\b|website|link", hint, re.I):
        return "url"
    if "phone" in hint.lower():
        return "phone"
    if _CURRENCY_HINT.search(hint):
        return "currency"
    if fmt in ("date", "date-time", "time") or _DATE_HINT.search(own):
        return "date"
    if _ID_NAME.search(f" {own} ") or _ID_DESCRIPTION.search(schema.get("description", "")):
        return "code"
    return "named"


_VALUE_PATTERNS = (
    _QUOTES,
    finders.EMAIL,
    finders.URL,
    finders.PHONE,
    finders.DATE,
    finders.DAY_TIME,
    CODE_TOKEN,
    _LONG_NUMBER,
    re.compile(r"\b\d+(?:[.,]\d+)?\b"),
)


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:\n"


def _named_candidates(text: str) -> list[str]:
    """Values a learner writes capitalised or in capitals: "Lisbon", "Priya Raman", "AAPL".

    A capitalised first word of a sentence is a candidate only if the model finds it rare
    (meaning.word_weight >= RARE_WORD): "Lisbon is sunny" yes, "Tell me" no.
    """
    found = []
    for match in _NAMED_TOKEN.finditer(text):
        value = match.group(0)
        first = _sentence_start(text, match.start()) and " " not in value
        if first and meaning.word_weight(value.lower()) < RARE_WORD:
            continue
        found.append(value)
    found += [m.group(0) for m in _CAPS_TOKEN.finditer(text)]
    return [f for f in dict.fromkeys(found) if f.lower() not in STOPWORDS and f != "I"]


def _fits(kind: str, name: str, schema: dict, text: str, named: list[str]) -> float:
    """How well a value in the request fits this parameter: 0 (none) to 1 (a clear fit).

    Typed kinds are read from the text without its quoted parts ("say 'good morning'" holds
    no time of day); a quoted string fits a named parameter.
    """
    bare = _QUOTES.sub(" ", text)
    found: object = False
    if kind == "email":
        found = finders.EMAIL.search(bare)
    elif kind == "url":
        found = finders.URL.search(bare)
    elif kind == "phone":
        found = finders.PHONE.search(bare)
    elif kind == "money":
        found = money.mentions(bare)
    elif kind == "currency":
        found = money.currency_words(bare)
    elif kind == "number":
        found = re.search(r"\d", bare) or set(bare.lower().split()) & _NUMBER_WORDS
    elif kind == "date":
        found = finders.DATE.search(bare) or finders.RELATIVE_TIME.search(bare)
    elif kind == "code":
        if CODE_TOKEN.search(bare) or _LONG_NUMBER.search(bare):
            return 1.0
        if re.search(r"ticker|symbol", param_hint(name, schema), re.I):
            caps = [m.group(0) for m in _CAPS_TOKEN.finditer(bare)]
            return 0.4 if any(c.lower() not in STOPWORDS for c in caps) else 0.0  # or acronym
    elif kind == "enum":
        lemmas = set(content_lemmas(bare))
        found = any(set(content_lemmas(str(v))) & lemmas for v in schema.get("enum", []))
    elif kind == "named":
        if named:
            own = identifier_words(name)
            score = max(
                float(meaning.similarities(param_hint(name, schema), named).max()),
                float(meaning.similarities(own, named).max()) if own else 0.0,
            )
            found = score >= _NAMED_FIT
        if not found and finders.quoted(text):
            return 0.5  # a quoted string is a value handed to some tool: "translate 'hola'"
    return _FIT_STRENGTH.get(kind, 1.0) if found else 0.0


@dataclass(frozen=True)
class ToolReading:
    """What the simulator reads from one tool's schema, computed once per distinct schema.

    `profile`: name, description (negated clauses left out) and parameters, as text;
    `params`: (name, schema, kind, required) per parameter; `clear`: the description says
    what the tool does (`clear_description`); `action`: the lemmas of the tool's name, its
    verb first ("refund_item" -> refund, item); `negated`: the lemmas of what the description
    says the tool does not do.
    """

    profile: str
    params: tuple[tuple[str, dict, str, bool], ...]
    clear: bool
    action: tuple[str, ...] = ()
    negated: frozenset[str] = frozenset()


@lru_cache(maxsize=1024)
def _tool_info(key: str) -> ToolReading:
    function = json.loads(key)
    properties = _properties(function)
    required = set((function.get("parameters") or {}).get("required", properties))
    params = []
    for name, schema in properties.items():
        schema = schema if isinstance(schema, dict) else {}
        params.append((name, schema, param_kind(name, schema), name in required))
    name_words = identifier_words(function.get("name", "")).split()
    negated = split_negated(function.get("description") or "")[1]
    return ToolReading(
        _profile_text(function),
        tuple(params),
        clear_description(function),
        tuple(lemma(w) for w in name_words),
        frozenset(content_lemmas(negated)) - frozenset(lemma(w) for w in name_words),
    )


def tool_info(function: dict) -> ToolReading:
    """The reading of a tool schema, cached by its JSON (so an edited schema is read again)."""
    return _tool_info(json.dumps(function, sort_keys=True, default=str))


def argument_fit(function: dict | ToolReading, text: str, named: list[str] | None = None) -> float:
    """Mean over parameters: +1 a value in the request fits it, -1 a required strict one is
    missing, 0 otherwise. Positive when the request carries what the tool needs."""
    info = function if isinstance(function, ToolReading) else tool_info(function)
    if not info.params:
        return 0.0
    if named is None:
        named = _named_candidates(_QUOTES.sub(" ", text))
    total = 0.0
    for name, schema, kind, required in info.params:
        fit = _fits(kind, name, schema, text, named)
        if fit:
            total += fit
        elif kind in _STRICT and required:
            total -= 1.0
    return total / len(info.params)


@dataclass(frozen=True)
class Evidence:
    """Why the simulator would call each tool: the parts of the score, one entry per tool."""

    meaning: list[float]
    alignment: list[float]
    lemmas: list[float]
    fit: list[float]
    total: list[float]
    no_tool: float

    def ranked(self) -> list[int]:
        return sorted(range(len(self.total)), key=lambda i: -self.total[i])


def task_text(text: str) -> str:
    """The request without its small talk: sentences close to a no-tool phrasing are dropped
    ("Hi! Is it raining in Oslo?" -> "Is it raining in Oslo?"); quoted text does not count."""
    kept = []
    for sentence in meaning.sentences(text):
        bare = _QUOTES.sub(" ", sentence)
        if meaning.closest_sentence(bare, NO_TOOL_PHRASINGS)[0] < CHAT_SENTENCE:
            kept.append(sentence)
    return " ".join(kept)


def instruction_part(text: str) -> str:
    """What the request asks for, without the material it hands over.

    "Put this into German: <material>" asks for the part before the colon (two to eight
    words); quoted text, dates, times, amounts, codes, e-mail addresses, phone numbers and
    bare numbers are values, not the task: "Block 2 to 3 pm on Monday" asks to block time,
    and "Monday" says nothing about which tool. Values count through argument fit instead.
    """
    head, colon, tail = text.partition(":")
    if colon and tail.strip() and 2 <= len(head.split()) <= 8 and "\n" not in head:
        text = head
    for pattern in _VALUE_PATTERNS:
        text = pattern.sub(" ", text)
    for found in money.mentions(text)[::-1]:
        text = text[: found.start] + " " + text[found.end :]
    return " ".join(text.split())


def evidence(text: str, functions: list[dict]) -> Evidence:
    """Score every tool for the request `text` (see the module docstring)."""
    infos = [tool_info(f) for f in functions]
    profiles = [info.profile for info in infos]
    asked = instruction_part(text)
    sem = [float(s) for s in meaning.similarities(asked, profiles)]
    request = content_lemmas(asked)
    weights = np.array([meaning.word_weight(w) for w in request], dtype=np.float32)
    vectors = meaning.embed(request) if request else None
    align, lex = [], []
    for profile in profiles:
        lemmas, matrix = _profile_words(profile)
        if vectors is None or not lemmas or weights.sum() <= 0:
            align.append(0.0)
            lex.append(0.0)
            continue
        nearest = (vectors @ matrix.T).max(axis=1)
        align.append(float((weights * nearest).sum() / weights.sum()))
        shared = np.array([w in lemmas for w in request], dtype=np.float32)
        lex.append(float((weights * shared).sum() / weights.sum()))
    named = _named_candidates(_QUOTES.sub(" ", text))
    fit = [argument_fit(info, text, named) for info in infos]
    total = [
        s + a + LEMMA_WEIGHT * x + FIT_WEIGHT * f
        for s, a, x, f in zip(sem, align, lex, fit, strict=True)
    ]
    none = NO_TOOL_WEIGHT * meaning.closest_sentence(text, NO_TOOL_PHRASINGS)[0] + 0.2
    return Evidence(sem, align, lex, fit, total, none)


def choose(text: str, functions: list[dict]) -> tuple[int | None, float, Evidence]:
    """(index of the tool to call or None for no call, margin over the runner-up, evidence)."""
    text = task_text(text)
    found = evidence(text, functions)
    if not text or not functions:
        return None, 0.0, found
    order = found.ranked()
    best = order[0]
    top = found.total[best]
    if top < CALL_THRESHOLD or top < found.no_tool:
        return None, 0.0, found
    runner_up = found.total[order[1]] if len(order) > 1 else -math.inf
    return best, top - runner_up, found


Step = tuple[str, int, float, Evidence]


def steps(text: str, functions: list[dict]) -> list[Step]:
    """The request's steps: (text of the step, tool index, margin, evidence), in order.

    A request is cut at sentence ends and at "then", "after that", "and also"; each part whose
    best tool clears the threshold is a step. If no part does, the whole request is tried.
    """
    parts = [p.strip(" ,") for p in _STEP_BREAK.split(text) if p and p.strip(" ,")]
    planned = []
    if len(parts) > 1:
        for part in parts:
            index, margin, found = choose(part, functions)
            if index is not None:
                planned.append((part, index, margin, found))
    if len(planned) <= 1:
        index, margin, found = choose(text, functions)
        return [] if index is None else [(text, index, margin, found)]
    return planned


def _summary(content: str) -> str:
    """A one-line digest of a tool result: key: value pairs for JSON, else its first words."""
    try:
        data = json.loads(content)
    except ValueError:
        return first_words(content, 40)
    if isinstance(data, dict):
        return "; ".join(f"{k}: {v}" for k, v in list(data.items())[:6])
    if isinstance(data, list):
        return first_words(", ".join(map(str, data[:6])), 40)
    return str(data)


def _results_since_request(messages: list[dict]) -> list[tuple[str, str]]:
    """(tool name, result text) of every tool result after the last user message."""
    start = (last_user_index(messages) or 0) + 1
    names = {}
    results = []
    for message in messages[start:]:
        for call in message.get("tool_calls") or []:
            names[call.get("id")] = call.get("function", {}).get("name", "the tool")
        if message.get("role") == "tool":
            results.append((names.get(message.get("tool_call_id"), "the tool"), text_of(message)))
    return results


def answer_from_result(ctx: Context) -> Reply:
    """After the tools ran: say what each returned, naming the tool each result belongs to."""
    results = _results_since_request(ctx.request.messages)
    if not results:
        result = ctx.request.messages[-1]
        results = [("the tool", text_of(result))]
    lines = [f"According to {name}: {_summary(content)}" for name, content in results]
    return Reply(content="\n".join(lines))


def _calls_since_request(messages: list[dict]) -> int:
    start = (last_user_index(messages) or 0) + 1
    return sum(len(m.get("tool_calls") or []) for m in messages[start:])


def tools(ctx: Context) -> Reply:
    """Call the tool the request's next step needs, with arguments from the request, or answer."""
    messages = ctx.request.messages
    functions = offered_functions(ctx)
    text = payload(last_user_text(messages), few_shot=False)
    planned = steps(text, functions) if functions else []
    done = _calls_since_request(messages)
    if messages and messages[-1].get("role") == "tool" and done >= len(planned):
        return answer_from_result(ctx)
    if not planned:
        return plain(ctx)
    part, best, margin, found = planned[min(done, len(planned) - 1)]
    described = all(tool_info(f).clear for f in functions)
    base = ctx.knob("base_error_rate")
    closeness = math.exp(-margin / (MARGIN_PER_ERROR * base)) if base > 0 else 0.0
    p_wrong = base * (0.5 if described else 1.0) * ctx.heat * closeness
    rivals = [i for i in found.ranked() if i != best]
    noise = tier_shared_stream(ctx, "tool-choice")
    if rivals and noise.random() < min(0.9, p_wrong):
        best = rivals[0]
    function = functions[best]
    return Reply(content=None, tool_calls=[_call(ctx, function, part, messages)])


def _named_value(name: str, schema: dict, named: list[str], used: set[str]) -> str | None:
    """The capitalised value closest in meaning to a parameter ("German" for a language),
    if close enough (_NAMED_FIT) and not given to another parameter already."""
    free = [n for n in named if n not in used]
    if not free:
        return None
    scores = meaning.similarities(param_hint(name, schema), free)
    own = identifier_words(name)
    if own:
        scores = np.maximum(scores, meaning.similarities(own, free))
    best = int(scores.argmax())
    return free[best] if scores[best] >= _NAMED_FIT else None


def tier_shared_stream(ctx: Context, name: str) -> random.Random:
    """A random stream that is the same for every tier on the same request (model left out of the
    seed): the tiers then differ only by their error rates, so sim-large errs on a request
    only where sim-small, with its higher rate, errs too."""
    from course.sim.engine import request_key  # the engine imports the skills

    trial = ctx.seed.rsplit(":", 1)[-1]
    return seeded(request_key(dataclasses.replace(ctx.request, model="")), trial, name)


def _call(ctx: Context, function: dict, part: str, messages: list[dict]) -> dict:
    """A tool call with arguments filled from the step's text (else earlier tool results)."""
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    properties = parameters.get("properties") or {}
    required = parameters.get("required", list(properties))
    avoid = frozenset(words(tool_info(function).profile))
    rng = ctx.stream("tool-arguments")

    def filler(text: str) -> Filler:
        return Filler(
            text=text,
            root=parameters,
            rng=rng,
            base_error_rate=ctx.knob("base_error_rate"),
            temperature=ctx.request.temperature,
            style="argument",
            avoid=avoid,
        )

    own = filler(part)
    earlier = "\n".join(content for _, content in _results_since_request(messages))
    backup = filler(f"{earlier}\n{payload(last_user_text(messages), few_shot=False)}")
    kinds = {name: kind for name, _, kind, _ in tool_info(function).params}
    named = _named_candidates(_QUOTES.sub(" ", part))
    quote = finders.quoted(part)
    used: set[str] = set()
    arguments = {}
    for key in required:
        if key not in properties:
            continue
        value = None
        if kinds.get(key) == "named":  # a value recognised by meaning, else the quoted text
            value = _named_value(key, properties[key], named, used)
            if value is None and quote and quote not in used:
                value = quote
            if value is not None:
                used.add(value)
        if value is None:
            value = own.value(key, properties[key])
        if value in ("", None, 0, []) and earlier:
            value = backup.value(key, properties[key])
        arguments[key] = value
    miss = ctx.knob("field_miss_rate") * ctx.heat
    for key in list(arguments):
        enum = own.resolve(properties[key])[0].get("enum")  # enums err by the classifier
        if rng.random() < miss and not enum:
            arguments[key] = garble(arguments[key], properties[key], own)
    return {
        "id": f"call_{rng.getrandbits(96):024x}",
        "type": "function",
        "function": {"name": function.get("name", ""), "arguments": json.dumps(arguments)},
    }


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): any request that offers tools."""
    return tools(ctx) if ctx.request.tools else None
