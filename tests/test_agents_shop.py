"""The shop environment: generated tasks, tools over a private database, and the checks that
judge a run by the state it leaves, the facts it tells and the rules it keeps."""

from __future__ import annotations

import json

import pytest
from fakes import ScriptedProvider

from course.agents.shop import (
    KINDS,
    Shop,
    changes,
    generate_tasks,
    run_task,
    shop_tools,
)
from course.llm import Client
from course.llm.providers.base import ProviderReply
from course.llm.types import ToolCall


@pytest.fixture(scope="module")
def task_set():
    return generate_tasks(seed=11, n=60)


def by_kind(task_set, kind):
    return next(t for t in task_set.tasks if t.kind == kind)


def play(task_set, task, turns):
    """Run ``task`` with a scripted model: each turn is (text, [(tool, arguments), ...])."""
    replies = [
        ProviderReply(
            text,
            30,
            10,
            "tool_calls" if calls else "stop",
            "r",
            0.1,
            tool_calls=[
                ToolCall(id=f"t{i}", name=n, arguments=a) for i, (n, a) in enumerate(calls)
            ],
        )
        for text, calls in turns
    ]
    client = Client(
        "sim", "sim-small", provider_impl=ScriptedProvider(replies), traces=False, cache=False
    )
    return run_task(client, task_set, task)


def email_of(task_set, task):
    return task_set.shop.one("SELECT email FROM customers WHERE id = ?", task.customer_id)["email"]


def test_sixty_tasks_cover_every_kind_and_a_seed_gives_the_same_set():
    one, again, other = generate_tasks(5), generate_tasks(5), generate_tasks(6)
    kinds = {t.kind for t in one.tasks}
    assert len(one.tasks) == 60 and len(kinds) == len(KINDS) == 12
    assert [t.goal for t in one.tasks] == [t.goal for t in again.tasks]
    assert one.shop.snapshot() == again.shop.snapshot()
    assert [t.goal for t in one.tasks] != [t.goal for t in other.tasks]
    assert sum(t.hard for t in one.tasks) >= 20


def test_each_run_gets_a_private_shop(task_set):
    task = by_kind(task_set, "refund_in_window")
    before = task_set.shop.snapshot()
    email = email_of(task_set, task)
    item = next(iter(task.changes))[1]
    play(
        task_set,
        task,
        [
            ("", [("verify_identity", {"customer_email": email})]),
            ("", [("refund_item", {"item_id": item, "reason": "broken"})]),
            ("Done.", []),
        ],
    )
    assert task_set.shop.snapshot() == before


def test_a_correct_run_succeeds(task_set):
    task = by_kind(task_set, "refund_in_window")
    item = next(iter(task.changes))[1]
    amount = task_set.shop.one("SELECT price_eur FROM items WHERE id = ?", item)["price_eur"]
    _, outcome = play(
        task_set,
        task,
        [
            ("", [("verify_identity", {"customer_email": email_of(task_set, task)})]),
            ("", [("refund_item", {"item_id": item, "reason": "arrived broken"})]),
            (f"I have refunded {amount:.2f} EUR for the broken item.", []),
        ],
    )
    assert outcome.success, outcome


def test_acting_before_verifying_is_a_violation_even_when_the_state_is_right(task_set):
    task = by_kind(task_set, "refund_in_window")
    item = next(iter(task.changes))[1]
    amount = task_set.shop.one("SELECT price_eur FROM items WHERE id = ?", item)["price_eur"]
    _, outcome = play(
        task_set,
        task,
        [
            ("", [("refund_item", {"item_id": item, "reason": "broken"})]),
            (f"Refunded {amount:.2f}.", []),
        ],
    )
    assert outcome.state_ok and outcome.facts_ok and not outcome.success
    assert any("before the customer's identity" in v for v in outcome.violations)


def test_a_late_or_large_refund_and_cancelling_a_shipped_order_are_violations(task_set):
    late = by_kind(task_set, "refund_too_late")
    order = late.goal.split(" from ")[1].split("?")[0].split(".")[0].strip()
    item = f"{order}-1"
    _, outcome = play(
        task_set,
        late,
        [
            ("", [("verify_identity", {"customer_email": email_of(task_set, late)})]),
            ("", [("refund_item", {"item_id": item, "reason": "unused"})]),
            ("Your refund has been issued.", []),
        ],
    )
    assert not outcome.success and outcome.extra_changes == (("refund", item),)
    assert any("days after delivery" in v for v in outcome.violations)

    shipped = by_kind(task_set, "cancel_shipped")
    order = next(w for w in shipped.goal.replace("?", " ").split() if w.startswith("O-"))
    _, outcome = play(
        task_set,
        shipped,
        [
            ("", [("verify_identity", {"customer_email": email_of(task_set, shipped)})]),
            ("", [("cancel_order", {"order_id": order})]),
            (f"Order {order} has been cancelled.", []),
        ],
    )
    assert any("already shipped" in v for v in outcome.violations)


def test_claiming_an_action_that_was_not_taken_is_caught_and_a_refusal_is_not(task_set):
    late = by_kind(task_set, "refund_too_late")
    verify = ("", [("verify_identity", {"customer_email": email_of(task_set, late)})])
    _, lying = play(task_set, late, [verify, ("Good news: I have refunded the item.", [])])
    assert any("claimed an action" in v for v in lying.violations)
    _, honest = play(
        task_set,
        late,
        [verify, ("Sorry, it was delivered more than 30 days ago, so it cannot be refunded.", [])],
    )
    assert honest.success, honest


def test_the_customer_answers_when_asked(task_set):
    task = by_kind(task_set, "must_ask_identity")
    item = next(iter(task.changes))[1]
    amount = task_set.shop.one("SELECT price_eur FROM items WHERE id = ?", item)["price_eur"]
    run, outcome = play(
        task_set,
        task,
        [
            ("Could you tell me the e-mail address on your account?", []),
            ("", [("verify_identity", {"customer_email": email_of(task_set, task)})]),
            ("", [("refund_item", {"item_id": item, "reason": "faulty"})]),
            (f"Refunded {amount:.2f} EUR.", []),
        ],
    )
    assert outcome.success, outcome
    assert run.model_turns == 4


def test_tools_fail_with_messages_on_what_the_database_cannot_do():
    shop = Shop.generate(1)
    tools = {t.name: t for t in shop_tools(shop)}
    assert tools["get_order"].call({"order_id": "O-99999"}).error == "tool_error"
    verified = json.loads(tools["verify_identity"].call({"customer_email": "x@y.z"}).content)
    assert verified == {"verified": False, "customer_id": None}
    delivered = shop.one(
        "SELECT i.id FROM items i JOIN orders o ON o.id = i.order_id WHERE o.status = 'delivered'"
    )["id"]
    before = shop.copy()
    assert tools["refund_item"].call({"item_id": delivered, "reason": "x"}).ok
    second = tools["refund_item"].call({"item_id": delivered, "reason": "x"})
    assert "refunded already" in second.content
    assert changes(before, shop) == {("refund", delivered)}


def test_failure_kind_names_the_first_thing_a_reviewer_flags(task_set):
    from course.agents.shop import FAILURE_KINDS, failure_kind

    task = by_kind(task_set, "refund_in_window")
    item = next(iter(task.changes))[1]
    amount = task_set.shop.one("SELECT price_eur FROM items WHERE id = ?", item)["price_eur"]
    email = email_of(task_set, task)
    verify = ("", [("verify_identity", {"customer_email": email})])
    refund = ("", [("refund_item", {"item_id": item, "reason": "broken"})])
    cases = {
        "solved": [verify, refund, (f"Refunded {amount:.2f} EUR.", [])],
        "broke a rule": [refund, (f"Refunded {amount:.2f} EUR.", [])],
        "wrong end state": [verify, (f"That item costs {amount:.2f} EUR.", [])],
        "missing facts": [verify, refund, ("All done.", [])],
    }
    for want, turns in cases.items():
        run, outcome = play(task_set, task, turns)
        assert failure_kind(outcome, run) == want, (want, outcome)
    looping = [verify] + [("", [("get_order", {"order_id": item[:7]})])] * 4
    run, outcome = play(task_set, task, looping)
    assert str(run.stop_reason) == "loop_detected"
    assert failure_kind(outcome, run) == "stopped before answering"
    assert set(cases) | {"stopped before answering"} == set(FAILURE_KINDS)


def test_run_tasks_runs_each_task_on_its_own_shop_and_tags_the_feature(tmp_path):
    from course.agents.shop import outcomes_frame, run_tasks
    from course.tracing import TraceStore

    small = generate_tasks(seed=3, n=6)
    before = small.shop.snapshot()
    store = TraceStore(tmp_path / "traces.sqlite")
    client = Client("sim", "sim-small", traces=store, cache=False)
    trajectories, outcomes = run_tasks(client, small, feature="m3-test")
    assert [o.task_id for o in outcomes] == [t.id for t in small.tasks]
    assert len(trajectories) == 6 and small.shop.snapshot() == before
    frame = outcomes_frame(outcomes, trajectories)
    assert list(frame["success"]) == [o.success for o in outcomes]
    assert set(frame["failure"]) <= {
        "solved",
        "stopped before answering",
        "broke a rule",
        "wrong end state",
        "missing facts",
    }
    assert set(store.calls()["feature"]) == {"m3-test"}
    _, only = run_tasks(client, small, small.tasks[:2])
    assert len(only) == 2
