"""Find typed values in free text: emails, phones, URLs, dates, numbers, names, "key: value".

These are the regexes a backend engineer would write for the job, and that is the point: the
simulator's extraction is exactly as good as pattern matching, so its failures are explainable.
"""

from __future__ import annotations

import re
from datetime import datetime

from course.sim.skills.text import identifier_words, sentences, stem, words

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\bhttps?://[^\s)<>\"']+|\bwww\.[^\s)<>\"']+")
PHONE = re.compile(
    r"(?<![\w-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{3,4}[\s.-]\d{3,4}(?:[\s.-]\d{2,4})?(?![\w-])"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}}\b",
    re.I,
)
NUMBER = re.compile(r"(?<![\w.#-])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|(?<!\w)'([^'\n]{1,200})'(?!\w)")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|[A-Z]\.))*")
_ID_TOKEN = re.compile(r"(?<![\w@.$€£-])#?([A-Za-z]*[-_]?\d[\w-]*)(?!\.\d)")
_PERSON_CUE = re.compile(
    r"(?:name is|named|called|i am|i'm|this is|by|with|regards,?|thanks,?|sincerely,?)\W*$", re.I
)
_PLACE_CUE = re.compile(r"(?:in|from|to|at|near|based in|live in|located in)\W*$", re.I)
_NOT_NAME_TEXT = """i hi hello hey dear thanks thank please the a an my our your we you it
    this that there monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december today yesterday
    tomorrow ok yes no best regards cheers"""
_NOT_NAMES = frozenset(_NOT_NAME_TEXT.split())
_NEGATION = frozenset(
    {
        "no",
        "not",
        "never",
        "without",
        "isn't",
        "wasn't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "can't",
        "cannot",
        "nothing",
        "none",
    }
)


def _name_pattern(name: str) -> str:
    parts = identifier_words(name).split()
    return r"[\s_-]*".join(re.escape(p) for p in parts) if parts else re.escape(name)


def key_value(text: str, name: str) -> str | None:
    """The value after "name:" or "name =" (also "Order ID: 42" for order_id), if present."""
    match = re.search(rf"(?im)\b{_name_pattern(name)}\s*[:=]\s*([^\n;]+)", text)
    if not match:
        return None
    value = match.group(1).strip().strip("\"'`").rstrip(".,").strip()
    return value or None


def first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0).rstrip(".,)") if match else None


def iso_date(raw: str) -> str:
    """Normalise a found date to YYYY-MM-DD when it can be read unambiguously enough."""
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", raw.replace(",", "")).replace(".", "")
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return raw


def _blocked_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for pattern in (EMAIL, URL, PHONE, DATE) for m in pattern.finditer(text)]


def _name_spans(text: str, name_words: set[str]) -> list[tuple[int, int]]:
    found = re.finditer(r"[A-Za-z]+", text)
    return [m.span() for m in found if stem(m.group(0).lower()) in name_words]


def _nearest_first(found: list[re.Match[str]], anchors: list[tuple[int, int]]) -> None:
    """Sort matches by distance to the nearest anchor word; on a tie, after the word wins."""

    def distance(match: re.Match[str]) -> tuple[int, int]:
        gaps = []
        for start, end in anchors:
            if match.start() >= end:
                gaps.append((match.start() - end, 0))
            else:
                gaps.append((max(0, start - match.end()), 1))
        return min(gaps)

    if anchors:
        found.sort(key=distance)


def number_near(text: str, name: str) -> float | None:
    """The number closest to a mention of the property's name; else the first number at all.

    Numbers inside emails, phone numbers, URLs and dates are skipped.
    """
    blocked = _blocked_spans(text)
    found = [m for m in NUMBER.finditer(text) if not any(a <= m.start() < b for a, b in blocked)]
    if not found:
        return None
    _nearest_first(found, _name_spans(text, set(words(identifier_words(name)))))
    return float(found[0].group(0).replace(",", ""))


def numbers(text: str) -> list[float]:
    blocked = _blocked_spans(text)
    return [
        float(m.group(0).replace(",", ""))
        for m in NUMBER.finditer(text)
        if not any(a <= m.start() < b for a, b in blocked)
    ]


def quoted(text: str) -> str | None:
    match = _QUOTED.search(text)
    return next(g for g in match.groups() if g) if match else None


def id_like(text: str, name: str = "") -> str | None:
    """A token with digits ("A-1042", "#5521") nearest a mention of `name` ("order_id").

    Money ("$25.50"), decimals, emails, phone numbers, URLs and dates are not identifiers.
    """
    blocked = _blocked_spans(text)
    found = [m for m in _ID_TOKEN.finditer(text) if not any(a <= m.start() < b for a, b in blocked)]
    if not found:
        return None
    anchors = _name_spans(text, set(words(identifier_words(name))) - {"id", "number", "no"})
    _nearest_first(found, anchors)
    return found[0].group(1)


def proper_noun(text: str, kind: str = "any") -> str | None:
    """The likeliest name of a person or place ("person", "place", "any"): capitalised words.

    A cue before the words ("my name is" for a person, "in"/"from" for a place) counts most;
    the first word of a sentence counts least, since every sentence starts with a capital.
    """
    cues = {"person": [_PERSON_CUE], "place": [_PLACE_CUE]}.get(kind, [_PERSON_CUE, _PLACE_CUE])
    best: tuple[int, int, str] | None = None
    for match in _CAPITALISED.finditer(text):
        parts = [p for p in match.group(0).split() if p.lower() not in _NOT_NAMES]
        if not parts:
            continue
        before = text[: match.start()]
        sentence_start = not before.strip() or before.rstrip()[-1] in ".!?\n:"
        cued = any(cue.search(before[-20:]) for cue in cues)
        score = 2 * cued + (len(parts) > 1) - 2 * sentence_start
        candidate = (score, -match.start(), " ".join(parts))
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else None


def best_sentence(text: str, hint: str) -> str | None:
    """The sentence sharing the most words with `hint` (a property name and description)."""
    hint_words = set(words(hint))
    scored = [(len(hint_words & set(words(s))), -i, s) for i, s in enumerate(sentences(text))]
    scored = [item for item in scored if item[0] > 0]
    return max(scored)[2] if scored else None


def list_items(text: str, name: str) -> list[str]:
    """Items of a list: "name: a, b and c", else bullet lines, else nothing."""
    value = key_value(text, name)
    if value:
        return [p for p in (s.strip() for s in re.split(r",|;|\band\b", value)) if p]
    bullets = re.findall(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$", text)
    return bullets


def flag(text: str, name: str) -> bool:
    """True if the property's words appear in the text and are not negated just before."""
    name_words = {w for w in words(identifier_words(name)) if w not in ("is", "has", "can", "need")}
    tokens = re.findall(r"[a-z']+", text.lower())
    for index, token in enumerate(tokens):
        if stem(token) in name_words:
            return not any(t in _NEGATION for t in tokens[max(0, index - 3) : index])
    return False
