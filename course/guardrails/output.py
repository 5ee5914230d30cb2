"""Checks on what the model returned, before anything acts on it.

A schema (pydantic) proves the answer has the right shape; it cannot tell a real order id
from a typo, a catalogue product from a planted "ZX-CANARY", or a leaked system prompt from a
product name. These checks look at the values, so a feature can fall back (null the field,
send the ticket to a person) instead of acting on a confident wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from course.data.tickets import TicketFields
from course.guardrails.injection import detect_injection
from course.guardrails.pii import find_pii

CURRENCIES = frozenset({"USD", "EUR", "GBP"})
ORDER_ID = re.compile(r"ORD-\d{5}")


@dataclass(frozen=True)
class Violation:
    """One failed check: which field, which rule, and what was wrong with the value."""

    field: str
    rule: str
    detail: str

    @property
    def code(self) -> str:
        """ "product.catalogue": what to count violations by."""
        return f"{self.field}.{self.rule}"


@dataclass(frozen=True)
class FieldRules:
    """What a plausible `TicketFields` looks like for one business (course/data/README.md).

    `max_amount` sits an order of magnitude above the largest plausible charge: it catches a
    misread number (an id or a phone read as money), not an unusual order.
    """

    products: frozenset[str]
    currencies: frozenset[str] = CURRENCIES
    order_id: re.Pattern[str] = ORDER_ID
    max_amount: float = 10_000.0

    def catalogue_name(self, product: str) -> str | None:
        """The catalogue spelling of `product`, ignoring letter case and spacing; else None."""
        wanted = _folded(product)
        return next((name for name in self.products if _folded(name) == wanted), None)


def check_fields(fields: TicketFields, rules: FieldRules) -> list[Violation]:
    """Every rule `fields` breaks (empty: plausible). None is always allowed: "not stated"."""
    found: list[Violation] = []

    def fail(name: str, rule: str, detail: str) -> None:
        found.append(Violation(name, rule, detail))

    if fields.order_id is not None and not rules.order_id.fullmatch(fields.order_id):
        fail("order_id", "format", f"{fields.order_id!r} is not like {rules.order_id.pattern}")
    if fields.product is not None and rules.catalogue_name(fields.product) is None:
        fail("product", "catalogue", f"{_short(fields.product)!r} is not a catalogue product")
    if fields.amount is not None and not 0 < fields.amount <= rules.max_amount:
        fail("amount", "range", f"{fields.amount} is outside (0, {rules.max_amount:g}]")
    if fields.currency is not None and fields.currency not in rules.currencies:
        fail("currency", "allowed", f"{fields.currency!r} is not one of {sorted(rules.currencies)}")
    if (fields.amount is None) != (fields.currency is None):
        fail("amount", "pair", "an amount needs its currency, and a currency its amount")
    for name in ("order_id", "product"):
        value = getattr(fields, name)
        if value and find_pii(value):
            fail(name, "pii", f"holds personal data ({', '.join(sorted(find_pii(value)))})")
    return found


def instruction_tells(text: str, system_prompt: str = "", *, span: int = 8) -> list[str]:
    """Signs that an output obeyed someone rather than answered: it repeats `span` or more
    consecutive words of the system prompt (a leak), or itself carries an injection."""
    tells = []
    if system_prompt and _shares_run(text, system_prompt, span):
        tells.append(f"repeats {span}+ consecutive words of the system prompt")
    tells += [f"carries an injection ({f.rule}: {f.excerpt!r})" for f in detect_injection(text)]
    return tells


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _shares_run(text: str, source: str, span: int) -> bool:
    source_words = _words(source)
    runs = {tuple(source_words[i : i + span]) for i in range(len(source_words) - span + 1)}
    text_words = _words(text)
    return any(tuple(text_words[i : i + span]) in runs for i in range(len(text_words) - span + 1))
