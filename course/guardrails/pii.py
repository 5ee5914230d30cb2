"""Personal data out of prompts and logs: e-mails, phone numbers and card numbers become
placeholders before text leaves the process.

Why placeholders rather than deleting: "[EMAIL_1] asked us to write to [EMAIL_1]" stays
readable for the model, two mentions of one address stay linked, and the caller can put the
originals back (`Redaction.restore`) where a person needs them. The mapping lives only in the
`Redaction` object, in memory, and is left out of its repr, so printing or logging a
`Redaction` never shows what it hides.

What counts (the labelling guide, course/data/README.md):

- email: ``local@domain.tld``;
- card: 13-19 digits written the way cards are (4-4-4-4, 4-6-5, unbroken) that pass the Luhn
  check, or the same layouts partly masked with ``*`` or ``X`` (``**** **** **** 4242``), which
  cannot be checked and count on their shape alone;
- phone: 9-15 digits in a phone layout: a leading ``+`` country code, an area code in
  parentheses, or groups of digits split by spaces, dots, dashes or a slash.

What does not: order, invoice, case and tracking numbers (glued to letters or a prefix, as in
ORD-48213), dates, times, amounts, versions, IP addresses, and "card ending in 4242". Names and
postal addresses are personal data too, but patterns cannot find them reliably; that takes a
named-entity model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

KINDS = ("email", "card", "phone")  # redacted in this order: an e-mail may hold digits

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)

_SYMBOL = r"[\dXx*]"  # a card digit, or a masked one
_CARD = re.compile(
    rf"""
    (?<![\w*+])(?<!\d[ -])     # not the tail of a word, an id or a longer number
    (?:{_SYMBOL}{{4}}(?P<sep>[ -]){_SYMBOL}{{4}}(?P=sep){_SYMBOL}{{4}}(?P=sep){_SYMBOL}{{1,7}}
      |{_SYMBOL}{{4}}[ -]{_SYMBOL}{{6}}[ -]{_SYMBOL}{{4,5}}       # American Express, Diners
      |{_SYMBOL}{{13,19}})
    (?![\w*]|[ -]\d)           # not the head of a longer number
    """,
    re.VERBOSE,
)

_PHONE = re.compile(
    r"""
    (?<![\w+.,/-])            # not the tail of a word, an id, a date or another number
    (?:\+\d{1,3}[ .-]?)?      # country code
    (?:\(\d{1,5}\)[ .-]?)?    # area code in parentheses
    \d{1,15}(?:[ ./-]\d{1,8}){0,6}
    (?![\w/:-]|[.,]\d)        # not the head of something longer (1.299,00 / 14:30 / ids)
    """,
    re.VERBOSE,
)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|CARD|PHONE)_\d+\]")


@dataclass(frozen=True)
class Redaction:
    """Text with personal data replaced by placeholders such as [EMAIL_1].

    `found` counts the occurrences of each kind ("email", "card", "phone"); `mapping`
    (placeholder -> original) stays in memory and out of repr(): never log or store it.
    """

    text: str
    found: dict[str, int]
    mapping: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def restore(self, text: str) -> str:
        """`text` (say, an answer quoting [EMAIL_1]) with the originals put back."""
        return _PLACEHOLDER.sub(lambda m: self.mapping.get(m.group(0), m.group(0)), text)


def redact_pii(text: str) -> Redaction:
    """Replace every e-mail, card and phone number in `text`; one placeholder per distinct value."""
    mapping: dict[str, str] = {}
    found: Counter[str] = Counter()
    for kind in KINDS:
        text = _replace(kind, text, mapping, found)
    return Redaction(text=text, found=dict(found), mapping=mapping)


def find_pii(text: str) -> dict[str, int]:
    """How many e-mails, cards and phone numbers `text` holds, by kind ({} when none)."""
    return redact_pii(text).found


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every card number carries: double every second digit from the right,
    subtract 9 from results above 9, and the sum must end in 0. Catches most typos, and most
    long numbers that merely look like cards."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _replace(kind: str, text: str, mapping: dict[str, str], found: Counter[str]) -> str:
    """`text` with each accepted `kind` match replaced; numbering restarts for every kind."""
    placeholders: dict[str, str] = {}  # original -> placeholder

    def replace(match: re.Match[str]) -> str:
        original = match.group(0)
        if not _ACCEPT[kind](original):
            return original
        if original not in placeholders:
            placeholders[original] = f"[{kind.upper()}_{len(placeholders) + 1}]"
            mapping[placeholders[original]] = original
        found[kind] += 1
        return placeholders[original]

    return _FINDERS[kind].sub(replace, text)


def _is_card(candidate: str) -> bool:
    symbols = re.sub(r"[ -]", "", candidate)
    digits = sum(char.isdigit() for char in symbols)
    if digits < 4:
        return False
    return digits < len(symbols) or luhn_valid(symbols)  # masked numbers cannot be checked


def _is_phone(candidate: str) -> bool:
    digits = sum(char.isdigit() for char in candidate)
    laid_out = candidate.startswith(("+", "(")) or bool(re.search(r"\d[ ./-]\d", candidate))
    return 9 <= digits <= 15 and laid_out and not _IPV4.fullmatch(candidate)


_FINDERS: dict[str, re.Pattern[str]] = {"email": _EMAIL, "card": _CARD, "phone": _PHONE}
_ACCEPT: dict[str, Callable[[str], bool]] = {
    "email": lambda _: True,
    "card": _is_card,
    "phone": _is_phone,
}
