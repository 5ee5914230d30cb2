"""The classifier on inputs written for this file: every label-set layout x five label sets.

The label sets and inputs below were written for these tests, independently of the course
data and of the simulator's code; each input is unambiguous for a person. Run this file as a
script to print the accuracy table quoted in docs/SIMULATOR.md:

    .venv/bin/python tests/test_sim_classify.py
"""

import importlib
import json
import random
from collections.abc import Callable

import jsonschema
import pytest

from course.sim import SimRequest, Simulator
from course.sim.reading.prompt import LabelSpec, label_definitions, label_spec

classifier = importlib.import_module("course.sim.skills.classify")


# Each set: label -> definition, and (input, gold label) pairs.
SETS: dict[str, dict] = {
    "support": {
        "defs": {
            "billing": "charges, invoices, refunds, payment methods and prices on a bill",
            "shipping": "delivery of a physical order: tracking, delays, lost or damaged parcels",
            "account": "signing in, passwords, two-factor codes, locked or hacked profiles",
            "bug": "the product misbehaves: errors, crashes, pages that do not load, data lost",
            "other": "anything else, such as general questions or feedback",
        },
        "inputs": [
            ("I was charged twice this month, please refund one of them", "billing"),
            ("Why does my invoice show a higher price than the plan I picked?", "billing"),
            (
                "The card payment keeps getting declined at checkout even though I have money",
                "billing",
            ),
            ("Can I get my money back for the annual subscription I cancelled?", "billing"),
            ("My order still hasn't arrived and the tracking number shows nothing", "shipping"),
            ("The courier left the box at the wrong address", "shipping"),
            ("The parcel came crushed and the lamp inside is broken", "shipping"),
            ("When will the package I ordered on Monday be delivered?", "shipping"),
            ("I forgot my password and the reset email never comes", "account"),
            ("Someone hacked my profile and changed my email address", "account"),
            ("I can't log in, it says my account is locked", "account"),
            ("The authenticator code is rejected every time I try to sign in", "account"),
            ("The app crashes as soon as I open the settings screen", "bug"),
            ("Exporting a report throws error 500 every time", "bug"),
            ("After the update all my saved drafts disappeared", "bug"),
            ("The dashboard page stays blank and never finishes loading", "bug"),
            ("Do you have an office in Berlin I could visit?", "other"),
            ("Just wanted to say thanks, your team was lovely", "other"),
        ],
    },
    "sentiment": {
        "defs": {
            "positive": "the writer is happy, pleased, praising or recommending",
            "negative": "the writer is unhappy, angry, disappointed or complaining",
            "neutral": "no clear feeling either way; factual statements or plain questions",
        },
        "inputs": [
            ("Honestly the best pizza I've had, we'll be back next week", "positive"),
            ("Absolutely loved the concert, the band was fantastic", "positive"),
            ("Great service and a really friendly waiter, highly recommend", "positive"),
            ("This phone is wonderful, the battery lasts for days", "positive"),
            ("What a delightful little hotel, we had a perfect stay", "positive"),
            ("Terrible food and the staff were rude to us", "negative"),
            ("I regret buying this, it broke after two days", "negative"),
            ("Worst customer service I have ever dealt with", "negative"),
            ("The movie was boring and far too long, a waste of money", "negative"),
            ("I'm so disappointed, the shoes fell apart in a week", "negative"),
            ("The store opens at nine on weekdays", "neutral"),
            ("The package contains two cables and a charger", "neutral"),
            ("What time does the train to Porto leave?", "neutral"),
            ("The meeting has been moved to Thursday", "neutral"),
            ("The report is twelve pages long", "neutral"),
        ],
    },
    "moderation": {
        "defs": {
            "safe": "ordinary, harmless content with nothing abusive in it",
            "insult": "rude or demeaning language aimed at a person: name-calling, mockery",
            "threat": (
                "violence or harm wished on or promised to someone, including urging self-harm"
            ),
            "spam": "unsolicited advertising, scams, links to buy things or win prizes",
        },
        "inputs": [
            ("Go kill yourself, nobody would miss you", "threat"),
            ("I know where you live and I will hurt you", "threat"),
            ("Say that again and I'll break your legs", "threat"),
            ("You're a pathetic idiot and everyone laughs at you", "insult"),
            ("What a stupid clown, you can't even spell", "insult"),
            ("Shut up, you ugly loser", "insult"),
            ("WIN a free iPhone now!!! Click this link to claim your prize", "spam"),
            ("Cheap watches 90% off, buy now at our online shop", "spam"),
            ("Earn $5000 a week from home, limited offer, sign up today", "spam"),
            ("Does anyone know a good recipe for banana bread?", "safe"),
            ("The game last night was really exciting", "safe"),
            ("Thanks for sharing the photos from the trip", "safe"),
        ],
    },
    "bank": {
        "defs": {
            "lost_or_stolen_card": (
                "the customer's card is missing, lost or was stolen and must be blocked"
            ),
            "check_balance": "how much money is in the account right now",
            "transfer_money": "sending money to another person or account",
            "dispute_transaction": (
                "a payment on the statement the customer does not recognise or disagrees with"
            ),
            "loan_inquiry": (
                "borrowing money: loans, mortgages, credit, interest rates on borrowing"
            ),
        },
        "inputs": [
            (
                "I think I left my debit card at the restaurant, can you freeze it?",
                "lost_or_stolen_card",
            ),
            ("My wallet was stolen on the bus with my card in it", "lost_or_stolen_card"),
            ("How much do I have in my current account?", "check_balance"),
            ("What's my balance today?", "check_balance"),
            ("I need to send 200 euros to my sister's account", "transfer_money"),
            ("How do I pay my landlord directly from the app?", "transfer_money"),
            (
                "There is a payment of 89 dollars from a shop I have never been to",
                "dispute_transaction",
            ),
            ("I don't recognise this charge on my statement", "dispute_transaction"),
            ("What interest rate would I get on a mortgage for a flat?", "loan_inquiry"),
            ("Can I borrow 10,000 to buy a car?", "loan_inquiry"),
        ],
    },
    "topic": {
        "defs": {
            "sports": "games, matches, athletes, teams and competitions",
            "politics": "governments, elections, parties, laws and politicians",
            "technology": "computers, software, gadgets, the internet and science of machines",
            "food": "cooking, recipes, restaurants, ingredients and eating",
        },
        "inputs": [
            ("The striker scored twice in the final minutes to win the cup", "sports"),
            ("She broke the world record in the 400 metres", "sports"),
            ("Parliament voted against the new tax bill", "politics"),
            ("The prime minister called an early election", "politics"),
            ("The new laptop chip doubles battery life", "technology"),
            ("Engineers released an update that fixes the browser vulnerability", "technology"),
            ("Slow-roast the lamb with garlic and rosemary for three hours", "food"),
            ("This bakery makes the flakiest croissants in town", "food"),
        ],
    },
}


# --- layouts: how people write a label set -------------------------------------------------------

Layout = Callable[[dict[str, str]], str]


def _bullets(defs: dict[str, str]) -> str:
    lines = [f"- {name}: {text}" for name, text in defs.items()]
    return "Classify the message into one of these labels:\n" + "\n".join(lines)


def _bullets_bare(defs: dict[str, str]) -> str:
    return "Which category does the message belong to?\n" + "\n".join(f"* {n}" for n in defs)


def _numbered(defs: dict[str, str]) -> str:
    lines = [f"{i}. {name} - {text}" for i, (name, text) in enumerate(defs.items(), 1)]
    return "Pick the best category for the message.\n" + "\n".join(lines)


def _prose(defs: dict[str, str]) -> str:
    rules = " ".join(f"Use {name} when the message is about {text}." for name, text in defs.items())
    return f"You sort incoming messages. {rules} Reply with the label only."


def _parens(defs: dict[str, str]) -> str:
    items = [f"{name} ({text})" for name, text in defs.items()]
    return f"Classify the message as {', '.join(items[:-1])} or {items[-1]}."


def _table(defs: dict[str, str]) -> str:
    rows = "\n".join(f"| {name} | {text} |" for name, text in defs.items())
    head = "Label the message with one label from this table.\n\n| label | meaning |\n|---|---|"
    return f"{head}\n{rows}"


def _yaml(defs: dict[str, str]) -> str:
    items = "\n".join(f"  - name: {n}\n    description: {t}" for n, t in defs.items())
    return f"Classify the message. Allowed labels:\nlabels:\n{items}\nAnswer with the name only."


def _one_of(defs: dict[str, str]) -> str:
    return "Answer with one of: " + ", ".join(defs) + "."


def _one_word(defs: dict[str, str]) -> str:
    names = list(defs)
    return f"Reply with exactly one word: {', '.join(names[:-1])} or {names[-1]}."


LAYOUTS: dict[str, Layout] = {
    "bullets": _bullets,
    "bullets-bare": _bullets_bare,
    "numbered": _numbered,
    "prose": _prose,
    "parentheses": _parens,
    "table": _table,
    "yaml": _yaml,
    "one-of": _one_of,
    "one-word": _one_word,
}
DEFINED = ("bullets", "numbered", "prose", "parentheses", "table", "yaml")


def enum_schema(defs: dict[str, str]) -> dict:
    described = "; ".join(f"{name}: {text}" for name, text in defs.items())
    return {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": list(defs), "description": described}},
        "required": ["label"],
        "additionalProperties": False,
    }


def answer(sim: Simulator, model: str, layout: str, defs: dict[str, str], text: str, seed: int):
    """(label the reply gives or None if off-label, skill) for one input."""
    if layout == "json-enum":
        schema = enum_schema(defs)
        request = SimRequest(
            model,
            [
                {"role": "system", "content": "Classify the customer's message."},
                {"role": "user", "content": text},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "label", "schema": schema, "strict": True},
            },
            seed=seed,
        )
        result = sim.complete(request)
        try:
            value = json.loads(result.content or "")
            jsonschema.validate(value, schema)
        except (ValueError, jsonschema.ValidationError):
            return None, result.skill
        return value["label"], result.skill
    messages = [
        {"role": "system", "content": LAYOUTS[layout](defs)},
        {"role": "user", "content": f'Message: """{text}"""'},
    ]
    result = sim.complete(SimRequest(model, messages, seed=seed))
    content = (result.content or "").strip()
    return (content if content in defs else None), result.skill


def measure(model: str, layout: str, seeds: int = 3) -> tuple[float, float]:
    """(accuracy, off-label share) over every set and input, temperature 0, `seeds` seeds."""
    sim = Simulator()
    right = off = total = 0
    for labelled in SETS.values():
        for text, gold in labelled["inputs"]:
            for seed in range(seeds):
                got, skill = answer(sim, model, layout, labelled["defs"], text, seed)
                assert skill in ("classify", "extract"), (layout, skill, text)
                right += got == gold
                off += got is None
                total += 1
    return right / total, off / total


# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("set_name", sorted(SETS))
def test_every_layout_states_the_exact_label_set(layout: str, set_name: str) -> None:
    defs = SETS[set_name]["defs"]
    prompt = LAYOUTS[layout](defs)
    spec = label_spec([{"role": "system", "content": prompt}, {"role": "user", "content": "hi"}])
    assert spec is not None, prompt
    assert spec.labels == list(defs), prompt
    if layout in DEFINED:
        assert set(spec.definitions) == set(defs), prompt
        for name, text in defs.items():
            assert text.split()[0] in spec.definitions[name], (name, spec.definitions[name])


@pytest.mark.parametrize(
    ("prompt", "labels"),
    [
        ("Choose from urgent / normal / low.", ["urgent", "normal", "low"]),
        ("Respond with either spam or ham.", ["spam", "ham"]),
        (
            "Categories: feature request, bug report, billing question",
            ["feature request", "bug report", "billing question"],
        ),
        (
            "Classify the review as positive (happy, praising), negative (angry, upset), or "
            "neutral (plain facts).",
            ["positive", "negative", "neutral"],
        ),
        (
            "Classify it.\nlabels:\n  billing: charges and refunds\n  shipping: parcels\n",
            ["billing", "shipping"],
        ),
        (
            "Tag the sentiment. Positive means the author liked it. Negative means they did not.",
            ["positive", "negative"],
        ),
        (
            "If the text asks for money back, answer refund. If it asks where a parcel is, "
            "answer delivery.",
            ["refund", "delivery"],
        ),
        # A default named first, the other names in brackets after their descriptions.
        (
            "Moderate this post. It's safe unless it harasses someone (harassment), sells "
            "something (spam) or threatens violence (violent_threat).",
            ["safe", "harassment", "spam", "violent_threat"],
        ),
        # Identifier-style names: the ones a sentence did not define still join the set.
        (
            "Use card_lost when a card is missing. If they want to send money, money_transfer. "
            "Use balance when they ask how much they have.",
            ["card_lost", "balance", "money_transfer"],
        ),
        # One word given a list of things, sentence after sentence, in a prompt asking for a tag.
        (
            "Tag the headline with its section. Sports is matches, teams and athletes. Politics "
            "is governments and elections. Technology is software, gadgets and the internet.",
            ["sports", "politics", "technology"],
        ),
        # An inline choice list that ends a sentence asking for a choice.
        (
            "Decide if the review is positive, negative or neutral.",
            ["positive", "negative", "neutral"],
        ),
        (
            "Read the headline and tell me if it's about sports, politics, technology, health "
            "or business.",
            ["sports", "politics", "technology", "health", "business"],
        ),
        (
            "Give me the sentiment (positive, negative or neutral) of the review.",
            ["positive", "negative", "neutral"],
        ),
    ],
)
def test_other_ways_people_write_a_label_set(prompt: str, labels: list[str]) -> None:
    spec = label_spec([{"role": "user", "content": prompt + '\n"""some input"""'}])
    assert spec is not None and spec.labels == labels


PROSE = [
    (
        "Sort each e-mail. Anything about money we took or owe goes to billing; parcels and "
        "deliveries go to shipping; everything else is other.",
        ["billing", "shipping", "other"],
    ),
    (
        "Tag the review: say 'pos' if the reviewer enjoyed it, 'neg' if they didn't, and "
        "'mixed' when both.",
        ["pos", "neg", "mixed"],
    ),
    (
        "Decide the intent. Use card_lost for a missing or stolen card, balance for questions "
        "about how much money is left, and transfer for sending money.",
        ["card_lost", "balance", "transfer"],
    ),
    (
        "Mark it as toxic when it insults or threatens someone, otherwise mark it as clean.",
        ["toxic", "clean"],
    ),
    (
        "Possible answers are urgent (needs action today) and routine (can wait).",
        ["urgent", "routine"],
    ),
    (
        "If the writer wants money back, the label is refund. If the writer asks about "
        "delivery, the label is shipping.",
        ["refund", "shipping"],
    ),
    (
        "billing covers invoices and charges, shipping covers deliveries, and account covers "
        "logins.",
        ["billing", "shipping", "account"],
    ),
    (
        "For anything about money, use billing. For parcels, use shipping. Otherwise answer other.",
        ["billing", "shipping", "other"],
    ),
    (
        "Use the label urgent when someone is in danger and the label routine for everything "
        "that can wait.",
        ["urgent", "routine"],
    ),
    (
        "Messages that insult someone are insult, messages that threaten violence are threat, "
        "adverts are spam, and normal chat is ok.",
        ["insult", "threat", "spam", "ok"],
    ),
    ("Reply 'yes' if the review mentions price and 'no' if it does not.", ["yes", "no"]),
    (
        "Sport news is sports. Elections and governments are politics. Gadgets and software "
        "are tech.",
        ["sports", "politics", "tech"],
    ),
    (
        "Classify as follows: complaints -> negative, praise -> positive, facts -> neutral.",
        ["negative", "positive", "neutral"],
    ),
    (
        "Pick refund when the customer wants money back and pick exchange when they want "
        "another size.",
        ["refund", "exchange"],
    ),
    (
        "Say whether the review is positive, negative or neutral.",
        ["positive", "negative", "neutral"],
    ),
    ("Is this message spam or ham?", ["spam", "ham"]),
    (
        "Label reviews that praise the product as positive and reviews that complain as negative.",
        ["positive", "negative"],
    ),
    (
        "A review is negative when it complains. A review is positive when it praises. It is "
        "neutral if it only states facts.",
        ["negative", "positive", "neutral"],
    ),
    (
        "We sort posts into safe (harmless chat), insult (name-calling) and threat (promises "
        "of violence).",
        ["safe", "insult", "threat"],
    ),
    (
        "Payment trouble, double charges or a missing invoice belong to billing, and a parcel "
        "that is late or lost, or a wrong address, goes to shipping.",
        ["billing", "shipping"],
    ),
    # Routing verbs, queue verbs, ordinals, "one <noun>:", bare "name if" lists, "x otherwise".
    (
        "Put it in refunds if the customer wants money back. Put it in delivery if a package "
        "is late or lost. Put it in login if they cannot sign in.",
        ["refunds", "delivery", "login"],
    ),
    (
        "You route support emails. Billing takes anything about invoices or charges. Technical "
        "takes crashes and errors. Sales gets questions about plans and pricing.",
        ["billing", "technical", "sales"],
    ),
    (
        "Pick one team: Payments (card declines, refunds), Shipping (tracking, delays) or "
        "Accounts (passwords).",
        ["Payments", "Shipping", "Accounts"],
    ),
    (
        "The first queue, invoices, is for billing documents. The second queue, outages, is "
        "for service downtime. The last one, feedback, is for suggestions.",
        ["invoices", "outages", "feedback"],
    ),
    (
        "Classify the email: work if it is from a colleague or a client, personal if from "
        "friends or family, promo if it advertises something.",
        ["work", "personal", "promo"],
    ),
    ("Respond with keep if the comment is civil, or remove otherwise.", ["keep", "remove"]),
    (
        "Send it to returns if the buyer wants to send the item back. Send it to warranty if "
        "the item broke within a year. Send it to general otherwise.",
        ["returns", "warranty", "general"],
    ),
    (
        "If the reviewer is happy, the answer is positive. When they are upset, it's negative. "
        "Otherwise, neutral.",
        ["positive", "negative", "neutral"],
    ),
    (
        "Give each story a topic. Stories about games and players belong under sports. "
        "Elections and laws go under politics. Phones and apps fall under technology.",
        ["sports", "politics", "technology"],
    ),
]


@pytest.mark.parametrize(("prompt", "labels"), PROSE)
def test_label_sets_written_as_prose(prompt: str, labels: list[str]) -> None:
    spec = label_spec([{"role": "user", "content": prompt + '\n\n"""some input"""'}])
    assert spec is not None and spec.labels == labels, spec
    if len(labels) > 2 or "?" not in prompt:
        assert spec.definitions or "whether" in prompt, spec


@pytest.mark.parametrize(
    "description",
    [
        "billing: charges, refunds; bug: crashes and errors; other: anything else",
        "Use billing for charges or refunds, bug when something crashes, other for the rest.",
        "billing (charges, refunds), bug (crashes and errors), other (anything else)",
        "The queue: billing covers charges and refunds, bug covers crashes, other is the rest.",
    ],
)
def test_an_enum_description_defines_its_values_in_any_layout(description: str) -> None:
    found = label_definitions(["billing", "bug", "other"], description)
    assert set(found) == {"billing", "bug", "other"}, found
    assert "charges" in found["billing"] and "crash" in found["bug"], found


def test_parenthesised_definitions_are_never_part_of_a_label() -> None:
    prompt = "Labels: positive (happy, praising), negative (angry), neutral (no feeling)"
    spec = label_spec([{"role": "system", "content": prompt}, {"role": "user", "content": "ok"}])
    assert spec is not None
    assert all("(" not in lab and ")" not in lab for lab in spec.labels)
    assert spec.definitions["positive"] == "happy, praising"


@pytest.mark.parametrize(
    "prompt",
    [
        "Reply with a short summary and the action items.",
        "Answer as briefly as possible and with care.",
        "Summarise the e-mail below in one sentence.",
        "Explain it in one line: what broke, why and how to fix it.",
        "The first step, reading, takes ten minutes. Ask me if you need help.",
        "Put the summary first, then the details.",
        "Write a short review of a restaurant, hotel or museum you liked.",
        "Which steps, tools and people are needed for the move?",
        "Summarise this: Delivery is late and slow. Support is rude and unhelpful.",
    ],
)
def test_prose_that_is_not_a_label_set_states_none(prompt: str) -> None:
    assert label_spec([{"role": "user", "content": prompt}]) is None


# --- behaviour ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", [*LAYOUTS, "json-enum"])
def test_accuracy_bars_and_no_off_label_replies_in_every_layout(layout: str) -> None:
    large, large_off = measure("sim-large", layout)
    small, small_off = measure("sim-small", layout)
    floor = (
        {"sim-large": 0.85, "sim-small": 0.70}
        if layout in (*DEFINED, "json-enum")
        else {"sim-large": 0.62, "sim-small": 0.58}
    )  # bare names: see the limitation in the docs
    assert large >= floor["sim-large"], (layout, large)
    assert small >= floor["sim-small"], (layout, small)
    assert large_off == 0 and small_off == 0, (layout, large_off, small_off)
    assert large >= small - 0.02, (layout, large, small)  # per layout, within sampling noise


def test_sim_large_beats_sim_small_over_all_layouts() -> None:
    layouts = [*LAYOUTS, "json-enum"]
    large = sum(measure("sim-large", name)[0] for name in layouts) / len(layouts)
    small = sum(measure("sim-small", name)[0] for name in layouts) / len(layouts)
    assert large > small + 0.015, (large, small)


def test_the_messages_from_the_issue_get_the_right_label() -> None:
    moderation = SETS["moderation"]["defs"]
    billing = {"billing": "charges, invoices, refunds", "bug": "errors and crashes"}
    cases = [
        (moderation, "Go kill yourself, nobody would miss you", "threat"),
        (billing, "I was charged twice, please refund one", "billing"),
    ]
    for defs, text, gold in cases:
        spec = LabelSpec(labels=list(defs), definitions=defs)
        decision = classifier.decide(text, spec, 0.0, 0.0, random.Random(0))
        assert decision.best == gold, (text, decision.scores)


def test_the_pizza_review_from_the_issue() -> None:
    # The static model reads it as neutral; the valence reading (course.sim.feeling) fixes it.
    spec = LabelSpec(list(SETS["sentiment"]["defs"]), dict(SETS["sentiment"]["defs"]))
    text = "Honestly the best pizza I've had, we'll be back next week"
    assert classifier.decide(text, spec, 0.0, 0.0, random.Random(0)).best == "positive"


def _accuracy(spec: LabelSpec, items: list[tuple[str, str]], base: float) -> float:
    right = 0
    for seed in range(5):
        for text, gold in items:
            rng = random.Random(f"{seed}:{text}")  # one stream per request, as in the simulator
            right += classifier.decide(text, spec, base, 0.0, rng).label == gold
    return right / (5 * len(items))


def _all_items() -> list[tuple[str, list[tuple[str, str]], dict[str, str]]]:
    return [(name, s["inputs"], s["defs"]) for name, s in SETS.items()]


def test_definitions_add_accuracy_from_what_they_say_not_from_being_there() -> None:
    base = 0.3
    gains_real, gains_paraphrase, gains_empty = [], [], []
    for _, items, defs in _all_items():
        labels = list(defs)
        bare = _accuracy(LabelSpec(labels), items, base)
        real = _accuracy(LabelSpec(labels, dict(defs)), items, base)
        reworded = {n: "anything to do with " + t.replace(",", " or") for n, t in defs.items()}
        paraphrase = _accuracy(LabelSpec(labels, reworded), items, base)
        empty = _accuracy(LabelSpec(labels, {n: f"this label, {n}" for n in labels}), items, base)
        gains_real.append(real - bare)
        gains_paraphrase.append(paraphrase - bare)
        gains_empty.append(empty - bare)
    real_gain = sum(gains_real) / len(gains_real)
    assert real_gain > 0.1, gains_real
    assert sum(gains_paraphrase) / len(gains_paraphrase) >= 0.7 * real_gain, gains_paraphrase
    assert sum(gains_empty) / len(gains_empty) <= 0.2 * real_gain, gains_empty


def test_content_free_definitions_do_not_cut_the_noise() -> None:
    labels = ["positive", "negative", "neutral"]
    empty = LabelSpec(
        labels, {"positive": "this label", "negative": "this label", "neutral": "this label"}
    )
    restated = LabelSpec(labels, {n: f"{n} {n} {n}" for n in labels})
    category = LabelSpec(labels, {n: f"category {n}" for n in labels})
    real = LabelSpec(labels, dict(SETS["sentiment"]["defs"]))
    for spec in (empty, restated, category):
        assert classifier.definition_info(spec) < 0.2, spec.definitions
    assert classifier.definition_info(real) > 0.8
    p_empty = classifier.error_probability(0.3, empty, 0.0, margin=2.0)
    p_real = classifier.error_probability(0.3, real, 0.0, margin=2.0)
    assert p_real < 0.6 * p_empty


def test_real_examples_cut_the_noise_and_label_names_as_examples_do_not() -> None:
    labels = list(SETS["support"]["defs"])
    items = SETS["support"]["inputs"]
    real = LabelSpec(labels, examples=[(items[0][0], "billing"), (items[4][0], "shipping")])
    names = LabelSpec(labels, examples=[("billing", "billing"), ("shipping", "shipping")])
    bare = LabelSpec(labels)
    assert classifier.real_example_count(real) == 2
    assert classifier.real_example_count(names) == 0
    p_bare = classifier.error_probability(0.3, bare, 0.0, margin=1.0)
    assert classifier.error_probability(0.3, real, 0.0, margin=1.0) == pytest.approx(0.6 * p_bare)
    assert classifier.error_probability(0.3, names, 0.0, margin=1.0) == pytest.approx(p_bare)


def test_examples_do_not_hurt_on_average() -> None:
    gains = []
    for _, items, defs in _all_items():
        labels = list(defs)
        # one example per label (the first input of that label); tested on the rest
        shots = {lab: [t for t, g in items if g == lab][:1] for lab in labels}
        rest = [(t, g) for t, g in items if t not in shots[g]]
        examples = [(t, lab) for lab in labels for t in shots[lab]]
        gains.append(
            _accuracy(LabelSpec(labels, examples=examples), rest, 0.3)
            - _accuracy(LabelSpec(labels), rest, 0.3)
        )
    assert sum(gains) / len(gains) >= -0.01, gains


def test_errors_concentrate_where_the_margin_is_small() -> None:
    spec = LabelSpec(list(SETS["support"]["defs"]), dict(SETS["support"]["defs"]))
    clear = classifier.decide(
        "I was charged twice, please refund one", spec, 0.3, 0.0, random.Random(0)
    )
    mixed = classifier.decide("My refund and my parcel", spec, 0.3, 0.0, random.Random(0))
    assert clear.error_p < mixed.error_p
    hot = classifier.decide(
        "I was charged twice, please refund one", spec, 0.3, 1.0, random.Random(0)
    )
    assert hot.error_p == pytest.approx(clear.error_p * 1.5)


def test_the_absence_label_wins_when_nothing_stands_out() -> None:
    spec = LabelSpec(list(SETS["moderation"]["defs"]), dict(SETS["moderation"]["defs"]))
    assert classifier.profile_of(spec).absence == spec.labels.index("safe")
    ordinary = (
        "We are meeting at the station at six.",
        "My cat sleeps on the sofa all day.",
        "The library opens again on Tuesday.",
        "I planted tomatoes in the garden this spring.",
    )
    picks = [classifier.decide(t, spec, 0.0, 0.0, random.Random(0)).best for t in ordinary]
    assert picks.count("safe") >= 3, picks
    none = LabelSpec(["threat", "insult", "spam"])
    assert classifier.profile_of(none).absence is None


def test_a_classification_prompt_never_gets_the_plain_reply() -> None:
    sim = Simulator()
    for layout in LAYOUTS:
        for labelled in SETS.values():
            messages = [
                {"role": "system", "content": LAYOUTS[layout](labelled["defs"])},
                {"role": "user", "content": "Hello there"},
            ]
            result = sim.complete(SimRequest("sim-small", messages))
            assert result.skill == "classify", (layout, result.content)
            assert result.content in labelled["defs"]


if __name__ == "__main__":
    print(f"{'layout':14s} {'sim-small':>10s} {'sim-large':>10s} {'off-label':>10s}")
    for name in [*LAYOUTS, "json-enum"]:
        small, small_off = measure("sim-small", name)
        large, large_off = measure("sim-large", name)
        print(f"{name:14s} {small:10.3f} {large:10.3f} {max(small_off, large_off):10.3f}")
