"""Find typed values in free text: emails, phones, URLs, dates, numbers, names, "key: value".

These are the regexes a backend engineer would write for the job, and that is the point: the
simulator's extraction is exactly as good as pattern matching, so its failures are explainable.
"""

from __future__ import annotations

import re
from datetime import date
from difflib import SequenceMatcher

from course.sim.reading import lexicon
from course.sim.reading.text import (
    STOPWORDS,
    identifier_words,
    letter_tokens,
    sentences,
    stem,
    words,
)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\bhttps?://[^\s)<>\"']+|\bwww\.[^\s)<>\"']+")
# Seven to fifteen digits in two to five groups, with an optional +country code or (area code):
# "+44 7700 900123", "(555) 010-4477", "030 1234 5678". A date or an amount is not a phone.
PHONE = re.compile(
    r"(?<![\w-])(?=\+?(?:[\s.()-]{0,2}\d){7,15}(?![\d]))"
    r"(?!\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b)"
    r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,6}){1,4}(?![\w-])"
)
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
# Month names in Spanish, German and French, the other languages the simulator reads.
_FOREIGN_MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "januar": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "janvier": 1, "février": 2, "mars": 3, "avril": 4,
    "juin": 6, "juillet": 7, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|" + "|".join(sorted(_FOREIGN_MONTHS, key=len, reverse=True)) + r")\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|er|\.)?"
# A date with its year, as people write it: 2024-12-04, 2024/12/04, 04.12.2024, 12/4/2024,
# "4 December 2024", "4th of December, 2024", "December 4th, 2024", "Dec. 4, 2024", "4-Dec-2024",
# "12. Mai 2025", "9 de agosto de 2025", "1er mars 2025".
DATE = re.compile(
    rf"\b\d{{4}}[-/]\d{{1,2}}[-/]\d{{1,2}}\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b"
    rf"|\b{_MONTH}\s+(?:the\s+)?{_DAY},?\s+\d{{4}}\b"
    rf"|\b(?:the\s+)?{_DAY}\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?\d{{4}}\b"
    rf"|\b{_DAY}-{_MONTH}-\d{{4}}\b",
    re.I,
)
# A day or time said in words: "tomorrow", "this afternoon", "next Tuesday", "8pm", "in 20 minutes".
DAY_TIME = re.compile(
    r"\b(?:(?:this|next|last)\s+)?(?:today|tonight|tomorrow|yesterday|weekend|morning|afternoon|"
    r"evening|noon|midnight|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b"
    r"|\b(?:this|next|last)\s+(?:week|month|year)\b"
    r"|\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b",
    re.I,
)
DURATION = re.compile(r"\bin\s+\d+\s+(?:minutes?|hours?|days?|weeks?)\b", re.I)
RELATIVE_TIME = re.compile(f"{DAY_TIME.pattern}|{DURATION.pattern}", re.I)
CARD = re.compile(r"(?<![\w-])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\w-])")
NUMBER = re.compile(r"(?<![\w.#-])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|(?<!\w)'([^'\n]{1,200})'(?!\w)")
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[ -](?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+|[A-Z]\.))*")
_ID_TOKEN = re.compile(r"(?<![\w@.$€£-])#?([A-Za-z]*[-_]?\d[\w-]*)(?!\.\d)")
# An example identifier in a field's description ("such as ORD-48213") gives the shape to look for.
_EXAMPLE_ID = re.compile(r"\b([A-Za-z]{1,6})([-_/]?)(\d{2,})\b")
_PRODUCT_TOKEN = re.compile(r"[A-Z][\w-]*|[A-Za-z]*\d[\w.-]*")
_NOT_PRODUCT_TEXT = (
    "subject re fwd fw from to cc date sent order ticket invoice hi hello dear thanks"
)
_NOT_PRODUCT = frozenset(_NOT_PRODUCT_TEXT.split())
_PERSON_CUE = re.compile(
    r"(?:name is|named|called|i am|i'm|this is|by|with|regards,?|thanks,?|sincerely,?)\W*$", re.I
)
# Before a person's name in a message about them: also "booked for", "under", "a nombre de".
_PERSON_NAME_CUE = re.compile(
    rf"(?:{_PERSON_CUE.pattern[3:-5]}|for|under|nombre de|für|pour)\W*$", re.I
)
_ORG_CUE = re.compile(r"(?:from|by|at|with|of|de|der|von|chez|caterer|supplier)\W*$", re.I)
# A run of capitalised words, joined by spaces, hyphens, "&" or a name particle ("van", "de"):
# "Ferreira & Filhos Lda", "Kessler Druck GmbH", "Lucía Romero", "Oakridge Legal LLP".
_NAME_WORD = r"(?:[A-Z]\.|[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'’]*(?![-_/]?[A-Za-z]*\d))"
_NAME_RUN = re.compile(
    rf"\b{_NAME_WORD}(?:(?:[ -]|\s&\s|\s(?:van|von|de|da|del|der|di|du|le|la)\s){_NAME_WORD})*"
)
_LEGAL_TEXT = """ltd limited llc llp inc corp co plc gmbh ag kg sa sas sarl sl spa srl bv nv lda
    oy ab as"""
_LEGAL_FORMS = frozenset(_LEGAL_TEXT.split())
_TITLE_TEXT = """mr mrs ms miss mx dr prof sir madam herr herrn frau señor señora sr sra srta don
    doña m mme mlle monsieur madame"""
_TITLES = frozenset(_TITLE_TEXT.split())
_PLACE_CUE = re.compile(r"(?:in|from|to|at|near|based in|live in|located in)\W*$", re.I)
_NOT_NAME_TEXT = """i hi hello hey dear thanks thank please the a an my our your we you it
    this that there monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december today yesterday
    tomorrow ok yes no best regards cheers"""
_NOT_NAMES = frozenset(_NOT_NAME_TEXT.split())
# Nouns for "company" written before its name (capitalised in German, or at a sentence start).
_COMPANY_TEXT = """firma company firm empresa compañía compania sociedad société societe
    entreprise maison unternehmen gesellschaft betrieb"""
_COMPANY_NOUNS = frozenset(_COMPANY_TEXT.split())


def name_pattern(name: str) -> str:
    """A regex for a field's name as prose writes it: order_id matches "Order ID", "order-id"."""
    parts = identifier_words(name).split()
    return r"[\s_-]*".join(re.escape(p) for p in parts) if parts else re.escape(name)


# Where a value written inline ends: at the next "Label:" or at the end of its sentence
# ("City: Vienna. Check-in: 3 March" gives "Vienna"; "Email: a@b.com, phone: 555" "a@b.com").
_NEXT_KEY = re.compile(
    r"[,.]?\s+(?=[\w][\w' -]{0,30}:\s)|(?<![A-Z][a-z])(?<![A-Z][a-z]{2})(?<=\S)\.\s+(?=[A-Z])"
)


def key_value(text: str, name: str, loose: bool = False) -> str | None:
    """The value after "name:" or "name =" (also "Order ID: 42" for order_id), if present.

    With `loose`, a label of one word of the name also counts when the whole name is not
    written ("Guest: Amara Singh" for guest_name, "Total: 45 EUR" for total_price); the caller
    checks that such a value has the field's type.
    """
    labels = [name_pattern(name)]
    if loose:
        parts = [p for p in identifier_words(name).split() if p not in STOPWORDS]
        labels += [re.escape(p) for p in parts if len(parts) > 1]
    for label in labels:
        match = re.search(rf"(?im)(?<![\w-]){label}\s*[:=]\s*([^\n;|]+)", text)
        if match:
            value = _NEXT_KEY.split(match.group(1), maxsplit=1)[0]
            value = value.strip().strip("\"'`").rstrip(".,").strip()
            if value:
                return value
    return None


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
    "single": 1,
}  # fmt: skip
_NUMBER_WORD = re.compile(r"\b(?:a\s+)?(" + "|".join(_NUMBER_WORDS) + r")\b(?!\s*-)", re.I)


def first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0).rstrip(".,)") if match else None


_AFTER_NAME_CHARS = 30  # "due on 4 May 2025": a date this close after the name belongs to it
_LEAD_WORDS = 4  # the words before a date that say what the date is ("he arrives on")
_LEAD_MARGIN = 0.1  # how much closer in meaning one lead-in must be to decide


def parse_date(raw: str) -> date | None:
    """The calendar date `raw` states, read by one documented rule per shape, else None.

    Year first (2024-12-04, 2024/12/04) is year-month-day. Dots (04.12.2024) are
    day.month.year, as where they are written. Slashes and dashes with the year last are
    month/day/year (US) unless the first number cannot be a month (13/04/2024 is 13 April).
    Two-digit years are 20xx. Month names may be abbreviated, with or without a full stop.
    """
    text = raw.strip().lower()
    if match := re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text):
        year, month, day = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})", text):
        first, separator, second, year_text = match.groups()
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        if separator == "." or int(first) > 12:
            day, month = int(first), int(second)
        else:
            month, day = int(first), int(second)
    else:
        named = re.search(rf"\b{_MONTH}", text)
        numbers = re.findall(r"\d+", text)
        if not named or len(numbers) != 2:
            return None
        word = named.group(0).rstrip(".")
        month = _FOREIGN_MONTHS.get(word) or _MONTHS[word[:3]]
        day, year = int(numbers[0]), int(numbers[1])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iso_date(raw: str) -> str:
    """Normalise a found date to YYYY-MM-DD (see parse_date); unreadable text stays as it is."""
    found = DATE.search(raw)
    parsed = parse_date(found.group(0)) if found else None
    return parsed.isoformat() if parsed else raw


def date_near(
    text: str, name: str, hint: str = "", taken: frozenset[str] = frozenset()
) -> str | None:
    """The date that belongs to a field, by three rules in order:

    1. the field's name is written ("check-out on 4 May 2025" for check_out): the date right
       after it (within 30 characters), else the closest one;
    2. the words just before a date mean what the field's name and description (`hint`) say
       ("leaving 15 May" for "Departure date"): the date whose lead-in is clearly closest in
       meaning (course.sim.meaning) wins;
    3. otherwise dates go in order of writing, skipping dates already `taken` by earlier fields
       ("from 1 August to 4 August": check_in gets the first, check_out the second).
    """
    found = list(DATE.finditer(text))
    free = [m for m in found if m.group(0) not in taken] or found
    if not found:
        return None
    anchors = [m.span() for m in re.finditer(name_pattern(name), text, re.I)]
    if anchors:

        def distance(match: re.Match[str]) -> tuple[int, int]:
            after = [match.start() - end for _, end in anchors if match.start() >= end]
            if after and min(after) <= _AFTER_NAME_CHARS:
                return (0, min(after))
            return (1, min(_gap(match.span(), anchor) for anchor in anchors))

        return min(found, key=distance).group(0)
    if len(free) > 1 and hint:
        from course.sim import meaning  # the embedding model loads only when dates compete

        leads, start = [], 0
        for match in free:
            before = re.split(r"[.;!?\n]", text[start : match.start()])[-1]
            leads.append(" ".join(before.split()[-_LEAD_WORDS:]))
            start = match.end()
        scores = meaning.similarities(hint, leads)
        ranked = sorted(range(len(free)), key=lambda i: -scores[i])
        if scores[ranked[0]] - scores[ranked[1]] >= _LEAD_MARGIN:
            return free[ranked[0]].group(0)
    return free[0].group(0)


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


def _counts(text: str) -> list[tuple[tuple[int, int], float]]:
    """Numbers that can count something: digits and number words ("twelve", "a single"), not
    parts of e-mails, phones, URLs, dates or amounts of money ("$12.99" is a price)."""
    from course.sim.reading import money  # money has no dependency on this module

    blocked = _blocked_spans(text) + [(m.start, m.end) for m in money.mentions(text)]
    found = [
        (m.span(), float(m.group(0).replace(",", "")))
        for m in NUMBER.finditer(text)
        if not any(a <= m.start() < b for a, b in blocked)
    ]
    found += [
        (m.span(), float(_NUMBER_WORDS[m.group(1).lower()])) for m in _NUMBER_WORD.finditer(text)
    ]
    return sorted(found)


def counts(text: str) -> list[float]:
    """The values of the numbers in `text` that can count something (see _counts)."""
    return [value for _, value in _counts(text)]


def number_near(text: str, name: str, within: int | None = None) -> float | None:
    """The number closest to a mention of the property's name; else the first number at all.

    Numbers inside emails, phone numbers, URLs, dates and amounts of money are skipped; number
    words count ("twelve packs", "a single wallet"). With `within`, only a number at most that
    many characters from a mention of the name counts (a nullable field is allowed to say "not
    stated", so it does not grab an unrelated number).
    """
    found = _counts(text)
    anchors = _name_spans(text, set(words(identifier_words(name))))
    if within is not None:
        found = [f for f in found if any(_gap(f[0], a) <= within for a in anchors)]
    if not found:
        return None
    if anchors:

        def distance(item: tuple[tuple[int, int], float]) -> tuple[int, int]:
            (start, end), _ = item
            gaps = []
            for a, b in anchors:
                gaps.append((start - b, 0) if start >= b else (max(0, a - end), 1))
            return min(gaps)

        found.sort(key=distance)
    return found[0][1]


def _gap(span: tuple[int, int], anchor: tuple[int, int]) -> int:
    return max(0, anchor[0] - span[1], span[0] - anchor[1])


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


def example_id(description: str) -> tuple[str, str, int] | None:
    """(prefix, separator, number of digits) of an example id: "such as ORD-48213" -> ORD, -, 5."""
    match = _EXAMPLE_ID.search(description)
    if not match:
        return None
    prefix, separator, digits = match.groups()
    return prefix, separator, len(digits)


def id_shape(description: str) -> re.Pattern[str] | None:
    """The shape of an example id in a description: its letter prefix, then letters, digits
    and separators ("such as ORD-48213" -> ORD-..., "e.g. INV-2024-0193" -> INV-...-...)."""
    example = example_id(description)
    if example is None:
        return None
    prefix, _, _ = example
    return re.compile(rf"^{re.escape(prefix)}[-_/ ]?[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)*$", re.I)


def id_candidates(text: str, shape: re.Pattern[str] | None = None) -> list[re.Match[str]]:
    """Every token that could be an identifier (see id_like), in order of appearance.

    With a `shape`, tokens of that shape; failing those, tokens with at least three digits
    ("RE-55031" when the example was INV-2024-0193, "order 55123"), never "Router X2".
    """
    blocked = _blocked_spans(text)
    found = [
        m
        for m in _ID_TOKEN.finditer(text)
        if not any(a <= m.start() < b for a, b in blocked)
        and (m.group(0).startswith("#") or re.search(r"[A-Za-z]|\d{4}", m.group(1)))
    ]
    if shape is not None:
        shaped = [m for m in found if shape.match(m.group(1))]
        found = shaped or [m for m in found if len(re.findall(r"\d", m.group(1))) >= 3]
    return found


def id_like(text: str, name: str = "", shape: re.Pattern[str] | None = None) -> str | None:
    """A token with digits ("A-1042", "#5521", "ORD-48213") nearest a mention of `name`.

    An identifier has a letter or a "#" in it, or at least four digits: "3 days" or "2 items"
    hold no id. Money ("$25.50"), decimals, emails, phone numbers, URLs and dates are not
    identifiers. When the field's description shows an example (`shape`), tokens of that
    shape count first, failing those any token with three digits or more: "Router X2" is then
    no order id.
    """
    found = id_candidates(text, shape)
    if not found:
        return None
    anchors = _name_spans(text, set(words(identifier_words(name))) - {"id", "number", "no"})
    _nearest_first(found, anchors)
    return found[0].group(1)


def fuzzy_option(text: str, options: list[str], threshold: float = 0.8) -> str | None:
    """The listed option the text mentions, tolerant of case and typos ("nimbus ruoter x2").

    Every run of as many words as the option (one fewer or one more too) is compared with
    difflib's similarity ratio; the best option scoring at least `threshold` wins, the earlier
    mention on a tie.
    """
    tokens = [m.group(0).lower() for m in re.finditer(r"[\w][\w'.-]*[\w]|\w", text)]
    best: tuple[float, int, str] | None = None
    for option in options:
        target = " ".join(option.lower().split())
        size = len(target.split())
        matcher = SequenceMatcher(None, b=target)  # difflib caches the analysis of `b`
        for n in {max(1, size - 1), size, size + 1}:
            for i in range(len(tokens) - n + 1):
                matcher.set_seq1(" ".join(tokens[i : i + n]))
                if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                    continue  # cheap upper bounds of ratio(): cannot reach the threshold
                ratio = matcher.ratio()
                if ratio >= threshold and (best is None or (ratio, -i) > best[:2]):
                    best = (ratio, -i, option)
    return best[2] if best else None


def product_phrase(text: str) -> str | None:
    """The likeliest product name: a run of capitalised words and model codes ("Nimbus Router X2").

    A run with a model code or a number after a capitalised word counts most, several words
    more than one; the first word of a sentence and a name after "my name is"/"regards" count
    against. Ids such as ORD-48213 and header words ("Subject") are not products.
    """
    best: tuple[int, int, str] | None = None
    for line in text.splitlines():
        offset = text.find(line)
        run: list[re.Match[str]] = []
        for match in [*_PRODUCT_TOKEN.finditer(line), None]:
            if match is not None and _joins(line, run, match):
                run.append(match)
                continue
            if run:
                candidate = _score_product(text, offset, line, run)
                if candidate and (best is None or candidate[:2] > best[:2]):
                    best = candidate
            run = [match] if match is not None and _starts_product(match) else []
    return best[2] if best and best[0] > 0 else None


def _starts_product(match: re.Match[str]) -> bool:
    token = match.group(0)
    return token[0].isupper() and token.lower() not in _NOT_PRODUCT | _NOT_NAMES


def _joins(line: str, run: list[re.Match[str]], match: re.Match[str]) -> bool:
    if not run or line[run[-1].end() : match.start()] != " ":
        return False
    token = match.group(0)
    is_code = any(ch.isdigit() for ch in token)
    return (token[0].isupper() or is_code) and token.lower() not in _NOT_PRODUCT | _NOT_NAMES


def _score_product(
    text: str, offset: int, line: str, run: list[re.Match[str]]
) -> tuple[int, int, str] | None:
    phrase = line[run[0].start() : run[-1].end()].rstrip(".,")
    if re.fullmatch(r"[A-Z]{2,}[-_/]?\d{3,}|#?\d+", phrase):
        return None  # an order id or a bare number, not a product
    before = line[: run[0].start()]
    sentence_start = not before.strip() or before.rstrip()[-1] in ".!?:"
    has_code = any(any(ch.isdigit() for ch in m.group(0)) for m in run)
    person = _PERSON_CUE.search(text[: offset + run[0].start()][-20:])
    score = 2 * has_code + (len(run) > 1) - 2 * (sentence_start and not has_code) - 3 * bool(person)
    return score, -(offset + run[0].start()), phrase


def proper_noun(text: str, kind: str = "any") -> str | None:
    """The likeliest name of a person, place or organisation ("person", "place",
    "organisation", "any"): a run of capitalised words.

    A cue before the run ("my name is", "for", "under" for a person; "in"/"from" for a place;
    "from", "by", "at" for an organisation) counts most; a legal form at the end ("Ltd",
    "GmbH", "LLP", "SA") marks an organisation; several words beat one; the first word of a
    sentence counts least, and a label ("Guest:") is no name. A courtesy title ("Mr",
    "Herrn", "Señora") is dropped from a person's name, and so is a possessive "'s".
    """
    cues = {
        "person": [_PERSON_NAME_CUE],
        "place": [_PLACE_CUE],
        "organisation": [_ORG_CUE],
    }.get(kind, [_PERSON_NAME_CUE, _PLACE_CUE])
    best: tuple[int, int, str] | None = None
    dates = [m.span() for m in DATE.finditer(text)]
    for match in _NAME_RUN.finditer(text):
        if any(a <= match.start() < b for a, b in dates):
            continue  # "Jan 9, 2025" is a date, not a person called Jan
        before = text[: match.start()]
        titled = re.search(r"\b(?:mr|mrs|ms|dr|prof|mme|sr|sra)\.\s*$", before, re.I)
        opens = not before.strip() or before.rstrip()[-1] in ".!?\n:|"
        sentence_start = not titled and opens
        if sentence_start and text[match.end() : match.end() + 1] == ":":
            continue  # "Guest: Amara Singh": the label is not the name
        parts = [p for p in match.group(0).split() if p.lower() not in _NOT_NAMES]
        while parts and parts[0].lower().rstrip(".") in _TITLES:
            parts = parts[1:]
        company = [k for k, p in enumerate(parts[:-1]) if p.lower() in _COMPANY_NOUNS]
        if company:  # "Rechnung der Firma Kessler Druck GmbH": the name follows "Firma"
            parts = parts[company[-1] + 1 :]
        if kind == "person" and parts:
            parts[-1] = re.sub(r"['’]s$", "", parts[-1])
        if not parts or not any(ch.islower() for ch in "".join(parts)):
            continue  # an acronym on its own ("FYI", "VAT") is no name
        cued = any(cue.search(before[-20:]) for cue in cues) or bool(kind == "person" and titled)
        legal = parts[-1].lower().rstrip(".") in _LEGAL_FORMS
        signed = bool(re.search(r"(?:regards|thanks|cheers|sincerely|best)\W*$", before, re.I))
        score = 2 * cued + (len(parts) > 1) - 2 * (sentence_start and not cued)
        if kind == "organisation":
            score += 2 * legal - 2 * signed
        elif kind == "person":
            score -= 2 * legal
        candidate = (score, -match.start(), " ".join(parts))
        if best is None or candidate > best:
            best = candidate
    # A lone capitalised word opening a sentence, with no cue, is just a sentence's first word.
    return best[2] if best and best[0] > -2 else None


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


_GENERIC_FLAG_TEXT = """is has have can need needs needed request requested ask asked asks want
    wanted wants flag flagged mention mentioned mentions contains customer user does did"""
_GENERIC_FLAG_WORDS = frozenset(stem(w) for w in _GENERIC_FLAG_TEXT.split())


def flag_evidence(name: str, description: str = "") -> list[tuple[str, ...]]:
    """What counts as a yes for a boolean field: its name's words, plus lexicon groups.

    Generic words ("requested", "is", "asks") are dropped from the name, so `refund_requested`
    looks for "refund"; a lexicon group (see lexicon.py) mentioned by the name or the
    description adds its words: "money back" brings "reembolso", "Erstattung", "remboursement".
    """
    own = [(w,) for w in words(identifier_words(name)) if w not in _GENERIC_FLAG_WORDS]
    # An -able adjective is evidenced by its verb: "reimbursable" by "please reimburse me".
    own += [(w[:-3],) for (w,) in own if w.endswith(("abl", "ibl")) and len(w) > 6]
    return own + lexicon.expand(f"{identifier_words(name)} {description}")


_POSSIBLE_FIELD = re.compile(
    r"(?:able|ible)\b|\b(?:request\w*|want\w*|need\w*|ask\w*|wish\w*|should|must|can|"
    r"eligible|allowed|required|plan\w*|intend\w*)\b",
    re.I,
)


def _planned(raw: list[str], i: int) -> bool:
    """ "has to be paid", "will be included", "muss bezahlt werden": the word at `i` follows a
    modal and "be" (or German "zu"), so the text states a duty or a plan, not a done fact."""
    before = [t.lower() for t in raw[max(0, i - 3) : i]]
    after = [t.lower() for t in raw[i + 1 : i + 2]]
    if before[-1:] == ["zu"] or (after == ["werden"] and set(before) & lexicon.MODALS):
        return True
    if "be" in before or "ser" in before or "être" in before:
        at = max(k for k, t in enumerate(before) if t in ("be", "ser", "être"))
        return any(t in lexicon.MODALS for t in before[:at])
    return False


_ANSWER_AFTER = re.compile(r"^\s*(?:[:=?\-–—]+|\s)\s*[\"'¿¡]?([^\W\d_]+)", re.U)


def _answered(text: str, evidence: list[tuple[str, ...]]) -> bool | None:
    """A yes/no written right after the field's words ("Gift wrap: yes", "Frühstück? nein"),
    in any of the lexicon's languages, or None when no such answer follows a mention."""
    for line in text.splitlines():
        raw = letter_tokens(line)
        tokens = [stem(t) for t in raw]
        for i in range(len(tokens)):
            hit = next((p for p in evidence if p and tuple(tokens[i : i + len(p)]) == p), None)
            if hit is None:
                continue
            last = raw[i + len(hit) - 1]
            at = line.lower().find(last.lower())
            answer = _ANSWER_AFTER.match(line[at + len(last) :]) if at >= 0 else None
            word = answer.group(1).lower() if answer else ""
            if word in lexicon.YES:
                return True
            if word in lexicon.NO:
                return False
    return None


def flag(text: str, name: str, description: str = "") -> bool:
    """True if some clause of the text states the field's evidence without negating it.

    A clause (text between punctuation marks) that mentions an evidence word is negated when a
    negation sits in the three words before any of its mentions: "He didn't ask for gift
    wrap" and "Breakfast is not included" are False, "I want a refund, not a voucher" True.
    """
    evidence = flag_evidence(name, description)
    # A field about something possible or wanted ("reimbursable", "refund_requested") is a yes
    # for "to be reimbursed"; one about a done state ("already_paid") is not.
    done_state = not _POSSIBLE_FIELD.search(identifier_words(name))
    answered = _answered(text, evidence)
    if answered is not None:
        return answered
    for clause in re.split(r"[.,;:!?()\n]+|\s[-–—]\s", text):
        said = lexicon.mentioned(clause, evidence)
        if said is None:
            continue
        raw = letter_tokens(clause)
        tokens = [stem(t) for t in raw]
        negated = False
        for i in range(len(tokens)):
            if any(p and tuple(tokens[i : i + len(p)]) == p for p in evidence):
                negated = negated or any(t in lexicon.NEGATIONS for t in raw[max(0, i - 3) : i])
                negated = negated or (done_state and _planned(raw, i))
        if not negated:
            return True
    return False
