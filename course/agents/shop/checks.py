"""Was a run right? Decided from the shop it left behind and the trajectory it took.

Three questions, answered separately because they fail separately:
- **state**: did the shop change in exactly the way the task needs (no more, no less)?
- **facts**: does the final reply tell the customer what they need (amounts, tracking numbers)?
- **policy**: did the run break a rule on the way (acting before identity was verified, a
  refund out of window or over the limit, cancelling or redirecting an order that has left,
  claiming an action that was not taken)?
A run succeeds only when all three hold.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from course.agents.shop.policy import ESCALATE_ABOVE_EUR, REFUND_WINDOW_DAYS
from course.agents.shop.store import TODAY, Shop
from course.agents.shop.tasks import Change, Task
from course.agents.trajectory import Trajectory

CUSTOMER_DATA_TOOLS = {"list_orders", "get_order", "refund_item", "cancel_order", "change_address"}
CLAIMS = {
    "refund": re.compile(r"\b(have|has been|'ve|was|were)\s+(issued\s+a\s+)?refund", re.I),
    "status": re.compile(r"\b(have|has been|'ve|was)\s+cancell?ed\b", re.I),
    "address": re.compile(r"\b(have|has been|'ve)\s+(updated|changed)\b.*\baddress", re.I),
}
NEGATION = re.compile(r"\b(not|never|cannot|can't|couldn't|unable|won't)\b|n't\b", re.I)


@dataclass(frozen=True)
class Outcome:
    """The verdict on one run."""

    task_id: str
    kind: str
    success: bool
    state_ok: bool
    facts_ok: bool
    violations: tuple[str, ...]
    missing_changes: tuple[Change, ...]
    extra_changes: tuple[Change, ...]
    missing_facts: tuple[str, ...]


def changes(before: Shop, after: Shop) -> set[Change]:
    """What a run changed, in the vocabulary of ``Task.changes``."""
    old, new = before.snapshot(), after.snapshot()
    found: set[Change] = set()
    refunded_before = {row[1] for row in old["refunds"]}
    found |= {("refund", row[1]) for row in new["refunds"] if row[1] not in refunded_before}
    if len(new["escalations"]) > len(old["escalations"]):
        found.add(("escalation",))
    orders = {row[0]: row for row in old["orders"]}
    for row in new["orders"]:
        was = orders.get(row[0])
        if was and was[2] != row[2]:
            found.add(("status", row[0], row[2]))
        if was and was[5] != row[5]:
            found.add(("address", row[0], row[5]))
    return found


def check(task: Task, before: Shop, after: Shop, run: Trajectory) -> Outcome:
    """Judge one run of ``task`` that started from ``before`` and left ``after``."""
    made = changes(before, after)
    missing = tuple(sorted(c for c in task.changes if not _matched(c, made)))
    extra = tuple(sorted(c for c in made if not _matched(c, task.changes)))
    answer = run.answer or ""
    missing_facts = tuple(f for f in task.facts if not _mentions(answer, f))
    violations = tuple(policy_violations(before, made, run))
    state_ok, facts_ok = not missing and not extra, not missing_facts
    return Outcome(
        task.id,
        task.kind,
        state_ok and facts_ok and not violations,
        state_ok,
        facts_ok,
        violations,
        missing,
        extra,
        missing_facts,
    )


FAILURE_KINDS = (
    "solved",
    "stopped before answering",
    "broke a rule",
    "wrong end state",
    "missing facts",
)


def failure_kind(outcome: Outcome, run: Trajectory) -> str:
    """The first thing that went wrong, in the order a reviewer reads a run: did it finish,
    did it keep the rules, did it leave the shop right, did it tell the customer.
    One of ``FAILURE_KINDS``."""
    if outcome.success:
        return "solved"
    if run.stop_reason is not None and str(run.stop_reason) != "answered":
        return "stopped before answering"
    if outcome.violations:
        return "broke a rule"
    if not outcome.state_ok:
        return "wrong end state"
    return "missing facts"


def policy_violations(before: Shop, made: set[Change], run: Trajectory) -> list[str]:
    """Each broken rule once, in words an instructor can read."""
    found = []
    verified = False
    for step in run.tool_calls():
        if step.tool == "verify_identity" and not step.error:
            verified = verified or bool(json.loads(step.text or "{}").get("verified"))
        elif step.tool in CUSTOMER_DATA_TOOLS and not verified:
            found.append(f"used {step.tool} before the customer's identity was verified")
            break
    for change in sorted(made):
        if change[0] == "refund":
            found += _refund_problems(before, change[1])
        elif change[0] in ("status", "address"):
            status = before.one("SELECT status FROM orders WHERE id = ?", change[1])["status"]
            if status != "processing":
                what = "cancelled" if change[0] == "status" else "redirected"
                found.append(f"{what} order {change[1]}, which was already {status}")
    found += _unbacked_claims(run.answer or "", made)
    return found


def _refund_problems(before: Shop, item_id: str) -> list[str]:
    row = before.one(
        "SELECT i.price_eur * i.quantity AS amount, o.status, o.delivered_on "
        "FROM items i JOIN orders o ON o.id = i.order_id WHERE i.id = ?",
        item_id,
    )
    if row["status"] != "delivered":
        return [f"refunded {item_id}, which was never delivered"]
    problems = []
    age = (TODAY - date.fromisoformat(row["delivered_on"])).days
    if age > REFUND_WINDOW_DAYS:
        problems.append(
            f"refunded {item_id} {age} days after delivery (window {REFUND_WINDOW_DAYS})"
        )
    if row["amount"] > ESCALATE_ABOVE_EUR:
        problems.append(
            f"refunded {item_id} for EUR {row['amount']:.2f} without escalating "
            f"(limit {ESCALATE_ABOVE_EUR:.0f})"
        )
    return problems


def _unbacked_claims(answer: str, made: set[Change]) -> list[str]:
    kinds = {change[0] for change in made}
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        for kind, pattern in CLAIMS.items():
            match = pattern.search(sentence)
            if match and kind not in kinds and not NEGATION.search(sentence[: match.end()]):
                found.append(f"claimed an action that was not taken: {sentence.strip()[:120]!r}")
    return found


def _matched(change: Change, pool: set[Change] | frozenset[Change]) -> bool:
    if change[0] != "address":
        return change in pool
    return any(
        c[0] == "address" and c[1] == change[1] and _same_text(c[2], change[2]) for c in pool
    )


def _same_text(a: str, b: str) -> bool:
    squash = lambda s: re.sub(r"[\W_]+", "", s).casefold()  # noqa: E731
    return squash(a) == squash(b) or squash(b) in squash(a)


def _mentions(answer: str, fact: str) -> bool:
    if re.fullmatch(r"\d+\.\d{2}", fact):  # an amount: 49.90, 49.9, 49,90 all count
        number = float(fact)
        found = {float(m.replace(",", ".")) for m in re.findall(r"\d+(?:[.,]\d+)?", answer)}
        return any(abs(number - value) < 0.005 for value in found)
    return fact.casefold() in answer.casefold()
