"""The support agent's tools over one shop. They do what they are asked, like real back-office
APIs: the policy (identity, windows, limits) is the agent's job, and the checks measure it.
Only what the database itself cannot do (an unknown order, a second refund of an item,
cancelling a delivered order) fails with an error message the model reads."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from course.agents.shop.store import TODAY, Shop
from course.agents.tools import Tool, tool

OrderId = Annotated[str, Field(description="an order number such as O-50012")]


class ShopError(Exception):
    """A request the shop's database cannot carry out."""


def shop_tools(shop: Shop) -> list[Tool]:
    """The tools, bound to ``shop``."""

    def order_row(order_id: str) -> dict:
        order = shop.one("SELECT * FROM orders WHERE id = ?", order_id.strip().upper())
        if order is None:
            raise ShopError(f"no order {order_id}")
        return order

    @tool
    def verify_identity(
        customer_email: str | None = None,
        order_id: str | None = None,
        postcode: str | None = None,
    ) -> dict:
        """Check who the customer is: their account e-mail, or an order number with the
        delivery postcode. Returns whether they are verified and their customer id."""
        if customer_email:
            found = shop.one(
                "SELECT id FROM customers WHERE lower(email) = ?", customer_email.strip().lower()
            )
        elif order_id and postcode:
            found = shop.one(
                "SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id "
                "WHERE o.id = ? AND c.postcode = ?",
                order_id.strip().upper(),
                postcode.strip(),
            )
        else:
            raise ShopError("give the account e-mail, or an order number and its postcode")
        return {"verified": found is not None, "customer_id": found["id"] if found else None}

    @tool
    def list_orders(customer_id: str) -> list[dict]:
        """A customer's orders, newest first: number, status and the products in each."""
        orders = shop.rows(
            "SELECT id, status, ordered_on FROM orders WHERE customer_id = ? "
            "ORDER BY ordered_on DESC",
            customer_id.strip().upper(),
        )
        for order in orders:
            order["products"] = [
                i["product"]
                for i in shop.rows("SELECT product FROM items WHERE order_id = ?", order["id"])
            ]
        return orders

    @tool
    def get_order(order_id: OrderId) -> dict:
        """One order in full: status, dates, address, items with prices, shipment, refunds."""
        order = order_row(order_id)
        order["items"] = shop.rows(
            "SELECT i.id, i.product, i.price_eur, i.quantity, "
            "(SELECT COUNT(*) FROM refunds r WHERE r.item_id = i.id) AS refunded "
            "FROM items i WHERE order_id = ?",
            order["id"],
        )
        order["shipment"] = shop.one(
            "SELECT carrier, tracking, eta FROM shipments WHERE order_id = ?", order["id"]
        )
        return order

    @tool(side_effect=True)
    def refund_item(
        item_id: Annotated[str, Field(description="an item id such as O-50012-1")],
        reason: str,
    ) -> dict:
        """Refund one item of an order to the customer's original payment method."""
        item = shop.one("SELECT * FROM items WHERE id = ?", item_id.strip().upper())
        if item is None:
            raise ShopError(f"no item {item_id}")
        if shop.one("SELECT id FROM refunds WHERE item_id = ?", item["id"]):
            raise ShopError(f"item {item['id']} was refunded already")
        amount = round(item["price_eur"] * item["quantity"], 2)
        with shop.db:
            shop.db.execute(
                "INSERT INTO refunds (item_id, amount_eur, reason, created_on) VALUES (?, ?, ?, ?)",
                (item["id"], amount, reason, TODAY.isoformat()),
            )
        return {"refunded_item": item["id"], "amount_eur": amount}

    @tool(side_effect=True)
    def cancel_order(order_id: OrderId) -> dict:
        """Cancel a whole order."""
        order = order_row(order_id)
        if order["status"] in ("delivered", "cancelled"):
            raise ShopError(f"order {order['id']} is {order['status']}; it cannot be cancelled")
        with shop.db:
            shop.db.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (order["id"],))
        return {"cancelled": order["id"]}

    @tool(side_effect=True)
    def change_address(order_id: OrderId, new_address: str) -> dict:
        """Send an order to a different address."""
        order = order_row(order_id)
        with shop.db:
            shop.db.execute(
                "UPDATE orders SET address = ? WHERE id = ?", (new_address.strip(), order["id"])
            )
        return {"order": order["id"], "address": new_address.strip()}

    @tool(side_effect=True)
    def escalate(summary: str, customer_id: str | None = None) -> dict:
        """Hand the case to a person, with a summary of what the customer needs."""
        with shop.db:
            cursor = shop.db.execute(
                "INSERT INTO escalations (customer_id, summary) VALUES (?, ?)",
                (customer_id.strip().upper() if customer_id else None, summary),
            )
        return {"escalation": cursor.lastrowid}

    return [
        verify_identity,
        list_orders,
        get_order,
        refund_item,
        cancel_order,
        change_address,
        escalate,
    ]
