"""course.agents: tools from typed functions, the loop's stop reasons, idempotency, traces.

The tools here belong to a made-up library lending desk, not to the course's shop: the library
must work for tools nobody wrote it around.
"""

from __future__ import annotations

import html
from typing import Annotated, Literal

import pytest
from fakes import ScriptedProvider
from pydantic import Field

from course.agents import Agent, AgentBudget, StopReason, Tool, ToolBox, tool, trajectories_frame
from course.llm import Client
from course.llm.errors import BadRequest
from course.llm.providers.base import ProviderReply
from course.llm.types import ToolCall
from course.tracing import TraceStore

RENEWALS: list[str] = []


@tool
def find_book(
    title: Annotated[str, Field(description="words from the book's title")],
    branch: Literal["central", "harbour", "hill"] = "central",
) -> dict:
    """Look a book up in the catalogue: whether a copy is on the shelf at a branch."""
    if "<" in title:
        return {"title": title, "note": "<script>alert(1)</script>"}
    return {"title": title.title(), "branch": branch, "on_shelf": len(title) % 2 == 0}


@tool(side_effect=True)
def renew_loan(card_number: str, weeks: int = 2) -> str:
    """Extend a member's loan by some weeks. Changes the member's record."""
    RENEWALS.append(card_number)
    return f"renewed {card_number} for {weeks} weeks"


@tool
def count_fines(card_number: str) -> float:
    """The fines a member owes, in euros."""
    raise ConnectionError("fines database unreachable")


def scripted(*turns) -> ScriptedProvider:
    """Replies from (text, [(tool, arguments), ...]) pairs."""
    replies = []
    for turn in turns:
        if isinstance(turn, Exception):
            replies.append(turn)
            continue
        text, calls = turn
        tool_calls = [
            ToolCall(id=f"c{i}-{name}", name=name, arguments=args)
            for i, (name, args) in enumerate(calls)
        ]
        replies.append(
            ProviderReply(
                text, 40, 10, "tool_calls" if calls else "stop", "r", 0.2, tool_calls=tool_calls
            )
        )
    return ScriptedProvider(replies)


def agent_on(provider, tmp_path, budget=None, tools=(find_book, renew_loan, count_fines)):
    client = Client(
        "sim",
        "sim-small",
        provider_impl=provider,
        cache=False,
        traces=TraceStore(tmp_path / "traces.sqlite"),
    )
    return Agent(client, list(tools), system="You help library members.", budget=budget)


def test_the_schema_comes_from_the_signature_and_docstring():
    spec = find_book.spec()["function"]
    assert spec["name"] == "find_book" and spec["description"].startswith("Look a book up")
    params = spec["parameters"]
    assert params["required"] == ["title"]
    assert params["properties"]["title"]["description"] == "words from the book's title"
    assert params["properties"]["branch"]["enum"] == ["central", "harbour", "hill"]
    assert params["additionalProperties"] is False


def test_a_function_without_hints_or_docstring_is_refused_with_the_reason():
    def no_hint(x):
        """Doc."""

    def no_doc(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="type hint"):
        Tool.from_function(no_hint)
    with pytest.raises(TypeError, match="docstring"):
        Tool.from_function(no_doc)


@pytest.mark.parametrize(
    ("name", "arguments", "error", "says"),
    [
        ("find_book", {}, "invalid_arguments", "title"),
        ("find_book", {"title": "Dune", "branch": "moon"}, "invalid_arguments", "branch"),
        ("find_book", {"title": "Dune", "isbn": "123"}, "invalid_arguments", "isbn"),
        ("renew_loan", {"card_number": "77", "weeks": "many"}, "invalid_arguments", "weeks"),
        ("count_fines", {"card_number": "77"}, "tool_error", "unreachable"),
        ("reserve_room", {"room": "A"}, "unknown_tool", "find_book"),
    ],
)
def test_every_kind_of_bad_call_becomes_a_message_for_the_model(name, arguments, error, says):
    result, _ = ToolBox([find_book, renew_loan, count_fines]).run(name, arguments, "t1")
    assert result.error == error and says in result.content


def test_a_repeated_side_effect_runs_once_and_is_replayed(tmp_path):
    RENEWALS.clear()
    renew = ("renew_loan", {"card_number": "4410", "weeks": 3})
    provider = scripted(("", [renew]), ("", [renew]), ("Renewed for three weeks.", []))
    run = agent_on(provider, tmp_path).run("Please renew my loan, card 4410, three weeks")
    assert run.stop_reason is StopReason.ANSWERED and run.answer == "Renewed for three weeks."
    assert RENEWALS == ["4410"], "a retried side effect must not run twice"
    first, second = run.tool_calls()
    assert not first.replayed and second.replayed
    assert first.idempotency_key == second.idempotency_key
    again = agent_on(scripted(("", [renew]), ("done", [])), tmp_path).run("renew again")
    assert RENEWALS == ["4410", "4410"]  # a new run is a new request
    assert again.tool_calls()[0].idempotency_key != first.idempotency_key


def test_the_same_call_again_and_again_stops_as_a_loop(tmp_path):
    look = ("find_book", {"title": "Solaris"})
    provider = scripted(*[("", [look])] * 5)
    run = agent_on(provider, tmp_path).run("Is Solaris in?")
    assert run.stop_reason is StopReason.LOOP and len(run.tool_calls()) == 3


def test_tool_errors_in_a_row_stop_the_run(tmp_path):
    fines = ("count_fines", {"card_number": "9"})
    provider = scripted(
        ("", [fines]),
        ("", [("count_fines", {"card_number": "10"})]),
        ("", [("count_fines", {"card_number": "11"})]),
        ("never", []),
    )
    run = agent_on(provider, tmp_path).run("What do I owe?")
    assert run.stop_reason is StopReason.TOOL_ERRORS
    assert all(step.error == "tool_error" for step in run.tool_calls())


def test_a_budget_stops_the_run_and_says_which_limit(tmp_path):
    provider = scripted(*[("", [("find_book", {"title": f"Book {i}"})]) for i in range(6)])
    run = agent_on(provider, tmp_path, budget=AgentBudget(max_model_turns=2)).run("Browse")
    assert run.stop_reason is StopReason.BUDGET and "model turns" in run.stop_detail
    assert run.model_turns == 2


def test_refusals_and_failed_model_calls_end_the_run_without_raising(tmp_path):
    refusal = ProviderReply(None, 5, 5, "stop", "r", 0.1, refusal="I can't help with that.")
    run = agent_on(ScriptedProvider([refusal]), tmp_path).run("Delete all members")
    assert run.stop_reason is StopReason.REFUSED
    run = agent_on(ScriptedProvider([BadRequest("400: bad tool schema")]), tmp_path).run("Hi")
    assert run.stop_reason is StopReason.MODEL_ERROR and "BadRequest" in run.stop_detail


def test_follow_up_user_turns_continue_the_conversation(tmp_path):
    provider = scripted(
        ("Which card number?", []), ("", [("renew_loan", {"card_number": "12"})]), ("Done.", [])
    )
    answers = iter(["It's 12."])
    run = agent_on(provider, tmp_path).run(
        "Renew my loan", user=lambda messages: next(answers, None)
    )
    assert run.stop_reason is StopReason.ANSWERED and run.answer == "Done."
    sent = provider.requests[1].messages
    assert [m.role for m in sent][-2:] == ["assistant", "user"] and sent[-1].content == "It's 12."


def test_every_step_lands_in_the_trace_store_under_the_trajectory(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBRARY_API_TOKEN", "tok-very-secret-123")
    look = ("find_book", {"title": "tok-very-secret-123"})
    run = agent_on(scripted(("", [look]), ("It is on the shelf.", [])), tmp_path).run("Find it")
    store = TraceStore(tmp_path / "traces.sqlite")
    calls = store.calls()
    assert list(calls["trajectory_id"]) == [run.id, run.id]
    tools = store.tool_calls(run.id)
    assert list(tools["tool"]) == ["find_book"] and list(tools["step"]) == [1]
    assert "tok-very-secret-123" not in tools["arguments_json"].iloc[0]


def test_a_trajectory_reads_as_escaped_html_and_as_tables(tmp_path):
    look = ("find_book", {"title": "<b>"})
    run = agent_on(scripted(("", [look]), ("Found <it>.", [])), tmp_path).run("Find <b>")
    page = run._repr_html_()
    assert "<script>" not in page and html.escape("<script>") in page
    assert "answered" in page and "find_book" in page
    steps = run.to_frame()
    assert list(steps["kind"]) == ["model", "tool", "model"]
    table = trajectories_frame([run, run])
    assert list(table["stop_reason"]) == ["answered", "answered"]
    assert table["tool_calls"].tolist() == [1, 1]


@tool
def weather_today(city: str) -> dict:
    """Weather for a city for the rest of today: chance of rain and the high temperature."""
    return {"city": city, "rain_chance": 0.7, "high_c": 17}


@tool
def next_departures(stop_name: str) -> list:
    """The next buses and trams leaving from a public transport stop."""
    return [{"line": "28", "in_minutes": 4}]


@tool(side_effect=True)
def book_table(restaurant: str, people: int) -> str:
    """Reserve a table at a restaurant for a number of people tonight."""
    return f"booked {restaurant} for {people}"


CITY_TOOLS = [weather_today, next_departures, book_table]
CITY_GOALS = {
    "Should I take an umbrella in Porto this afternoon?": ("weather_today", {"city": "Porto"}),
    "When does the next tram leave from Praça da Figueira?": (
        "next_departures",
        {"stop_name": "Praça da Figueira"},
    ),
    "Get the three of us a table at Cervejaria Ramiro tonight": (
        "book_table",
        {"restaurant": "Cervejaria Ramiro", "people": 3},
    ),
}


def first_calls(client: Client) -> dict[str, tuple]:
    agent = Agent(client, CITY_TOOLS)
    runs = {goal: agent.run(goal) for goal in CITY_GOALS}
    assert all(run.stop_reason is StopReason.ANSWERED for run in runs.values())
    return {
        goal: (run.tool_calls()[0].tool, run.tool_calls()[0].arguments)
        if run.tool_calls()
        else None
        for goal, run in runs.items()
    }


def test_the_simulator_drives_the_loop_with_the_right_tools():
    calls = first_calls(Client("sim", "sim-large", traces=False, cache=False))
    assert {goal: call[0] for goal, call in calls.items()} == {
        goal: want[0] for goal, want in CITY_GOALS.items()
    }
    # Arguments are the simulator's reading (it may misread, as small models do); the plainly
    # written ones must come through.
    assert calls["Should I take an umbrella in Porto this afternoon?"][1] == {"city": "Porto"}
    assert calls["When does the next tram leave from Praça da Figueira?"][1] == {
        "stop_name": "Praça da Figueira"
    }


def test_the_same_runs_go_through_the_official_openai_sdk(monkeypatch):
    from course.sim.server import serve_in_thread

    in_process = first_calls(Client("sim", "sim-large", traces=False, cache=False))
    with serve_in_thread() as server:
        monkeypatch.setenv("COURSE_BASE_URL", server.base_url)
        over_http = first_calls(Client("openai", "sim-large", traces=False, cache=False))
    assert over_http == in_process
