"""The shop a support agent works on: customers, orders, items, shipments, refunds, escalations.

It is a real SQLite database (in memory), so "did the agent do the right thing?" is decided by
the rows it leaves behind, not by the words of its reply. ``Shop.generate(seed)`` draws a new
shop; ``copy()`` gives each task run a private one, so runs never see each other's changes.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

TODAY = date(2026, 11, 20)  # the shop's "today": dates and windows are computed from it

SCHEMA = """
CREATE TABLE customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, postcode TEXT NOT NULL
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
    status TEXT NOT NULL CHECK (status IN ('processing', 'shipped', 'delivered', 'cancelled')),
    ordered_on TEXT NOT NULL, delivered_on TEXT, address TEXT NOT NULL
);
CREATE TABLE items (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id),
    product TEXT NOT NULL, price_eur REAL NOT NULL, quantity INTEGER NOT NULL
);
CREATE TABLE shipments (
    order_id TEXT PRIMARY KEY REFERENCES orders(id), carrier TEXT NOT NULL,
    tracking TEXT NOT NULL, eta TEXT
);
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL REFERENCES items(id),
    amount_eur REAL NOT NULL, reason TEXT NOT NULL, created_on TEXT NOT NULL
);
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id TEXT, summary TEXT NOT NULL
);
"""

FIRST = (
    "Ana",
    "Bruno",
    "Chiara",
    "Dmitri",
    "Efua",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Maya",
    "Nuno",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
)
LAST = (
    "Almeida",
    "Berg",
    "Conti",
    "Dahl",
    "Eze",
    "Fischer",
    "Gomes",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Rossi",
    "Silva",
)
STREETS = (
    "Rua das Flores",
    "Kastanienallee",
    "Via Roma",
    "Storgatan",
    "Rue Oberkampf",
    "Calle Mayor",
    "Mill Lane",
    "Bergstraße",
)
CITIES = ("Lisboa", "Berlin", "Milano", "Uppsala", "Paris", "Madrid", "Leeds", "Graz")
PRODUCTS = (
    ("wireless headphones", 89.0),
    ("espresso machine", 249.0),
    ("desk lamp", 34.5),
    ("running shoes", 119.0),
    ("backpack", 59.9),
    ("phone case", 14.99),
    ("mechanical keyboard", 139.0),
    ("winter jacket", 189.0),
    ("yoga mat", 24.0),
    ("smart watch", 299.0),
    ("water bottle", 12.5),
    ("bluetooth speaker", 79.0),
)
CARRIERS = ("DHL", "UPS", "GLS", "PostNL")


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    postcode: str


class Shop:
    """A shop database and the few queries the tools and the checks share."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.row_factory = sqlite3.Row

    @classmethod
    def empty(cls) -> Shop:
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.executescript(SCHEMA)
        return cls(db)

    @classmethod
    def generate(cls, seed: int, customers: int = 40) -> Shop:
        """A new shop: customers with 1-4 orders each, in every state an order can be in."""
        rng = random.Random(seed)
        shop = cls.empty()
        for number in range(customers):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            customer = Customer(
                id=f"C-{1001 + number}",
                name=f"{first} {last}",
                email=f"{first}.{last}{rng.randint(1, 99)}@example.com".lower(),
                postcode=f"{rng.randint(1000, 99999):05d}",
            )
            shop.add_customer(customer)
            for _ in range(rng.randint(1, 4)):
                status = rng.choice(("processing", "shipped", "delivered", "delivered"))
                age = {"processing": rng.randint(0, 2), "shipped": rng.randint(2, 6)}.get(
                    status, rng.randint(8, 70)
                )
                shop.add_order(rng, customer, status, ordered_days_ago=age)
        return shop

    def add_customer(self, customer: Customer) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO customers VALUES (?, ?, ?, ?)",
                (customer.id, customer.name, customer.email, customer.postcode),
            )

    def add_order(
        self,
        rng: random.Random,
        customer: Customer,
        status: str,
        ordered_days_ago: int,
        products: list[tuple[str, float]] | None = None,
    ) -> str:
        """Insert an order (with items and, once shipped, a shipment); returns its id."""
        order_id = f"O-{50001 + self.count('orders')}"
        ordered = TODAY - timedelta(days=ordered_days_ago)
        delivered = ordered + timedelta(days=3) if status == "delivered" else None
        address = (
            f"{rng.choice(STREETS)} {rng.randint(1, 120)}, {customer.postcode} {rng.choice(CITIES)}"
        )
        chosen = products or rng.sample(PRODUCTS, rng.randint(1, 3))
        with self.db:
            self.db.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)",
                (
                    order_id,
                    customer.id,
                    status,
                    ordered.isoformat(),
                    delivered.isoformat() if delivered else None,
                    address,
                ),
            )
            for line, (product, price) in enumerate(chosen, start=1):
                self.db.execute(
                    "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                    (f"{order_id}-{line}", order_id, product, price, 1),
                )
            if status in ("shipped", "delivered"):
                eta = (ordered + timedelta(days=3)).isoformat()
                tracking = f"{rng.choice(CARRIERS)[:2].upper()}{rng.randint(10**8, 10**9 - 1)}"
                self.db.execute(
                    "INSERT INTO shipments VALUES (?, ?, ?, ?)",
                    (order_id, rng.choice(CARRIERS), tracking, eta),
                )
        return order_id

    def copy(self) -> Shop:
        """A private copy for one run."""
        twin = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.backup(twin)
        return Shop(twin)

    def count(self, table: str) -> int:
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def rows(self, sql: str, *params: object) -> list[dict]:
        return [dict(row) for row in self.db.execute(sql, params)]

    def one(self, sql: str, *params: object) -> dict | None:
        found = self.rows(sql, *params)
        return found[0] if found else None

    def customers(self) -> list[Customer]:
        return [Customer(**row) for row in self.rows("SELECT * FROM customers ORDER BY id")]

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table: two snapshots differ exactly where something changed."""
        tables = ("customers", "orders", "items", "shipments", "refunds", "escalations")
        return {
            t: [tuple(r) for r in self.db.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in tables
        }
