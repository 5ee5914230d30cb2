"""Tool choice by meaning: the simulator picks the tool a request needs, fills its arguments,
and calls none for small talk. Requests and tools here are written for this test, in words the
simulator's code does not contain.

Run as a script for the accuracy table: `.venv/bin/python tests/test_sim_tools.py`.
"""

from __future__ import annotations

import importlib
import json

import pytest

from course.sim.engine import SimRequest, Simulator

tools_module = importlib.import_module("course.sim.skills.tools")


def _tool(name: str, description: str, properties: dict, required: list[str] | None = None):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": list(properties) if required is None else required,
            },
        },
    }


def _s(description: str) -> dict:
    return {"type": "string", "description": description}


TRAVEL = [
    _tool(
        "weather_forecast",
        "Tells you the weather expected in a town or city: sunshine, showers, heat or frost.",
        {"location": _s("The city, for example Porto"), "day": _s("Which day, ISO date")},
        ["location"],
    ),
    _tool(
        "parcel_status",
        "Looks up a shipment with the courier and reports where the package is and its ETA.",
        {"tracking_code": _s("The courier's tracking code, like 9400111899223")},
    ),
    _tool(
        "exchange_money",
        "Works out what a sum of money is worth in a different currency using live rates.",
        {
            "amount": {"type": "number", "description": "How much money to convert"},
            "source": _s("Currency code of the money you have, e.g. GBP"),
            "target": _s("Currency code you want, e.g. JPY"),
        },
    ),
    _tool(
        "reserve_hotel",
        "Books a hotel room in a city for given check-in and check-out dates.",
        {
            "city": _s("Where the hotel is"),
            "check_in": _s("Arrival date"),
            "nights": {"type": "integer", "description": "How many nights"},
        },
    ),
    _tool(
        "flight_status",
        "Reports whether a flight is on time, delayed or cancelled, and its gate.",
        {"flight_number": _s("Airline flight number such as BA117")},
    ),
    _tool(
        "send_message",
        "Sends a text message (SMS) to a phone number.",
        {"phone": _s("Recipient phone number"), "text": _s("What the message says")},
    ),
]

OFFICE = [
    _tool(
        "add_calendar_entry",
        "Puts an appointment or meeting into the user's diary at a date and time.",
        {"title": _s("Short name of the appointment"), "when": _s("Date and time it starts")},
    ),
    _tool(
        "staff_directory",
        "Finds a colleague in the company directory: their team, desk, phone and manager.",
        {"person": _s("Full name of the employee")},
    ),
    _tool(
        "open_it_ticket",
        "Files a request with the IT helpdesk about broken hardware, software or access.",
        {"problem": _s("Description of what is wrong")},
    ),
    _tool(
        "share_price",
        "Gives the latest stock market quote for a listed company.",
        {"symbol": _s("Exchange ticker, for instance MSFT")},
    ),
    _tool(
        "translate",
        "Renders a sentence or paragraph in another human language.",
        {"text": _s("The words to translate"), "language": _s("Language to produce")},
    ),
]

# (tool set, request, the tool it needs or None for no call)
REQUESTS = [
    ("travel", "My parcel 9400111899223 still hasn't arrived, where is it?", "parcel_status"),
    ("travel", "When does the courier deliver shipment RR123456789GB?", "parcel_status"),
    ("travel", "Is it going to rain in Edinburgh tomorrow?", "weather_forecast"),
    ("travel", "Should I pack a coat for Vienna this weekend?", "weather_forecast"),
    ("travel", "How much is 300 pounds in Swiss francs?", "exchange_money"),
    ("travel", "What would $45 be in euros today?", "exchange_money"),
    ("travel", "Book me a room in Prague from 12 May 2025 for 3 nights", "reserve_hotel"),
    ("travel", "I need a hotel in Seville for two nights starting Friday", "reserve_hotel"),
    ("travel", "Is BA117 delayed?", "flight_status"),
    ("travel", "Which gate does flight LH2031 leave from?", "flight_status"),
    ("travel", "Text +44 7700 900123 that I'm running late", "send_message"),
    ("travel", "Good evening! How's your day going?", None),
    ("travel", "Cheers, that's everything, thank you", None),
    ("office", "Add a dentist visit on 2 June 2025 at 9am to my diary", "add_calendar_entry"),
    ("office", "Set up a meeting with the design team next Thursday at 3pm", "add_calendar_entry"),
    ("office", "Who is Priya Raman's manager?", "staff_directory"),
    ("office", "Which team does Tomasz Nowak work in?", "staff_directory"),
    ("office", "My laptop screen went black and won't turn on", "open_it_ticket"),
    ("office", "I can't log in to the VPN, please raise it with IT", "open_it_ticket"),
    ("office", "What is NVDA trading at right now?", "share_price"),
    ("office", "How did Siemens shares do today? SIE", "share_price"),
    ("office", "How would I write 'see you soon' in German?", "translate"),
    ("office", "Put this into Portuguese: the office is closed on Monday", "translate"),
    ("office", "Tell me something funny", None),
]
SETS = {"travel": TRAVEL, "office": OFFICE}
SEEDS = (0, 1, 2)


def _call(model: str, text: str, tools: list[dict], seed: int = 0, temperature: float = 0.0):
    messages = [{"role": "user", "content": text}]
    return Simulator().complete(SimRequest(model, messages, temperature, seed, tools=tools))


def _name(result) -> str | None:
    return result.tool_calls[0]["function"]["name"] if result.tool_calls else None


def accuracy(model: str, tool_sets: dict[str, list[dict]] = SETS, requests=REQUESTS) -> float:
    """Share of (request, seed) pairs answered with the right tool (or no call when none fits)."""
    right = total = 0
    for set_name, text, expected in requests:
        for seed in SEEDS:
            right += _name(_call(model, text, tool_sets[set_name], seed)) == expected
            total += 1
    return right / total


def _vague(tools: list[dict], description: str | None) -> list[dict]:
    """The same tools with a description that says nothing (or none) and bare parameters."""
    out = []
    for tool in tools:
        function = json.loads(json.dumps(tool["function"]))
        if description is None:
            function.pop("description", None)
        else:
            function["description"] = description
        for schema in function["parameters"]["properties"].values():
            schema.pop("description", None)
        out.append({"type": "function", "function": function})
    return out


def test_the_evidence_ranks_the_needed_tool_first() -> None:
    """Before any noise: the needed tool has the most evidence (or no tool clears the bar)."""
    wrong = []
    for set_name, text, expected in REQUESTS:
        functions = [t["function"] for t in SETS[set_name]]
        index, _, _ = tools_module.choose(text, functions)
        got = None if index is None else functions[index]["name"]
        if got != expected:
            wrong.append((text, expected, got))
    assert len(wrong) <= 2, wrong


@pytest.mark.parametrize(("model", "bar"), [("sim-large", 0.85), ("sim-small", 0.70)])
def test_tool_choice_accuracy_meets_the_bar(model: str, bar: float) -> None:
    assert accuracy(model) >= bar


def test_large_beats_small_and_vague_descriptions_hurt() -> None:
    large, small = accuracy("sim-large"), accuracy("sim-small")
    assert large > small
    vague = {name: _vague(tools, "Helper.") for name, tools in SETS.items()}
    bare = {name: _vague(tools, None) for name, tools in SETS.items()}
    assert accuracy("sim-small", vague) <= small - 0.1
    assert accuracy("sim-small", bare) <= small - 0.1


def test_a_code_is_a_tracking_code_not_a_currency() -> None:
    result = _call("sim-large", "When will the box with code LX887766 get here?", TRAVEL)
    assert _name(result) == "parcel_status"
    assert json.loads(result.tool_calls[0]["function"]["arguments"]) == {
        "tracking_code": "LX887766"
    }


def test_an_umbrella_question_is_about_the_weather() -> None:
    result = _call("sim-large", "Do I need an umbrella in Lisbon this afternoon?", TRAVEL)
    assert _name(result) == "weather_forecast"
    assert json.loads(result.tool_calls[0]["function"]["arguments"]) == {"location": "Lisbon"}


def test_arguments_are_read_from_the_request() -> None:
    money = _call("sim-large", "How much is 300 pounds in Swiss francs? Use CHF.", TRAVEL)
    assert json.loads(money.tool_calls[0]["function"]["arguments"])["amount"] == 300
    flight = _call("sim-large", "Is BA117 delayed?", TRAVEL)
    assert json.loads(flight.tool_calls[0]["function"]["arguments"]) == {"flight_number": "BA117"}


@pytest.mark.parametrize("text", ["hello!", "thanks a lot", "ok", "", "   ", "🙂", "?!?"])
def test_small_talk_and_empty_input_call_no_tool(text: str) -> None:
    result = _call("sim-small", text, TRAVEL)
    assert result.tool_calls == [] and result.finish_reason == "stop"


def test_tools_without_parameters_or_descriptions_do_not_crash() -> None:
    odd = [
        {"type": "function", "function": {"name": "ping"}},
        {"type": "function", "function": {"name": "x", "parameters": {}}},
        {"type": "function", "function": {"name": "get_time", "description": ""}},
    ]
    for text in ["ping the server", "what time is it", "Zzz"]:
        result = _call("sim-small", text, odd)
        assert result.finish_reason in ("stop", "tool_calls")
        for call in result.tool_calls:
            assert isinstance(json.loads(call["function"]["arguments"]), dict)


def test_errors_concentrate_where_the_margin_is_small() -> None:
    """A request with a clear winner rarely flips, even on sim-small at temperature 1."""
    flips = 0
    for seed in range(40):
        result = _call("sim-small", "Track parcel 9400111899223 with the courier", TRAVEL, seed, 1)
        flips += _name(result) != "parcel_status"
    assert flips <= 4


def test_a_two_step_request_is_served_one_call_per_turn() -> None:
    sim = Simulator()
    text = "Convert 200 USD to EUR. Then tell me the weather in Rome."
    messages: list[dict] = [{"role": "user", "content": text}]
    first = sim.complete(SimRequest("sim-large", messages, tools=TRAVEL))
    assert _name(first) == "exchange_money"
    messages += [
        {"role": "assistant", "content": None, "tool_calls": first.tool_calls},
        {"role": "tool", "tool_call_id": first.tool_calls[0]["id"], "content": '{"eur": 184.2}'},
    ]
    second = sim.complete(SimRequest("sim-large", messages, tools=TRAVEL))
    assert _name(second) == "weather_forecast"
    assert json.loads(second.tool_calls[0]["function"]["arguments"]) == {"location": "Rome"}
    messages += [
        {"role": "assistant", "content": None, "tool_calls": second.tool_calls},
        {"role": "tool", "tool_call_id": second.tool_calls[0]["id"], "content": "sunny, 24C"},
    ]
    final = sim.complete(SimRequest("sim-large", messages, tools=TRAVEL))
    assert final.tool_calls == [] and final.finish_reason == "stop"
    assert "exchange_money" in final.content and "184.2" in final.content
    assert "weather_forecast" in final.content and "sunny" in final.content


def test_a_missing_value_is_taken_from_an_earlier_tool_result() -> None:
    text = "Find out what 50 GBP is in EUR and then text the result to +44 7700 900123"
    messages: list[dict] = [{"role": "user", "content": text}]
    first = Simulator().complete(SimRequest("sim-large", messages, tools=TRAVEL))
    assert _name(first) == "exchange_money"
    messages += [
        {"role": "assistant", "content": None, "tool_calls": first.tool_calls},
        {"role": "tool", "tool_call_id": first.tool_calls[0]["id"], "content": "58.10 EUR"},
    ]
    second = Simulator().complete(SimRequest("sim-large", messages, tools=TRAVEL))
    assert _name(second) == "send_message"
    assert json.loads(second.tool_calls[0]["function"]["arguments"])["phone"] == "+44 7700 900123"


def test_the_same_request_gives_the_same_call() -> None:
    a = _call("sim-small", "Is it going to rain in Edinburgh tomorrow?", TRAVEL, seed=3)
    b = _call("sim-small", "Is it going to rain in Edinburgh tomorrow?", TRAVEL, seed=3)
    assert a.tool_calls == b.tool_calls


if __name__ == "__main__":
    print("| tools | sim-small | sim-large |\n|---|---|---|")
    variants = {
        "clear descriptions": SETS,
        'vague ("Helper.")': {k: _vague(v, "Helper.") for k, v in SETS.items()},
        "no descriptions": {k: _vague(v, None) for k, v in SETS.items()},
    }
    for label, sets in variants.items():
        small, large = accuracy("sim-small", sets), accuracy("sim-large", sets)
        print(f"| {label} | {small:.3f} | {large:.3f} |")


def test_odd_schemas_and_inputs_still_give_json_arguments() -> None:
    """Arrays, nested objects, enums, self-referencing $refs, duplicate and huge tools, 48
    look-alike tools, control characters and a 4,000-character request: no crash, JSON out."""
    odd = [
        _tool(
            "search_shop",
            "Search products by tags",
            {
                "tags": {"type": "array", "items": {"type": "string"}},
                "filters": {"type": "object", "properties": {"max_price": {"type": "number"}}},
                "sort": {"type": "string", "enum": ["price", "rating"]},
                "in_stock": {"type": "boolean"},
            },
        ),
        {"type": "function", "function": {"name": "n" * 60, "description": "x" * 3000}},
        _tool("same_a", "Get the weather for a city.", {"city": {"type": "string"}}),
        _tool("same_b", "Get the weather for a city.", {"city": {"type": "string"}}),
        {
            "type": "function",
            "function": {
                "name": "loop",
                "parameters": {
                    "type": "object",
                    "$defs": {"X": {"type": "object", "properties": {"y": {"$ref": "#/$defs/X"}}}},
                    "properties": {"x": {"$ref": "#/$defs/X"}},
                    "required": ["x"],
                },
            },
        },
    ]
    topics = ["cats", "dogs", "rain", "money", "trains", "code", "music", "books"] * 6
    many = [_tool(f"tool_{i}", f"Does task {i} about {w}", {"q": _s("query")}) for i, w in
            enumerate(topics)]  # fmt: skip
    texts = ["Red shoes under $50 sorted by price, in stock only", "weather in Paris", "",
             "\u0000\u202e", "a " * 2000, "Convert. Then. Also. After that."]  # fmt: skip
    for tools in (odd, many):
        for text in texts:
            for model in ("sim-small", "sim-large"):
                result = _call(model, text, tools, seed=1, temperature=0.7)
                for call in result.tool_calls:
                    assert isinstance(json.loads(call["function"]["arguments"]), dict)
    shoes = _call("sim-large", texts[0], odd)
    assert _name(shoes) == "search_shop"
    assert json.loads(shoes.tool_calls[0]["function"]["arguments"])["sort"] == "price"


def test_a_tool_schema_edited_in_place_is_read_again() -> None:
    """Learners edit their tool list between calls; the simulator must not keep the old one."""
    tools = json.loads(json.dumps(TRAVEL))
    assert _name(_call("sim-large", "Is BA117 delayed?", tools)) == "flight_status"
    tools[4]["function"]["name"] = "check_flight"
    assert _name(_call("sim-large", "Is BA117 delayed?", tools)) == "check_flight"
