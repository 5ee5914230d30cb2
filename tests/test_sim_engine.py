"""The simulator's contract: determinism, trials, usage, limits, and each skill's error model."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from course.errors import ConfigurationError
from course.models import catalog
from course.sim import SimRequest, Simulator
from course.sim.reading.prompt import label_spec
from course.tokens import count_tokens

LABELS = ["billing", "shipping", "account", "technical"]
VOCAB_TEXT = {
    "billing": "invoice charge refund payment card bill price subscription",
    "shipping": "package delivery courier tracking parcel shipment arrive warehouse",
    "account": "password login username profile locked verify reset sign",
    "technical": "crash error screen app freeze update install slow",
}
VOCAB = {label: text.split() for label, text in VOCAB_TEXT.items()}
FILLER_TEXT = "hi hello today again really help need thanks week please yesterday urgent"
FILLER = FILLER_TEXT.split()


def ask(text: str, model: str = "sim-small", **kw: object) -> SimRequest:
    return SimRequest(model=model, messages=[{"role": "user", "content": text}], **kw)


def synthetic_tickets(n: int, seed: int) -> list[tuple[str, str]]:
    """Tickets with two words of their own label and, half the time, one of another label."""
    rng = random.Random(seed)
    items = []
    for _ in range(n):
        label = rng.choice(LABELS)
        words = rng.sample(VOCAB[label], 2) + rng.sample(FILLER, 3)
        if rng.random() < 0.5:
            words.append(rng.choice(VOCAB[rng.choice([x for x in LABELS if x != label])]))
        rng.shuffle(words)
        items.append((" ".join(words), label))
    return items


def classify_prompt(definitions: bool, examples: bool) -> str:
    lines = ["Classify the support ticket. Labels: " + ", ".join(LABELS)]
    if definitions:  # each definition names half of the label's vocabulary
        lines += [f"- {label}: {', '.join(VOCAB[label][:4])}" for label in LABELS]
    if examples:  # two per label, from a different seed than the items under test
        pool = synthetic_tickets(100, seed=999)
        for label in LABELS:
            for text, _ in [item for item in pool if item[1] == label][:2]:
                lines += [f"Text: {text}", f"Label: {label}"]
    return "\n".join(lines)


def error_rate(model: str, prompt: str, items: list[tuple[str, str]]) -> float:
    sim = Simulator()
    wrong = 0
    for text, label in items:
        messages = [{"role": "system", "content": prompt}, {"role": "user", "content": text}]
        result = sim.complete(SimRequest(model=model, messages=messages))
        assert result.skill == "classify"
        wrong += result.content != label
    return wrong / len(items)


# --- determinism -------------------------------------------------------------------------------


def test_same_request_gives_same_response_in_one_and_two_simulators() -> None:
    request = ask("Hello, what can you do for a backend engineer?")
    first, second = Simulator(), Simulator()
    a, b, c = first.complete(request), first.complete(request), second.complete(request)
    for other in (b, c):
        assert (other.content, other.output_tokens, other.latency_s) == (
            a.content,
            a.output_tokens,
            a.latency_s,
        )
    assert a.request_id != b.request_id  # unique per call...
    assert a.request_id == c.request_id  # ...and reproducible


def test_same_request_same_answer_in_another_process() -> None:
    prompt = "Labels: billing, shipping, account, technical"
    code = (
        "from course.sim import Simulator, SimRequest\n"
        "r = Simulator().complete(SimRequest(model='sim-small', temperature=0.7, messages=["
        f"{{'role': 'system', 'content': {prompt!r}}},"
        "{'role': 'user', 'content': 'parcel courier late again'}]))\n"
        "print(r.content, r.request_id, repr(r.latency_s))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    here = Simulator().complete(
        SimRequest(
            model="sim-small",
            temperature=0.7,
            messages=[
                {"role": "system", "content": prompt},
                {"role": "user", "content": "parcel courier late again"},
            ],
        )
    )
    assert out == [here.content, here.request_id, repr(here.latency_s)]


def test_temperature_trials_differ_and_replay_in_a_fresh_simulator() -> None:
    # Nothing in the text points at any label, so the margin is small and hot trials often flip.
    messages = [
        {"role": "system", "content": "Labels: alpha, beta, gamma, delta, epsilon"},
        {"role": "user", "content": "nothing in common with any of them"},
    ]
    hot = SimRequest(model="sim-small", messages=messages, temperature=1.0)
    sim, fresh = Simulator(), Simulator()
    run = [sim.complete(hot).content for _ in range(30)]
    replay = [fresh.complete(hot).content for _ in range(30)]
    assert len(set(run)) >= 2  # the trials differ...
    assert run == replay  # ...in a sequence a fresh simulator replays
    cold = SimRequest(model="sim-small", messages=messages, temperature=0.0)
    assert len({sim.complete(cold).content for _ in range(10)}) == 1


def test_seed_is_part_of_the_request() -> None:
    sim = Simulator()
    messages = [
        {"role": "system", "content": "Labels: alpha, beta, gamma, delta, epsilon"},
        {"role": "user", "content": "no signal"},
    ]
    answers = {sim.complete(SimRequest("sim-small", messages, seed=s)).content for s in range(40)}
    assert len(answers) >= 2


# --- usage, latency, limits --------------------------------------------------------------------


def test_usage_uses_course_token_counts() -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Explain idempotency keys in one line, please."},
    ]
    result = Simulator().complete(SimRequest("sim-small", messages))
    assert result.input_tokens == sum(count_tokens(m["content"]) for m in messages)
    assert result.output_tokens == count_tokens(result.content)


def test_tool_schemas_count_as_input() -> None:
    tools = [{"type": "function", "function": {"name": "noop", "description": "does nothing"}}]
    plain = Simulator().complete(ask("hi"))
    with_tools = Simulator().complete(ask("hi", tools=tools))
    assert with_tools.input_tokens == plain.input_tokens + count_tokens(json.dumps(tools))


def test_latency_follows_the_tier_knobs() -> None:
    def mean_latency(model: str) -> float:
        sim = Simulator()
        return (
            sum(sim.complete(ask(f"question number {i}", model)).latency_s for i in range(60)) / 60
        )

    small, large = mean_latency("sim-small"), mean_latency("sim-large")
    knobs = catalog().get("sim-small").sim
    assert large > small  # sim-large has a higher base latency and per-token cost
    result = Simulator().complete(ask("one"))
    expected_ms = (
        knobs["latency_base_ms"]
        + knobs["latency_ms_per_input_token"] * result.input_tokens
        + knobs["latency_ms_per_output_token"] * result.output_tokens
    )
    # Lognormal jitter with sigma 0.25: four sigmas either side.
    assert expected_ms * 0.36 / 1000 < result.latency_s < expected_ms * 2.8 / 1000


def test_max_tokens_cuts_the_answer() -> None:
    full = Simulator().complete(ask("Tell me everything about retries and backoff please"))
    cut = Simulator().complete(
        ask("Tell me everything about retries and backoff please", max_tokens=6)
    )
    assert full.finish_reason == "stop" and full.output_tokens > 6
    assert cut.finish_reason == "length"
    assert cut.output_tokens <= 6 and cut.output_tokens == count_tokens(cut.content)
    assert full.content.startswith(cut.content)


@pytest.mark.parametrize("model", ["no-such-model", "gpt-4o-mini"])
def test_non_sim_model_is_a_configuration_error_naming_sim_models(model: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Simulator().complete(ask("hi", model))
    assert "sim-small" in info.value.hint and "sim-large" in info.value.hint


def test_model_ids_are_the_sim_models_of_the_catalogue() -> None:
    assert Simulator().model_ids() == catalog().ids("sim")
    assert "sim-small" in Simulator().model_ids()


def test_plain_reply_is_labelled_and_honest() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    result = Simulator().complete(ask(text, "sim-large"))
    assert result.skill == "plain"
    assert result.content.startswith("[sim-large] I am the course simulator.")
    assert "twelve…" in result.content and "thirteen" not in result.content


# --- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "Labels: billing, shipping, other",
        "Answer with one of: billing, shipping, other.",
        "Answer with one of [billing, shipping, other]",
        "Classify the ticket.\n- billing: money\n- shipping: parcels\n- other: the rest",
    ],
)
def test_label_set_forms_are_recognised(prompt: str) -> None:
    spec = label_spec([{"role": "system", "content": prompt}, {"role": "user", "content": "x"}])
    assert spec is not None and [s.lower() for s in spec.labels] == ["billing", "shipping", "other"]


def test_definitions_and_both_kinds_of_examples_are_read() -> None:
    messages = [
        {"role": "system", "content": "Classify.\n- spam: adverts\n- ham: real mail"},
        {"role": "user", "content": "Text: win a prize now\nLabel: spam"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "lunch tomorrow?"},
        {"role": "assistant", "content": "ham"},
        {"role": "user", "content": "cheap pills"},
    ]
    spec = label_spec(messages)
    assert spec is not None
    assert spec.definitions == {"spam": "adverts", "ham": "real mail"}
    assert ("win a prize now", "spam") in spec.examples
    assert ("lunch tomorrow?", "ham") in spec.examples


def test_definitions_and_examples_cut_classification_errors() -> None:
    items = synthetic_tickets(300, seed=1)
    for model in ("sim-small", "sim-large"):
        bare = error_rate(model, classify_prompt(False, False), items)
        defined = error_rate(model, classify_prompt(True, False), items)
        full = error_rate(model, classify_prompt(True, True), items)
        # measured: 0.39 -> 0.13 (sim-small), 0.31 -> 0.12 (sim-large); a big cut, not an exact one
        assert defined < bare - 0.15, (model, bare, defined)
        # Examples never hurt here; their real effect is tested in test_sim_classify.py.
        assert full <= defined, (model, defined, full)


def test_error_rate_on_clear_evidence_matches_the_formula() -> None:
    # Each text names its label outright, so the best guess is right and every error is the
    # documented noise: the observed rate matches the mean of the documented p per item.
    import importlib

    classifier = importlib.import_module("course.sim.skills.classify")
    prompt = "Classify.\n" + "\n".join(f"- {lab}: {' '.join(VOCAB[lab])}" for lab in LABELS)
    spec = label_spec([{"role": "system", "content": prompt}, {"role": "user", "content": "x"}])
    assert spec is not None
    rng = random.Random(5)
    labels = [LABELS[i % 4] for i in range(600)]
    items = [(f"{label} {rng.choice(FILLER)} {i}", label) for i, label in enumerate(labels)]
    rates = {}
    for model in ("sim-small", "sim-large"):
        base = catalog().get(model).sim["base_error_rate"]
        expected = sum(
            classifier.decide(text, spec, base, 0.0, random.Random(0)).error_p for text, _ in items
        ) / len(items)
        rates[model] = error_rate(model, prompt, items)
        assert abs(rates[model] - expected) < 0.03, (model, rates[model], expected)
    assert rates["sim-large"] < rates["sim-small"] - 0.02  # the dearer tier errs less


def test_misclassification_picks_the_runner_up() -> None:
    # Two billing words and one shipping word: an error must be "shipping", never the others.
    prompt = "Classify.\n- billing: invoice refund\n- shipping: parcel\n- account: password"
    prompt += "\n- technical: crash"
    sim = Simulator()
    answers = {
        sim.complete(
            SimRequest(
                "sim-small",
                [
                    {"role": "system", "content": prompt},
                    {"role": "user", "content": "invoice refund and a parcel question"},
                ],
                seed=s,
            )
        ).content
        for s in range(200)
    }
    assert answers == {"billing", "shipping"}


# --- extraction --------------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "customer's full name"},
        "email": {"type": "string"},
        "age": {"type": "integer"},
        "vip": {"type": "boolean"},
        "topic": {"type": "string", "enum": ["billing", "shipping", "other"]},
        "city": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "email", "age", "vip", "topic", "city"],
    "additionalProperties": False,
}
TYPES = {"string": str, "integer": int, "boolean": bool}


def people(n: int) -> list[tuple[str, dict]]:
    rng = random.Random(3)
    first = ["Ana", "Bruno", "Chen", "Dara", "Elif", "Femi", "Goran", "Hana"]
    last = ["Lopez", "Rossi", "Wang", "Okafor", "Yilmaz", "Adeyemi", "Novak", "Sato"]
    out = []
    for _ in range(n):
        name = f"{rng.choice(first)} {rng.choice(last)}"
        email = f"{name.split()[0].lower()}{rng.randint(1, 99)}@example.com"
        age = rng.randint(18, 90)
        text = f"Hi, my name is {name}, I am {age} years old. Mail me at {email} about my invoice."
        out.append((text, {"name": name, "email": email, "age": age}))
    return out


def test_json_schema_output_always_parses_with_required_keys_and_types() -> None:
    sim = Simulator()
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}}
    correct_email = 0
    for text, truth in people(200):
        for model in ("sim-small", "sim-large"):
            result = sim.complete(ask(text, model, response_format=fmt))
            assert result.skill == "extract"
            data = json.loads(result.content)
            assert set(data) == set(SCHEMA["required"])
            for key in ("name", "email", "age", "vip"):
                assert isinstance(data[key], TYPES[SCHEMA["properties"][key]["type"]])
            assert data["topic"] in ("billing", "shipping", "other")
            assert data["city"] is None or isinstance(data["city"], str)
            correct_email += data["email"] == truth["email"]
    assert correct_email / 400 > 0.8  # right most of the time, wrong at field_miss_rate


def test_json_object_mode_is_valid_json_but_may_miss_keys() -> None:
    sim = Simulator()
    prompt = "Return JSON with keys name, email and age."
    missing = total = 0
    for text, _ in people(300):
        messages = [{"role": "system", "content": prompt}, {"role": "user", "content": text}]
        result = sim.complete(
            SimRequest("sim-small", messages, response_format={"type": "json_object"})
        )
        data = json.loads(result.content)
        assert set(data) <= {"name", "email", "age"}
        missing += 3 - len(data)
        total += 3
    rate = catalog().get("sim-small").sim["field_miss_rate"]
    assert abs(missing / total - rate) < 0.04


def test_prose_json_is_malformed_at_the_tier_rate() -> None:
    sim = Simulator()
    prompt = 'Reply in JSON like {"name": "...", "email": "..."}'
    for model in ("sim-small", "sim-large"):
        broken = 0
        for i, (text, _) in enumerate(people(150) * 6):
            messages = [{"role": "system", "content": prompt}, {"role": "user", "content": text}]
            content = sim.complete(SimRequest(model, messages, seed=i)).content
            try:
                json.loads(content)
            except ValueError:
                broken += 1
        rate = catalog().get(model).sim["malformed_json_rate"]
        assert abs(broken / 900 - rate) < 0.035, (model, broken / 900)


# --- tools -------------------------------------------------------------------------------------

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "city name"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up a customer order by its order id",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
]


def test_tools_pick_the_matching_tool_and_fill_arguments() -> None:
    sim = Simulator()
    weather = sim.complete(ask("What is the weather like in Lisbon today?", tools=TOOLS))
    order = sim.complete(ask("Where is my order A-7781?", tools=TOOLS))
    assert weather.skill == "tools" and weather.finish_reason == "tool_calls"
    assert weather.content is None
    assert weather.tool_calls[0]["function"]["name"] == "get_weather"
    assert json.loads(weather.tool_calls[0]["function"]["arguments"]) == {"city": "Lisbon"}
    assert order.tool_calls[0]["function"]["name"] == "lookup_order"
    assert json.loads(order.tool_calls[0]["function"]["arguments"]) == {"order_id": "A-7781"}
    assert weather.tool_calls[0]["id"].startswith("call_")


def test_tool_result_gets_a_text_answer() -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup_order", "arguments": '{"order_id": "A-7781"}'},
    }
    messages = [
        {"role": "user", "content": "Where is my order A-7781?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
    ]
    result = Simulator().complete(SimRequest("sim-small", messages, tools=TOOLS))
    assert result.finish_reason == "stop" and not result.tool_calls
    assert "lookup_order" in result.content and "shipped" in result.content


def test_no_matching_tool_means_no_call() -> None:
    result = Simulator().complete(ask("Tell me a joke", tools=TOOLS))
    assert result.skill == "tools" and result.tool_calls == [] and result.finish_reason == "stop"
