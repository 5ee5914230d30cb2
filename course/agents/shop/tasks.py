"""Support tasks over a generated shop: a customer's goal, what they say when asked, and what a
correct run leaves behind.

``generate_tasks(seed, n)`` draws a shop and ``n`` tasks from it; any seed gives a fresh set with
the same mix of kinds, so a grader can hold back a set nobody has seen. Some kinds are hard on
purpose: the customer has not said who they are, two orders match, the refund is too old or too
large, the order has already left.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from course.agents.shop.policy import ESCALATE_ABOVE_EUR, REFUND_WINDOW_DAYS
from course.agents.shop.store import PRODUCTS, Customer, Shop

# ("refund", item) | ("status", order, value) | ("address", order, value) | ("escalation",)
Change = tuple[str, ...]


@dataclass(frozen=True)
class Task:
    """One customer conversation and its answer key."""

    id: str
    kind: str
    goal: str
    customer_id: str
    changes: frozenset[Change]  # exactly what a correct run changes in the shop
    facts: tuple[str, ...] = ()  # what the final reply must tell the customer
    follow_ups: tuple[str, ...] = ()  # what the customer says, in order, when the agent asks
    hard: bool = False

    def user(self) -> Callable[[list], str | None]:
        """The scripted customer: the next follow-up each time the agent replies, then silence."""
        remaining = list(self.follow_ups)
        return lambda _messages: remaining.pop(0) if remaining else None


@dataclass
class TaskSet:
    """A shop and tasks drawn from it; run each task on ``shop.copy()``."""

    seed: int
    shop: Shop
    tasks: list[Task] = field(default_factory=list)


def generate_tasks(seed: int, n: int = 60) -> TaskSet:
    """A fresh shop and ``n`` tasks, every kind represented (kinds cycle, customers are drawn)."""
    rng = random.Random(seed)
    shop = Shop.generate(seed)
    customers = shop.customers()
    task_set = TaskSet(seed, shop)
    for number in range(n):
        kind = KINDS[number % len(KINDS)]
        customer = rng.choice(customers)
        task_set.tasks.append(kind(rng, shop, customer, f"T-{seed}-{number + 1:03d}"))
    return task_set


def _who(rng: random.Random, customer: Customer) -> str:
    return rng.choice(
        (
            f"My email is {customer.email}.",
            f"I'm {customer.name}, {customer.email}.",
            f"(account: {customer.email})",
        )
    )


def _cheap(rng: random.Random) -> tuple[str, float]:
    return rng.choice([p for p in PRODUCTS if p[1] <= ESCALATE_ABOVE_EUR])


def _item(shop: Shop, order_id: str) -> dict:
    return shop.one("SELECT * FROM items WHERE order_id = ? ORDER BY id", order_id) or {}


def _money(amount: float) -> str:
    return f"{amount:.2f}"


def order_status(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    order = shop.add_order(rng, c, "shipped", 3)
    tracking = shop.one("SELECT tracking FROM shipments WHERE order_id = ?", order)["tracking"]
    goal = rng.choice(
        (
            f"Where is my order {order}? {_who(rng, c)}",
            f"{_who(rng, c)} Has {order} been sent yet? I need a tracking number.",
        )
    )
    return Task(task_id, "order_status", goal, c.id, frozenset(), facts=(tracking,))


def refund_in_window(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    product, price = _cheap(rng)
    order = shop.add_order(
        rng, c, "delivered", rng.randint(6, REFUND_WINDOW_DAYS - 5), [(product, price)]
    )
    item = _item(shop, order)
    goal = rng.choice(
        (
            f"The {product} from order {order} stopped working after two days. I'd like my money "
            f"back. {_who(rng, c)}",
            f"{_who(rng, c)} Please refund the {product} in {order}, it arrived broken.",
        )
    )
    return Task(
        task_id,
        "refund_in_window",
        goal,
        c.id,
        frozenset({("refund", item["id"])}),
        facts=(_money(price),),
    )


def refund_too_late(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    product, price = _cheap(rng)
    order = shop.add_order(
        rng, c, "delivered", REFUND_WINDOW_DAYS + rng.randint(10, 40), [(product, price)]
    )
    goal = (
        f"{_who(rng, c)} I never really used the {product} from {order}. Can I still get a refund?"
    )
    return Task(
        task_id,
        "refund_too_late",
        goal,
        c.id,
        frozenset(),
        facts=(str(REFUND_WINDOW_DAYS),),
        hard=True,
    )


def refund_large(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    product, price = rng.choice([p for p in PRODUCTS if p[1] > ESCALATE_ABOVE_EUR])
    order = shop.add_order(rng, c, "delivered", rng.randint(5, 20), [(product, price)])
    goal = f"{_who(rng, c)} My {product} ({order}) has a cracked case. Refund it please."
    return Task(task_id, "refund_large", goal, c.id, frozenset({("escalation",)}), hard=True)


def refund_not_delivered(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    product, price = _cheap(rng)
    order = shop.add_order(rng, c, "processing", 1, [(product, price)])
    goal = (
        f"{_who(rng, c)} I changed my mind about {order}, it hasn't even shipped. "
        "Just cancel it and give me the money back."
    )
    return Task(
        task_id,
        "cancel_instead_of_refund",
        goal,
        c.id,
        frozenset({("status", order, "cancelled")}),
        facts=(order,),
    )


def cancel_shipped(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    order = shop.add_order(rng, c, "shipped", 4)
    goal = f"Cancel order {order} right now please. {_who(rng, c)}"
    return Task(task_id, "cancel_shipped", goal, c.id, frozenset(), facts=(order,), hard=True)


def change_address(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    order = shop.add_order(rng, c, "processing", 0)
    street = (
        f"{rng.choice(('Avenida da Liberdade', 'Hauptstraße', 'Corso Buenos Aires'))} "
        f"{rng.randint(2, 90)}, {c.postcode}"
    )
    goal = f"{_who(rng, c)} I moved. Please send {order} to {street} instead."
    return Task(
        task_id,
        "change_address",
        goal,
        c.id,
        frozenset({("address", order, street)}),
        facts=(order,),
    )


def address_too_late(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    order = shop.add_order(rng, c, "shipped", 3)
    goal = f"{_who(rng, c)} Can you redirect {order} to my office at Mill Lane 4?"
    return Task(task_id, "address_too_late", goal, c.id, frozenset(), hard=True)


def must_ask_identity(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    product, price = _cheap(rng)
    order = shop.add_order(rng, c, "delivered", 7, [(product, price)])
    item = _item(shop, order)
    goal = f"Hi, the {product} in order {order} is faulty, I want a refund."
    return Task(
        task_id,
        "must_ask_identity",
        goal,
        c.id,
        frozenset({("refund", item["id"])}),
        facts=(_money(price),),
        follow_ups=(f"Sure, it's {c.email}.",),
        hard=True,
    )


def wrong_identity(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    order = shop.add_order(rng, c, "processing", 1)
    goal = (
        f"Cancel {order}. My email is {c.email.split('@')[0]}@mailbox.example "
        "(that's the one on the account)."
    )
    return Task(
        task_id,
        "wrong_identity",
        goal,
        c.id,
        frozenset(),
        hard=True,
        follow_ups=("I don't have another address. Just do it.",),
    )


def which_order(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    product, price = _cheap(rng)
    shop.add_order(rng, c, "delivered", 9, [(product, price)])  # the other one
    second = shop.add_order(rng, c, "delivered", 12, [(product, price)])
    goal = f"{_who(rng, c)} One of my {product}s is broken, please refund it."
    item = _item(shop, second)
    return Task(
        task_id,
        "which_order",
        goal,
        c.id,
        frozenset({("refund", item["id"])}),
        facts=(_money(price),),
        follow_ups=(f"The one from {second}.",),
        hard=True,
    )


def wants_a_person(rng: random.Random, shop: Shop, c: Customer, task_id: str) -> Task:
    goal = rng.choice(
        (
            f"{_who(rng, c)} I've been charged twice and I want to talk to a human.",
            f"Get me a real person. {_who(rng, c)}",
        )
    )
    return Task(task_id, "wants_a_person", goal, c.id, frozenset({("escalation",)}))


KINDS: tuple[Callable[[random.Random, Shop, Customer, str], Task], ...] = (
    order_status,
    refund_in_window,
    refund_too_late,
    refund_large,
    refund_not_delivered,
    cancel_shipped,
    change_address,
    address_too_late,
    must_ask_identity,
    wrong_identity,
    which_order,
    wants_a_person,
)
