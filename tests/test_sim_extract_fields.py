"""Extraction of module-1 ticket fields: nullable values, money, ids, catalogue products, flags.

Exact checks call the field finders (the Filler) directly, without the tier's error model;
rate checks run generated tickets through the Simulator and count nulls and made-up values.
"""

from __future__ import annotations

import json
import random
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from course.models import catalog
from course.sim import SimRequest, Simulator
from course.sim.reading import money
from course.sim.reading.finders import flag, fuzzy_option, id_like, id_shape
from course.sim.writing import ABSENT, LIKELY, Filler


class TicketFields(BaseModel):
    order_id: str | None = Field(None, description="Order number such as ORD-48213")
    product: str | None = Field(None, description="Product name from the catalogue")
    amount: float | None = Field(None, description="Money amount the ticket is about")
    currency: str | None = Field(None, description="ISO code of that amount: USD, EUR, GBP")
    refund_requested: bool = Field(False, description="Does the customer ask for money back?")


class Triage(BaseModel):
    category: Literal["billing", "bug", "account", "shipping", "feature_request", "other"]
    priority: Literal["low", "normal", "high", "urgent"]


SCHEMA = TicketFields.model_json_schema()
PRODUCTS = ["Nimbus Router X2", "Zephyr Laptop 14", "Aurora Headset", "Vega Camera Z5"]
CATALOGUE = "Extract the ticket fields. Products: " + ", ".join(PRODUCTS) + "."


def fill(text: str, instructions: str = CATALOGUE, schema: dict = SCHEMA) -> dict:
    filler = Filler(
        text=text,
        root=schema,
        rng=random.Random(0),
        base_error_rate=0.0,
        temperature=0.0,
        instructions=instructions,
    )
    return filler.object(schema)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("1,299.00", 1299.0),
        ("12,50", 12.5),
        ("12.50", 12.5),
        ("1.299,00", 1299.0),
        ("1,299", 1299.0),
        ("1 299,00", 1299.0),
        ("0.99", 0.99),
        ("45", 45.0),
        (".", None),  # no digits: no amount (was a crash on a "amount: ..." line without one)
        ("1.2.a", None),
    ],
)
def test_amounts_parse_by_the_documented_separator_rule(raw: str, amount: float | None) -> None:
    assert money.parse_amount(raw) == amount


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("I was charged €12.50 twice.", 12.5, "EUR"),
        ("I paid $1,299.00 for it.", 1299.0, "USD"),
        ("Pagué 12,50 EUR por el pedido.", 12.5, "EUR"),
        ("Es hat 1.299,00 € gekostet.", 1299.0, "EUR"),
        ("It cost £30 last week.", 30.0, "GBP"),
        ("They took 45 dollars.", 45.0, "USD"),
        ("Please refund USD 19.99.", 19.99, "USD"),
    ],
)
def test_money_fields_read_amount_and_iso_code(text: str, amount: float, currency: str) -> None:
    found = fill(text)
    assert (found["amount"], found["currency"]) == (amount, currency)


def test_fields_without_evidence_are_null_not_invented() -> None:
    found = fill("My router has been broken for 3 days and I have 2 devices. Please help.")
    assert found == {
        "order_id": None,
        "product": None,
        "amount": None,
        "currency": None,
        "refund_requested": False,
    }


def test_ids_follow_the_example_shape_in_the_description() -> None:
    shape = id_shape("Order number such as ORD-48213")
    assert id_like("Bestellung ORD-48213 kam nicht an", "order_id", shape) == "ORD-48213"
    assert id_like("Router X2 broken, order 55123", "order_id", shape) == "55123"
    assert id_like("Router X2 broken since 3 days", "order_id", shape) is None
    assert fill("Where is ORD-10042? I paid €20.")["order_id"] == "ORD-10042"


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("My nimbus router x2 keeps rebooting.", "Nimbus Router X2"),
        ("The Nimbus Ruoter X2 is dead.", "Nimbus Router X2"),
        ("I bought the ZEPHYR LAPTOP 14 in May.", "Zephyr Laptop 14"),
        ("my aurora headset crackles", "Aurora Headset"),
        ("My Orion Speaker is broken.", None),  # not in the catalogue: null, not a guess
    ],
)
def test_catalogue_products_match_tolerating_case_and_typos(text: str, product: str) -> None:
    assert fill(text)["product"] == product


def test_without_a_catalogue_the_product_is_the_best_capitalised_phrase() -> None:
    text = "Hi, my Orion Speaker 3 stopped working.\nThanks,\nAna Lopez"
    assert fill(text, instructions="Extract the ticket fields.")["product"] == "Orion Speaker 3"
    assert fill("hi, it stopped working", instructions="Extract.")["product"] is None
    assert fuzzy_option("nothing here", PRODUCTS) is None


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("I want my money back.", True),
        ("Please refund the second charge.", True),
        ("Quiero un reembolso, por favor.", True),
        ("Ich bitte um Rückerstattung.", True),
        ("Je demande le remboursement de ma commande.", True),
        ("I don't want a refund, just a working router.", False),
        ("No quiero un reembolso.", False),
        ("Je ne veux pas de remboursement.", False),
        ("The router is broken.", False),
    ],
)
def test_boolean_evidence_comes_from_name_description_and_lexicon(text: str, wanted: bool) -> None:
    assert flag(text, "refund_requested", "Does the customer ask for money back?") is wanted
    assert fill(text)["refund_requested"] is wanted


def test_description_alone_brings_the_lexicon_group() -> None:
    # The name says nothing about refunds; "money back" in the description does.
    assert flag("Quiero un reembolso", "wants_it", "Does the customer ask for money back?")
    assert not flag("Quiero un reembolso", "wants_it", "Does the customer like the product?")


def field_tickets(n: int, seed: int) -> list[tuple[str, dict]]:
    """Tickets where each field is present half the time, in varied formats and languages."""
    rng = random.Random(seed)
    formats = [
        ("€{:.2f}", "EUR"),
        ("${:,.2f}", "USD"),
        ("£{:.0f}", "GBP"),
        ("{:.2f} EUR", "EUR"),
    ]
    refunds = ["I want my money back.", "Quiero un reembolso.", "Bitte um Erstattung."]
    items = []
    for _ in range(n):
        truth: dict = dict.fromkeys(("order_id", "product", "amount", "currency"))
        truth["refund_requested"] = False
        parts = ["Hello, I need help with my purchase."]
        if rng.random() < 0.5:
            truth["order_id"] = f"ORD-{rng.randint(10000, 99999)}"
            parts.append(f"The order is {truth['order_id']}.")
        if rng.random() < 0.5:
            truth["product"] = rng.choice(PRODUCTS)
            parts.append(f"My {truth['product'].lower()} stopped working after two days.")
        else:
            parts.append("It stopped working after two days.")
        if rng.random() < 0.5:
            pattern, code = rng.choice(formats)
            value = round(rng.uniform(5, 1500), 2 if "2f" in pattern else 0)
            truth["amount"], truth["currency"] = value, code
            parts.append(f"I paid {pattern.format(value)} for it.")
        if rng.random() < 0.5:
            truth["refund_requested"] = True
            parts.append(rng.choice(refunds))
        rng.shuffle(parts)
        items.append((" ".join(parts), truth))
    return items


def null_and_right_rates(model: str, items: list[tuple[str, dict]]) -> tuple[float, float]:
    """(share of absent fields returned null, share of present fields returned right)."""
    fmt = {"type": "json_schema", "json_schema": {"name": "fields", "schema": SCHEMA}}
    sim = Simulator()
    null = absent = right = present = 0
    for i, (text, truth) in enumerate(items):
        # A seed per item: identical tickets would otherwise share one (deterministic) draw.
        messages = [{"role": "system", "content": CATALOGUE}, {"role": "user", "content": text}]
        request = SimRequest(model, messages, seed=i, response_format=fmt)
        data = json.loads(sim.complete(request).content)
        TicketFields.model_validate(data)  # structured output always fits the schema
        for key in ("order_id", "product", "amount", "currency"):
            if truth[key] is None:
                absent += 1
                null += data[key] is None
            else:
                present += 1
                right += data[key] == truth[key]
    return null / absent, right / present


def test_large_tier_leaves_absent_fields_null_and_small_invents_more() -> None:
    items = field_tickets(300, seed=31)
    small_null, small_right = null_and_right_rates("sim-small", items)
    large_null, large_right = null_and_right_rates("sim-large", items)
    large_miss = catalog().get("sim-large").sim["field_miss_rate"]
    small_miss = catalog().get("sim-small").sim["field_miss_rate"]
    # An absent field is invented at field_miss_rate x ABSENT; a present one misread at most at
    # field_miss_rate x LIKELY (these tickets state each value once: mostly CLEAR).
    assert abs((1 - large_null) - large_miss * ABSENT) < 0.02, large_null
    assert abs((1 - small_null) - small_miss * ABSENT) < 0.03, small_null
    assert small_null < large_null - 0.02
    assert 1 - small_right <= small_miss * LIKELY, small_right
    assert large_right > 0.97 and small_right < large_right, (small_right, large_right)


def test_triage_enums_are_always_valid_values() -> None:
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "triage", "schema": Triage.model_json_schema()},
    }
    sim = Simulator()
    for text, _ in field_tickets(100, seed=32):
        messages = [{"role": "system", "content": "Triage."}, {"role": "user", "content": text}]
        data = json.loads(
            sim.complete(SimRequest("sim-small", messages, response_format=fmt)).content
        )
        Triage.model_validate(data)


def test_catalogue_in_the_user_turn_is_not_mistaken_for_the_ticket() -> None:
    text = CATALOGUE + "\n\nTicket: my router stopped, order ORD-12345."
    assert fill(text, instructions=text)["product"] is None
    assert fill(text, instructions=text)["order_id"] == "ORD-12345"


if __name__ == "__main__":  # the measurements quoted in docs/SIMULATOR.md
    tickets = field_tickets(1000, seed=31)
    for tier in ("sim-small", "sim-large"):
        null, right = null_and_right_rates(tier, tickets)
        print(f"{tier}: absent fields null {null:.3f}, present fields right {right:.3f}")
