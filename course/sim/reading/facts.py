"""Facts in short answers: numbers with units, identifiers, names, abstentions, answer types.

The grounded answerer and the judge both need to know what an answer *asserts*: "90 days"
is the number 90 in days, "NW-4107" and "4.12.0" are identifiers to match exactly, "I don't
know based on the context" asserts nothing. These are plain regexes, so their blind spots are
a regex's: "three months" is not "90 days", and a synonym is just another word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from course.sim.reading.text import STOPWORDS, stem, words

# A token with letters and digits ("NW-4107", "lh-4186", "p99", "v2", "doc-0123#p4") or a
# dotted version ("4.12.0"): matched as a whole string, never as a number.
IDENTIFIER = re.compile(
    r"(?<![\w./#-])(?:\d+(?:\.\d+){2,}|(?=[\w./#-]*\d)(?=[\w./#-]*[A-Za-z])"
    r"[A-Za-z0-9][\w./#-]*[A-Za-z0-9])(?![\w#-])"
)
# A name joined with - _ or / ("oncall-identity", "#team-pipelines"), or back-ticked text.
CODE = re.compile(r"`([^`\n]{1,60})`|(?<![\w#/-])#?[A-Za-z][A-Za-z0-9]*(?:[-_/][A-Za-z0-9]+)+")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(%|[A-Za-z]+)?")
_UNIT_SUFFIX = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|k|gb|mb|kb|tb|x|%)$", re.I)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}  # fmt: skip
_SPELLED = re.compile(rf"\b({'|'.join(_NUMBER_WORDS)})\s+([A-Za-z%]+)", re.I)
# Unit words to one canonical spelling, so "10 min" equals "10 minutes".
_UNITS = {
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms", "msec": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "min", "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d", "business": "d",
    "week": "wk", "weeks": "wk", "month": "mo", "months": "mo", "year": "yr", "years": "yr",
    "%": "%", "percent": "%",
    "kb": "kb", "mb": "mb", "gb": "gb", "tb": "tb", "k": "k", "x": "x",
}  # fmt: skip
DURATION_UNITS = frozenset({"ms", "s", "min", "h", "d", "wk", "mo", "yr"})

_SOURCE = r"(?:handbook|context|documents?|documentation|docs|passages?|sources?|pages?|excerpts?)"
_NOT = r"(?:\s+not|n't)"
_DOC_VERB = r"(?:stated|mentioned|specified|documented|recorded|covered|described|listed)"
# Ways of declining to answer. Each needs the speaker or a source as the subject, or a verb
# about documentation, so "the plan does not include phone support" is an answer, not one.
ABSTENTION = re.compile(
    r"\b(?:i|we)(?:'m|\s+am|\s+was)?\s+(?:do|did|ca|can|could|am|was|have|are)?(?:n't|\s*not)\s+"
    r"(?:able\s+to\s+|\w+\s+)?(?:know|find|tell|say|answer|determine|locate|see)\b"
    r"|\b(?:i|we)\s+(?:cannot|am\s+unable\s+to|was\s+unable\s+to)\s+\w*"
    rf"|\b{_SOURCE}\b[^.\n]{{0,40}}?\b(?:does|do|did|is|are|has|have){_NOT}\s+(?:\w+\s+){{0,2}}?"
    r"(?:say|state|mention|specify|contain|include|cover|document|record|provide|list|give|"
    r"answer|address|describe|discuss|have)\w*"
    rf"|(?:\bnot|n't)\s+(?:\w+\s+)?{_DOC_VERB}\b"
    rf"|\bnot\s+(?:in|part\s+of|available\s+in|found\s+in|covered\s+by|listed\s+in|included\s+in)"
    rf"\s+(?:the\s+|any\s+)?(?:provided\s+)?{_SOURCE}"
    r"|\b(?:no|nothing)\s+(?:information|mention|answer|record|details?|data|documentation|entry)\b"
    rf"|\bnothing\s+(?:about|on|in)\b[^.\n]{{0,40}}\b{_SOURCE}\b"
    rf"|\b{_SOURCE}\b[^.\n]{{0,30}}\b(?:is\s+silent|has\s+nothing|has\s+no\b)"
    r"|\b(?:unable|not\s+able)\s+to\s+(?:answer|determine|find|tell|say)\b"
    r"|\b(?:cannot|can't)\s+be\s+(?:answered|determined|found)\b"
    r"|\b(?:insufficient|not\s+enough)\s+(?:information|context|evidence)\b"
    rf"|\bno\s+such\b|\b(?:does|do|did){_NOT}\s+exist\b"
    r"|^\W*(?:unknown|n/?a|none|no\s+answer)\W*$",
    re.I | re.M,
)

# What kind of value a question asks for, from its wording (first match wins).
ANSWER_TYPES: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.I))
    for kind, pattern in [
        ("percent", r"\bpercent|\bpercentage\b|%|\bwhat share\b|\bavailability\b"),
        ("money", r"\bhow much does\b|\bcost\b|\bprice\b|\bfee\b|\bpay\b|\bcharged?\b"),
        (
            "duration",
            r"\bhow (?:long|often|quickly|soon|frequently)\b|\bafter how many\b|\bwithin how\b|"
            r"\bhow many (?:ms|milliseconds|seconds|minutes|hours|days|weeks|months|years)\b|"
            r"\bduration\b|\btimeout\b|\bretention\b|\bretained\b|\bkept\b|\bdeadline\b|"
            r"\binterval\b|\bperiod\b|\blatency\b",
        ),
        ("version", r"\b(?:which|what) (?:api )?version\b|\bsince (?:which|what)\b"),
        ("date", r"\bwhen (?:was|did|were|will)\b|\b(?:what|which) date\b|\bsince when\b"),
        (
            "number",
            r"\bhow many\b|\bhow much\b|\b(?:maximum|minimum|max|min|limit|number|port|size|"
            r"threshold|count|budget|quota)\b",
        ),
        ("person", r"\bwho\b|\bwhom\b|\bmanager\b|\btech lead\b|\bapprover\b"),
        (
            "entity",
            r"\b(?:which|what)(?:\s+[\w-]+)?\s+(?:team|service|region|channel|plan|rotation|"
            r"tier|language|store|database|product|tool|cluster|queue|group)\b|\bowns\b",
        ),
        (
            "code",
            r"\b(?:which|what)(?:\s+[\w-]+)?\s+(?:command|code|error|endpoint|scope|alert|board|"
            r"flag|header|status|id|identifier|key|url|path)\b",
        ),
    ]
]
TYPE_PATTERNS: dict[str, re.Pattern[str]] = {
    "percent": re.compile(r"\b\d+(?:\.\d+)?\s*(?:%|percent\b)"),
    "money": re.compile(r"[$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:USD|EUR|GBP|dollars|euros)\b"),
    "duration": re.compile(
        r"\b\d+(?:[.,]\d+)?\s*(?:ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|"
        r"(?:business\s+)?days?|weeks?|months?|years?)\b",
        re.I,
    ),
    "version": re.compile(r"\b\d+\.\d+(?:\.\d+)?\b"),
    "date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b(?:19|20)\d{2}\b"),
    "number": re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:\s*[A-Za-z%]+)?"),
    "person": re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b"),
    "entity": re.compile(
        r"`[^`\n]{1,60}`|#[\w-]+|(?<![\w-])[A-Za-z][\w]*(?:[-_/][\w]+)+|"
        r"(?<!^)(?<![.!?]\s)\b[A-Z][\w&]*(?:\s+(?:&\s+)?[A-Z][\w]*)*"
    ),
    "code": re.compile(r"`[^`\n]{1,60}`|#[\w-]+|(?<![\w-])[A-Za-z][\w]*(?:[-_/.][\w]+)+"),
}


@dataclass(frozen=True)
class Quantity:
    """A number as an answer states it: the value, and its unit if it is a known one."""

    value: float
    unit: str | None
    text: str = field(default="", compare=False)  # as written, for messages


def answer_type(question: str) -> str:
    """The kind of value the question asks for ("duration", "person"...), or "sentence"."""
    for kind, pattern in ANSWER_TYPES:
        if pattern.search(question):
            return kind
    return "sentence"


def value_of(kind: str, text: str) -> str | None:
    """The first value of that kind in `text` ("90 days" for a duration), or None."""
    pattern = TYPE_PATTERNS.get(kind)
    found = pattern.search(text) if pattern else None
    return found.group(0).strip("`").strip() if found else None


def identifiers(text: str) -> set[str]:
    """Identifier tokens, lower-cased: with letters and digits ("NW-4107" -> "nw-4107"),
    versions ("4.12.0"), joined names ("oncall-identity", "#team-pipelines",
    "queue_not_found") and anything in back-ticks ("nwctl migrate")."""
    found = set()
    for match in IDENTIFIER.finditer(text):
        token = match.group(0).lower()
        if not _UNIT_SUFFIX.match(token):  # "10ms" is a quantity, not an identifier
            found.add(token)
    for match in CODE.finditer(text):
        found.add((match.group(1) or match.group(0)).lower().strip())
    return found


def quantities(text: str) -> list[Quantity]:
    """Numbers with their unit: "1,200" -> 1200, "99.95 percent" -> 99.95 %, "four hours" -> 4 h.

    Identifiers ("NW-4107", "4.12.0", "p99") are blanked out first: they are not numbers.
    """
    blanked = IDENTIFIER.sub(lambda m: m.group(0) if _UNIT_SUFFIX.match(m.group(0)) else " ", text)
    found = []
    for match in _NUMBER.finditer(blanked):
        value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
        unit = _UNITS.get((match.group(3) or "").lower())
        shown = match.group(0).strip() if unit else match.group(1) + (match.group(2) or "")
        found.append(Quantity(value, unit, shown))
    for match in _SPELLED.finditer(text):
        word, unit = match.groups()
        known = _UNITS.get(unit.lower())
        shown = match.group(0) if known else word
        found.append(Quantity(float(_NUMBER_WORDS[word.lower()]), known, shown))
    return found


def states(quantity: Quantity, found: list[Quantity]) -> bool:
    """True if `found` holds the same value in the same unit (or either has no unit)."""
    return any(
        abs(q.value - quantity.value) < 1e-9
        and (q.unit is None or quantity.unit is None or q.unit == quantity.unit)
        for q in found
    )


def abstains(text: str) -> bool:
    """True if the text declines to answer ("I don't know", "not stated in the handbook")."""
    return bool(ABSTENTION.search(text or ""))


# Capitalised words that start sentences and name nothing.
_STARTER_TEXT = """every each all any some no yes it its in on at after before within about by
    only from for to up over under when if there this that they you we use run set send open ask
    call contact check go see make keep rotate page restart roll deploy file create add
    approximately around roughly exactly just always never usually"""
_STARTERS = frozenset(_STARTER_TEXT.split())


def names(text: str) -> set[str]:
    """Capitalised words that name things, lower-cased and stemmed.

    A sentence's first word counts only if it is an acronym or not a common starter word
    ("Every 90 days" names nothing; "Blob, Queues and Functions" names three products).
    """
    found = set()
    for match in re.finditer(r"\b[A-Z][\w&'-]*", text):
        token = match.group(0)
        if any(ch.isdigit() for ch in token):
            continue  # "NW-4107" is an identifier, matched whole elsewhere
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in ".!?:\n"
        lowered = token.lower()
        if lowered in STOPWORDS or lowered in _NUMBER_WORDS:
            continue
        if first and not token.isupper() and lowered in _STARTERS:
            continue
        found.update(words(token) or [stem(lowered)])
    return found


def content(text: str) -> set[str]:
    """Stemmed content words, for overlap."""
    return set(words(text))
