"""The simulator's multi-step tool use (course/sim/skills/agent.py) on the shop tasks: rates in
the documented ranges on a fresh seed, every failure mode observable, every lever moving its
mode the documented way (also in our own words), determinism, and no knowledge of the shop."""

from __future__ import annotations

import collections
import dataclasses
import json
import re
from pathlib import Path

import pytest

from course.agents.shop import POLICY, generate_tasks, run_task
from course.llm import Client
from course.sim import SimRequest, Simulator
from course.sim.skills import agent as sim_agent

SEED = 8128  # not a seed the rates were looked at with (benchmarks use 101-606)
N = 24
NO_POLICY = "You are a helpful customer support agent for an online shop. Use the tools."
# Every rule of the written policy (course/agents/shop/policy.py), in other words.
OWN_WORDS = """\
You look after customers of a small online store; the date today is 2026-11-20.
Always run verify_identity first, before any other tool. If the customer cannot be verified, \
tell them nothing about their orders, change nothing and offer to pass them on to a colleague.
An item may be refunded up to 30 days after it was delivered and not later.
An item that was never delivered cannot be refunded; cancel its order instead while that is \
still processing.
Do not refund an item that was refunded already.
Anything above 150 EUR must not be refunded by you: escalate it and let the customer know.
Only an order that is still processing can be cancelled.
Only an order that is still processing can have its address changed.
If the customer wants to talk to a human, or asks for something these rules do not cover, \
escalate it with a short summary.
Tell the customer what you did, with the numbers (amounts, order and tracking numbers), and \
never say you did something you did not do.
"""


@pytest.fixture(scope="module")
def tags():
    """The simulator's behaviour tags of each run (it says which mistake it made)."""
    seen: set[str] = set()
    original = sim_agent.Agent.next

    def next_(self):
        reply = original(self)
        seen.update(reply.behaviours)
        return reply

    sim_agent.Agent.next = next_
    yield seen
    sim_agent.Agent.next = original


def measure(tags, tier: str, seed: int = SEED, n: int = N, **lever) -> dict:
    client = Client("sim", tier, traces=False, cache=False)
    task_set = generate_tasks(seed, n)
    solved, violated, modes = 0, 0, collections.Counter()
    hard, easy = [], []
    for task in task_set.tasks:
        tags.clear()
        _, outcome = run_task(client, task_set, task, **lever)
        solved += outcome.success
        violated += bool(outcome.violations)
        modes.update(tags)
        (hard if task.hard else easy).append(outcome.success)
    return {
        "solve": solved / n,
        "violations": violated / n,
        "modes": modes,
        "hard": sum(hard) / len(hard),
        "easy": sum(easy) / len(easy),
    }


@pytest.fixture(scope="module")
def default(tags):
    return {tier: measure(tags, tier, n=36) for tier in ("sim-small", "sim-large")}


def test_solve_rates_are_in_the_documented_ranges_and_large_beats_small(default):
    small, large = default["sim-small"]["solve"], default["sim-large"]["solve"]
    assert 0.5 <= large <= 0.9, large
    assert 0.3 <= small <= 0.75, small
    assert large > small
    assert default["sim-large"]["hard"] <= default["sim-large"]["easy"] + 0.15


def test_without_the_policy_in_the_prompt_violations_rise(tags, default):
    bare = measure(tags, "sim-large", system=NO_POLICY)
    assert bare["violations"] >= default["sim-large"]["violations"] + 0.2, bare
    assert bare["solve"] < default["sim-large"]["solve"]


def test_the_policy_in_other_words_also_works(tags):
    """Pooled over three task sets: a rule the model ignores now and then (RATES["ignore_rule"])
    makes one 24-task set too noisy for a 0.2 gap (the written policy itself misses it on about
    one seed in ten). The paraphrase must also keep >= 70% of the written policy's effect."""

    def pooled(system):
        found = [measure(tags, "sim-large", seed=SEED + k, system=system) for k in range(3)]
        return {key: sum(f[key] for f in found) / 3 for key in ("solve", "violations")}

    own, bare, written = pooled(OWN_WORDS), pooled(NO_POLICY), pooled(POLICY)
    assert own["solve"] >= 0.5 and own["violations"] <= bare["violations"] - 0.2, (own, bare)
    effect = bare["violations"] - written["violations"]
    assert bare["violations"] - own["violations"] >= 0.7 * effect, (own, bare, written)


def test_vague_tool_descriptions_lower_the_solve_rate_and_raise_argument_failures(tags, default):
    """With "Helper." for every description the model cannot tell which tool lists an order's
    items, so it asks or invents identifiers (on the shop the wrong-tool tag itself does not
    rise: the tool names alone keep the goal tool apart; see docs/SIMULATOR.md)."""
    vague = measure(
        tags,
        "sim-large",
        n=36,
        edit_tools=lambda tools: [dataclasses.replace(t, description="Helper.") for t in tools],
    )
    assert vague["solve"] < default["sim-large"]["solve"] - 0.2, vague
    assert (
        vague["modes"]["hallucinated_argument"]
        > default["sim-large"]["modes"]["hallucinated_argument"]
    ), vague


def test_temperature_raises_the_failure_modes(tags, default):
    hot = measure(tags, "sim-large", n=36, temperature=1.0)
    cold = default["sim-large"]
    assert sum(hot["modes"].values()) > sum(cold["modes"].values())


def test_every_failure_mode_is_observable(tags):
    seen = collections.Counter()
    for seed in (11, 12, 13):
        seen.update(measure(tags, "sim-small", seed=seed, n=24, temperature=1.0)["modes"])
    for mode in ("wrong_tool", "stopped_early", "looped", "claimed_action"):
        assert seen[mode] > 0, (mode, seen)
    assert seen["wrong_argument"] + seen["hallucinated_argument"] > 0, seen
    assert sum(seen[m] for m in ("error_retry", "error_give_up", "error_ignore")) > 0, seen


def _tool(name, description, properties, required):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


def _desk(order_description: str) -> list[dict]:
    order = {"type": "string", "description": order_description}
    return [
        _tool(
            "lookup_ticket",
            "Open one support ticket: its status, the device and the notes.",
            {"ticket_id": {"type": "string", "description": "a ticket such as TK-1234"}},
            ["ticket_id"],
        ),
        _tool(
            "replace_device",
            "Ship a replacement device for a ticket's order.",
            {
                "order_ref": order,
                "ticket_id": {"type": "string", "description": "a ticket such as TK-1234"},
            },
            ["order_ref", "ticket_id"],
        ),
        _tool(
            "close_ticket",
            "Close a support ticket once it is resolved.",
            {"ticket_id": {"type": "string", "description": "a ticket such as TK-1234"}},
            ["ticket_id"],
        ),
    ]


def _first_calls(tools, seeds, system="", model="sim-small"):
    sim = Simulator()
    out = []
    for seed in seeds:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {
                "role": "user",
                "content": "My tablet from ticket TK-4821 is dead, please send a replacement.",
            }
        ]
        result = sim.complete(SimRequest(model, messages, tools=tools, seed=seed))
        out.append(result)
    return out


def test_a_missing_identifier_is_asked_for_or_invented_and_saying_where_it_comes_from_helps():
    vague = _first_calls(_desk("an order number such as OR-55012"), range(120))
    sourced = _first_calls(
        _desk("the order number, as returned by lookup_ticket (for example OR-55012)"), range(120)
    )

    def invented(results):
        return sum(
            bool(r.tool_calls) and r.tool_calls[0]["function"]["name"] == "replace_device"
            for r in results
        )

    assert invented(vague) > invented(sourced), (invented(vague), invented(sourced))
    assert "hallucinated_argument" in {b for r in vague for b in r.behaviours}


def test_a_stated_check_comes_first_in_our_own_words_too():
    tools = _desk("an order number such as OR-55012")
    system = "Before you replace anything, always open the ticket with lookup_ticket first."
    firsts = [
        r.tool_calls[0]["function"]["name"] if r.tool_calls else None
        for r in _first_calls(tools, range(40), system, "sim-large")
    ]
    assert firsts.count("lookup_ticket") >= 36, collections.Counter(firsts)


def test_the_same_run_gives_the_same_trajectory():
    client = Client("sim", "sim-small", traces=False, cache=False)
    task_set = generate_tasks(SEED, 12)

    def trace(task):
        run, outcome = run_task(client, task_set, task)
        return [
            (s.tool, json.dumps(s.arguments, sort_keys=True), s.text) for s in run.steps
        ], outcome.success

    assert [trace(t) for t in task_set.tasks] == [trace(t) for t in task_set.tasks]


def test_the_simulator_knows_nothing_about_the_shop():
    root = Path(__file__).resolve().parents[1] / "course" / "sim"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:import|from)\s+course\.agents", text), path


# --- Problems found by the notebook author (each reproduced, then fixed) -------------------

CLEARER = {
    "cancel_order": "Cancel a whole order that is still processing, before it ships; nothing is "
    "refunded item by item.",
    "change_address": "Change the delivery address of an order that is still processing "
    "(not yet shipped).",
}


def _clearer(tools):
    return [dataclasses.replace(t, description=CLEARER.get(t.name, t.description)) for t in tools]


def _shop_functions(edit=None):
    from course.agents.shop.tools import shop_tools

    tools = shop_tools(generate_tasks(SEED, 1).shop.copy())
    return [t.spec()["function"] for t in (edit(tools) if edit else tools)]


def test_a_negated_mention_in_a_description_counts_against_the_tool():
    """'nothing is refunded' must not pull refund requests to cancel_order."""
    functions = _shop_functions(_clearer)
    names = [f["name"] for f in functions]
    for goal in (
        "Please refund the desk lamp in O-50123, it arrived broken.",
        "The kettle from order O-50999 stopped working. I'd like my money back.",
        "I never used the lamp from O-50001. Can I still get a refund?",
    ):
        scores = sim_agent.goal_scores(goal, functions)
        assert names[max(range(len(names)), key=scores.__getitem__)] == "refund_item", goal


def test_clearer_descriptions_do_not_lower_the_solve_rate(tags):
    for tier in ("sim-small", "sim-large"):
        base = measure(tags, tier, seed=9091, n=36)
        clear = measure(tags, tier, seed=9091, n=36, edit_tools=_clearer)
        assert clear["solve"] >= base["solve"] - 0.1, (tier, base["solve"], clear["solve"])
        assert clear["violations"] <= base["violations"] + 0.1, (tier, clear)


def test_a_figure_of_speech_is_read_by_its_meaning_not_its_verb():
    """'I changed my mind' asks for nothing to be changed: the goal is the action asked for."""
    functions = _shop_functions()
    names = [f["name"] for f in functions]
    for goal in (
        "I changed my mind about O-50103, it hasn't even shipped. Just cancel it and give me "
        "the money back.",
        "I have changed my mind, please cancel O-50777.",
    ):
        scores = sim_agent.goal_scores(goal, functions)
        assert names[max(range(len(names)), key=scores.__getitem__)] == "cancel_order", goal


def test_an_alternative_after_a_semicolon_belongs_to_the_rule_before_it():
    """'... cannot be refunded; cancel the order instead' reads like the written policy's
    '... cannot be refunded (cancel the order instead ...)': cancel_order is the alternative."""
    functions = _shop_functions()
    for system in (
        "Goods that never got delivered cannot be refunded; cancel the order instead.",
        "An item that has not been delivered cannot be refunded (cancel the order instead).",
    ):
        (rule,) = [r for r in sim_agent.read_rules(system, functions) if r.kind == "state"]
        assert rule.subject == ["refund_item"] and "cancel_order" in rule.tools, rule
        assert not rule.sentence.endswith(";"), rule.sentence


def test_a_question_about_one_order_goes_to_the_single_order_tool():
    functions = _shop_functions()
    names = [f["name"] for f in functions]
    for goal in (
        "Where is my order O-50114?",
        "Has O-50102 been sent yet? I need a tracking number.",
        "Where's order O-1234 now?",
    ):
        scores = sim_agent.goal_scores(goal, functions)
        ranked = sorted(range(len(names)), key=lambda i: -scores[i])
        assert names[ranked[0]] == "get_order", (goal, [names[i] for i in ranked])


def test_an_address_argument_is_an_address_span_or_the_model_asks():
    assert (
        sim_agent.address_span("Please send O-50108 to Hauptstraße 13, 28987 instead.")
        == "Hauptstraße 13, 28987"
    )
    assert (
        sim_agent.address_span("Can you redirect O-1 to my office at Mill Lane 4?") == "Mill Lane 4"
    )
    assert (
        sim_agent.address_span(
            "My email is a@b.example. I changed my mind about O-50106, "
            "it hasn't even shipped. Just cancel it."
        )
        is None
    )
    client = Client("sim", "sim-small", traces=False, cache=False)
    for seed in (9091, 9092):
        task_set = generate_tasks(seed, 36)
        for task in task_set.tasks:
            run, _ = run_task(client, task_set, task, temperature=1.0)
            for step in run.steps:
                if step.tool == "change_address" and "new_address" in step.arguments:
                    value = step.arguments["new_address"]
                    assert len(value.split()) <= 12 and re.search(r"\d", value), value
                    assert "@" not in value and "changed my mind" not in value, value


def test_the_final_reply_is_plain_words_not_raw_tool_output():
    client = Client("sim", "sim-large", traces=False, cache=False)
    task_set = generate_tasks(9093, 24)
    for task in task_set.tasks:
        run, outcome = run_task(client, task_set, task)
        answer = run.answer or ""
        assert not re.search(r"\b\w+(?:\.\w+)+: ", answer), answer  # "items.refunded: 0"
        assert not re.search(
            r"\b(?:verify_identity|get_order|refund_item|list_orders): ", answer
        ), answer
        assert "ShopError" not in answer, answer
        if task.kind == "refund_in_window" and outcome.success:
            assert re.search(r"I refunded item \S+ \(amount \d+\.\d{2} EUR\)", answer), answer


def test_hard_tasks_are_solved_less_often_than_easy_ones(tags):
    """Pooled over fresh seeds on both tiers (a single 36-task set is too noisy)."""
    hard, easy = [], []
    for tier in ("sim-small", "sim-large"):
        for seed in (7001, 7002):
            found = measure(tags, tier, seed=seed, n=36)
            hard.append(found["hard"])
            easy.append(found["easy"])
    assert sum(hard) / len(hard) < sum(easy) / len(easy), (hard, easy)


def test_the_agent_skill_uses_only_public_helpers_of_the_tools_skill():
    source = Path(sim_agent.__file__).read_text(encoding="utf-8")
    assert not re.search(r"\bsingle\._", source)
