"""Money in free text: "€12.50", "$1,299.00", "12,50 EUR", "1.299,00 €", "CHF 1'250.00".

A money field is read from a number written next to a currency symbol, code or word, never from
a bare number: "broken for 3 days" holds no amount, and a nullable amount field stays null.
Separators follow one rule a learner can check: a "," or "." followed by exactly three digits
groups thousands ("1,299" and "1.299" are 1299), followed by one or two digits it is the
decimal point ("12,50" and "12.50" are 12.5); with both, the last one is the decimal point.
Spaces (also non-breaking and thin ones) and apostrophes only ever group thousands
("12 345,67 zł" is 12345.67, "CHF 1'250.00" is 1250.0); punctuation after the number
("£112.30, thanks") is not part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SYMBOLS = {"US$": "USD", "C$": "CAD", "A$": "AUD", "R$": "BRL", "$": "USD", "€": "EUR"}
SYMBOLS |= {"£": "GBP", "¥": "JPY", "₹": "INR", "zł": "PLN", "Kč": "CZK", "₩": "KRW"}
SYMBOLS |= {"₺": "TRY", "₪": "ILS", "₽": "RUB", "Fr.": "CHF"}
_CODE_TEXT = """USD EUR GBP JPY CHF CAD AUD NZD MXN BRL INR CNY SEK NOK DKK PLN CZK HUF ZAR
    SGD HKD KRW TRY ILS RUB"""
CODES = frozenset(_CODE_TEXT.split())
NAMES = {
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "dólar": "USD",
    "dólares": "USD",
    "pound": "GBP",
    "pounds": "GBP",
    "libra": "GBP",
    "libras": "GBP",
    "pfund": "GBP",
    "quid": "GBP",
    "bucks": "USD",
    "yen": "JPY",
    "franc": "CHF",
    "francs": "CHF",
    "franken": "CHF",
    "zloty": "PLN",
    "złoty": "PLN",
    "złotych": "PLN",
    "rupee": "INR",
    "rupees": "INR",
    "yuan": "CNY",
    "renminbi": "CNY",
    "krona": "SEK",
    "kronor": "SEK",
}

_GROUP = r"[,.\u00a0\u202f '’]"
_NUM = rf"\d{{1,3}}(?:{_GROUP}\d{{3}})+(?:[.,]\d{{1,2}})?(?!\d)|\d+(?:[.,]\d{{1,2}})?(?!\d)"
_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_CODE = "|".join(sorted(CODES))
_NAME = "|".join(sorted(NAMES, key=len, reverse=True))
_BEFORE = re.compile(rf"(?P<cur>{_SYMBOL}|\b(?:{_CODE})(?![a-z]))\s?(?P<num>{_NUM})", re.I)
_AFTER = re.compile(
    rf"(?<![\w.,\-#])(?P<num>{_NUM})\s?(?P<cur>{_SYMBOL}|(?:{_CODE}|{_NAME})\b)", re.I
)


@dataclass(frozen=True)
class Money:
    """One amount found in the text, with its ISO currency code and where it was found."""

    amount: float
    currency: str
    start: int
    end: int


def parse_amount(raw: str) -> float | None:
    """Read "1,299.00" as 1299.0, "12,50" as 12.5, "1.299,00" as 1299.0 (see module docstring)."""
    digits = re.sub(r"[\s\u00a0\u202f'’]", "", raw).rstrip(",.")
    if not re.fullmatch(r"[\d,.]*\d[\d,.]*", digits):
        return None  # "." or "1.2.a" is no amount (a "name: value" line may hold anything)
    separators = [ch for ch in digits if ch in ",."]
    if not separators:
        return float(digits) if digits.isdigit() else None
    if len(set(separators)) == 2:
        decimal = separators[-1]
        whole, _, cents = digits.rpartition(decimal)
        return float(re.sub(r"[,.]", "", whole) + "." + cents)
    head, _, tail = digits.rpartition(separators[-1])
    if len(tail) == 3 and head not in ("", "0"):
        return float(re.sub(r"[,.]", "", digits))  # grouping: 1,299 or 1.299.000
    return float(re.sub(r"[,.]", "", head) + "." + tail)


def amount_in(raw: str) -> float | None:
    """The amount a short value states ("£112.30, thanks", "1.234,50 € incl. VAT"), or None."""
    found = mentions(raw)
    if found:
        return found[0].amount
    number = re.search(_NUM, raw)
    return parse_amount(number.group(0)) if number else None


def code_of(currency: str) -> str:
    """The ISO code of a symbol, code or name: "€" is EUR, "usd" USD, "dollars" USD."""
    if currency in SYMBOLS:
        return SYMBOLS[currency]
    lowered = currency.lower()
    return NAMES.get(lowered, currency.upper())


def mentions(text: str) -> list[Money]:
    """Every amount with a currency, in order of appearance (a symbol before wins a tie)."""
    found: dict[int, Money] = {}
    for pattern in (_BEFORE, _AFTER):
        for match in pattern.finditer(text):
            amount = parse_amount(match.group("num"))
            if amount is None or any(m.start <= match.start() < m.end for m in found.values()):
                continue
            found[match.start()] = Money(amount, code_of(match.group("cur")), *match.span())
    return [found[start] for start in sorted(found)]


def currency_words(text: str) -> list[str]:
    """ISO codes of currencies named without an amount ("refund in euros", "paid in USD")."""
    codes = []
    for match in re.finditer(rf"{_SYMBOL}|\b(?:{_CODE}|{_NAME})\b", text, re.I):
        codes.append(code_of(match.group(0)))
    return codes
