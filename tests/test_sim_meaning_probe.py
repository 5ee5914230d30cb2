"""A probe of the classifier on label sets and inputs it was never built around.

Written for this file, in my own words, independently of the course data, of the simulator's
word lists and of every other test suite: six label sets far from support queues (urgency of a
message, the emotion in it, animal/plant/mineral, the language a request is written in, news
desks, what a forum post needs from a moderator), 20+ inputs each, every layout people write,
with prose written several different ways. `HARD` holds inputs a small model may fairly get
wrong (sarcasm, negation, a word that belongs to another label); they are measured, not barred.

    .venv/bin/python tests/test_sim_meaning_probe.py      # the accuracy table per layout
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import jsonschema
import pytest

from course.sim import SimRequest, Simulator
from course.sim.reading.prompt import label_spec

SETS: dict[str, dict] = {
    "urgency": {
        "defs": {
            "urgent": "something is down, broken, unsafe or losing money right now and needs "
            "action today",
            "routine": "an ordinary request that can be handled in the next few days",
            "fyi": "only information to note, nothing has to be done",
        },
        "inputs": [
            ("The production database is down and no customer can place an order", "urgent"),
            ("Water is pouring through the ceiling of the server room", "urgent"),
            ("Our payment page has been failing for an hour, we are losing sales", "urgent"),
            ("The fire alarm on the second floor keeps going off and nobody knows why", "urgent"),
            ("A stranger has access to the admin account and is deleting users", "urgent"),
            ("The delivery van broke down on the motorway with a patient's medicine", "urgent"),
            ("The main website returns an error for every visitor since this morning", "urgent"),
            (
                "Could you add my new colleague to the team calendar when you have a moment?",
                "routine",
            ),
            ("Please order two more boxes of printer paper for next week", "routine"),
            ("Can we book the small meeting room for Thursday's planning chat?", "routine"),
            ("I'd like to change the title on my profile page at some point", "routine"),
            ("Would you update the phone list with my new extension number?", "routine"),
            ("When you get a chance, please renew my parking permit for next month", "routine"),
            ("Kindly schedule my annual laptop check sometime this month", "routine"),
            ("Just so you know, the canteen will serve lunch half an hour later on Friday", "fyi"),
            ("For your records: the quarterly newsletter went out yesterday", "fyi"),
            ("Heads up, the car park will be repainted over the holidays", "fyi"),
            ("Note that Anna is the new contact for the Lisbon office", "fyi"),
            ("No action needed, this is a summary of last week's visitor numbers", "fyi"),
            ("Sharing for awareness: the office plants are now watered on Tuesdays", "fyi"),
        ],
    },
    "emotion": {
        "defs": {
            "joy": "delight, happiness, excitement, gratitude or celebration",
            "anger": "rage, irritation, outrage or blaming someone",
            "fear": "worry, anxiety, being scared or nervous about what may happen",
            "sadness": "grief, loss, loneliness, feeling down or heartbroken",
        },
        "inputs": [
            ("We just got engaged and I can't stop smiling!", "joy"),
            ("Best birthday ever, thank you all so much for the surprise", "joy"),
            ("I passed my driving test on the first try, what a day", "joy"),
            ("The puppy finally came home with us and the kids are thrilled", "joy"),
            ("Our team won the final and the whole town is celebrating", "joy"),
            ("I'm furious that they cancelled my flight without telling me", "anger"),
            ("How dare the landlord keep our deposit for no reason", "anger"),
            ("This is outrageous, the council ignored every single complaint", "anger"),
            ("I am fed up with colleagues who take credit for my work", "anger"),
            ("It makes my blood boil when drivers block the cycle lane", "anger"),
            ("I'm terrified the biopsy results will be bad", "fear"),
            ("My hands shake every time I think about the job interview tomorrow", "fear"),
            ("There are strange noises outside and I'm scared to open the door", "fear"),
            ("I keep worrying that we won't be able to pay the rent", "fear"),
            ("The storm is getting closer and I'm anxious about the old roof", "fear"),
            ("My grandmother passed away last night and I miss her already", "sadness"),
            ("Since my best friend moved abroad I feel so lonely", "sadness"),
            ("We had to give our old cat away and the house feels empty", "sadness"),
            ("I cried all evening after the breakup", "sadness"),
            ("Nothing seems worth doing lately, I just feel low", "sadness"),
        ],
    },
    "kingdom": {
        "defs": {
            "animal": "a living creature that moves and eats, such as a mammal, bird, fish or "
            "insect",
            "plant": "a living thing that grows from the soil, such as a tree, flower, herb or "
            "grass",
            "mineral": "a non-living solid from the earth, such as a rock, crystal, metal or gem",
        },
        "inputs": [
            ("A small grey creature with long ears that hops across the meadow", "animal"),
            ("It has eight legs and spins a web in the corner of the shed", "animal"),
            ("A large bird of prey that hunts rabbits from the sky", "animal"),
            ("This fish lives in coral reefs and has bright orange stripes", "animal"),
            ("The kitten purrs on my lap every evening", "animal"),
            ("A striped horse that lives on the African savanna", "animal"),
            ("A tall oak with wide branches and acorns in autumn", "plant"),
            ("Tulips in red and yellow blooming along the fence", "plant"),
            ("Basil leaves that we grow in a pot on the kitchen window", "plant"),
            ("A cactus that stores water in its thick green stem", "plant"),
            ("Moss covering the stones on the shady side of the wall", "plant"),
            ("Sunflowers turning their heads towards the light", "plant"),
            ("A clear quartz crystal found in a cave", "mineral"),
            ("A lump of gold ore from an old mine", "mineral"),
            ("Granite slabs cut from the mountain quarry", "mineral"),
            ("A polished ruby set in a ring", "mineral"),
            ("Salt crystals left behind when sea water evaporates", "mineral"),
            ("Iron deposits that give the hills their reddish colour", "mineral"),
            ("A diamond, the hardest natural substance", "mineral"),
            ("Rosebushes climbing the garden wall", "plant"),
        ],
    },
    "language": {
        "defs": {
            "english": "the request is written in English",
            "spanish": "the request is written in Spanish (español)",
            "german": "the request is written in German (Deutsch)",
            "french": "the request is written in French (français)",
        },
        "inputs": [
            ("Could you send me the invoice for last month, please?", "english"),
            ("I would like to cancel my subscription before it renews", "english"),
            ("Where can I find the opening hours of the shop?", "english"),
            ("My password stopped working this morning", "english"),
            ("Hola, ¿me pueden enviar la factura del mes pasado?", "spanish"),
            ("Quiero cancelar mi suscripción antes de que se renueve", "spanish"),
            ("¿Dónde puedo ver el horario de la tienda?", "spanish"),
            ("Mi contraseña dejó de funcionar esta mañana", "spanish"),
            ("Buenos días, necesito ayuda con mi pedido", "spanish"),
            ("Können Sie mir bitte die Rechnung vom letzten Monat schicken?", "german"),
            ("Ich möchte mein Abonnement kündigen, bevor es sich verlängert", "german"),
            ("Wo finde ich die Öffnungszeiten des Geschäfts?", "german"),
            ("Mein Passwort funktioniert seit heute Morgen nicht mehr", "german"),
            ("Guten Tag, ich brauche Hilfe mit meiner Bestellung", "german"),
            ("Pouvez-vous m'envoyer la facture du mois dernier, s'il vous plaît ?", "french"),
            ("Je voudrais annuler mon abonnement avant son renouvellement", "french"),
            ("Où puis-je trouver les horaires d'ouverture du magasin ?", "french"),
            ("Mon mot de passe ne fonctionne plus depuis ce matin", "french"),
            ("Bonjour, j'ai besoin d'aide avec ma commande", "french"),
            ("Thanks a lot, the replacement arrived today", "english"),
        ],
    },
    "newsdesk": {
        "defs": {
            "sport": "matches, athletes, leagues, tournaments and results",
            "politics": "elections, governments, parliaments, parties and laws",
            "science": "research, discoveries, space, medicine and experiments",
            "business": "companies, markets, earnings, jobs and the economy",
            "culture": "films, music, books, art, theatre and celebrities",
        },
        "inputs": [
            ("The striker scored twice as the home side came back to win 3-2", "sport"),
            ("She broke the world record in the 400 metres at the indoor championships", "sport"),
            ("The coach was sacked after the team lost six games in a row", "sport"),
            ("The cycling race finished with a sprint on the final climb", "sport"),
            ("The prime minister called a snap vote for early spring", "politics"),
            ("Opposition parties walked out of parliament during the budget debate", "politics"),
            ("The senate passed a bill limiting campaign donations", "politics"),
            ("Voters in the capital chose a new mayor on Sunday", "politics"),
            ("Astronomers spotted water vapour in the atmosphere of a distant planet", "science"),
            ("A new vaccine trial showed strong results in mice", "science"),
            ("Researchers decoded the genome of an ancient wheat", "science"),
            ("The probe sent back images of the moon's south pole", "science"),
            ("Shares in the carmaker fell after it cut its profit forecast", "business"),
            ("The retailer will close forty stores and cut a thousand jobs", "business"),
            ("Inflation eased for the third month as energy prices dropped", "business"),
            ("The two banks agreed to merge in a deal worth billions", "business"),
            ("The director's new film opened the festival to a standing ovation", "culture"),
            ("Her debut novel was shortlisted for a major literary prize", "culture"),
            ("The band announced a reunion tour across Europe", "culture"),
            ("The museum unveiled a lost painting by a Dutch master", "culture"),
        ],
    },
    "forum": {
        "defs": {
            "abuse": "insults, threats, slurs or attacks on another person",
            "advert": "promotion, selling, links to shops or unwanted marketing",
            "ok": "a normal, civil post that breaks no rule",
        },
        "inputs": [
            ("You are a pathetic loser and everyone here despises you", "abuse"),
            ("Shut up, you brainless idiot, nobody asked for your opinion", "abuse"),
            ("I know where you live and you'll regret posting that", "abuse"),
            ("People like you are worthless scum and should disappear", "abuse"),
            ("Keep talking and I'll smash your face in", "abuse"),
            ("What a stupid moron, go crawl back under your rock", "abuse"),
            ("Cheap watches 80% off today only, order now at my store", "advert"),
            ("Earn five thousand a week from home, click the link in my profile", "advert"),
            ("Best price on sneakers, free shipping with code SAVE20", "advert"),
            ("Visit our shop for discount phone cases and chargers", "advert"),
            ("Buy followers fast, guaranteed results, message me for a deal", "advert"),
            ("Limited offer: miracle diet pills, buy two get one free", "advert"),
            ("Does anyone know a good trail for a beginner near the lake?", "ok"),
            ("Thanks for the tip about the tyre pressure, it helped", "ok"),
            ("I think the second chapter of the book was slower than the first", "ok"),
            ("Here is a photo of the bread I baked using your recipe", "ok"),
            ("Which version of the software are you all running?", "ok"),
            ("Welcome to the group, glad to have you here", "ok"),
            ("I disagree with your point, but I see why you think so", "ok"),
            ("The meetup is moved to the park next to the library", "ok"),
        ],
    },
}

# Inputs a small model may fairly get wrong: measured and printed, never barred.
HARD: dict[str, list[tuple[str, str]]] = {
    "emotion": [
        ("Oh great, another Monday stuck in traffic", "anger"),  # sarcasm
        ("I'm not sad at all, this is the happiest I've been", "joy"),  # negation
    ],
    "forum": [
        ("This recipe is killer, my family devoured it", "ok"),  # violent words, kind meaning
        ("You could try the shop on Main Street, they sell the part", "ok"),  # a shop, no advert
    ],
    "urgency": [("Not urgent at all: the old poster in the hall is a bit faded", "fyi")],
}


Layout = Callable[[dict[str, str]], str]


def _bullets(defs: dict[str, str]) -> str:
    lines = [f"* {name} — {text}" for name, text in defs.items()]
    return "Tag the text with exactly one of the following:\n" + "\n".join(lines)


# Prose written in several ways; each set gets one (rotated by set), so no single wording counts.
_PROSE_STYLES: tuple[Callable[[str, str], str], ...] = (
    lambda name, text: f"Pick {name} for {text}.",
    lambda name, text: f"The tag {name} is for {text}.",
    lambda name, text: f"If the text is about {text}, answer {name}.",
    lambda name, text: f"{name.capitalize()} covers {text}.",
    lambda name, text: f"Say {name} when it is {text}.",
    lambda name, text: f"Texts about {text} get {name}.",
)


def _prose(defs: dict[str, str], style: int = 0) -> str:
    write = _PROSE_STYLES[style % len(_PROSE_STYLES)]
    rules = " ".join(write(name, text) for name, text in defs.items())
    return f"You are a careful tagger. {rules} Give the tag and nothing else."


def _parens(defs: dict[str, str]) -> str:
    items = [f"{name} ({text})" for name, text in defs.items()]
    return f"Decide whether the text is {', '.join(items[:-1])} or {items[-1]}."


def _table(defs: dict[str, str]) -> str:
    rows = "\n".join(f"| {name} | {text} |" for name, text in defs.items())
    return f"Use the tag table below.\n\n| tag | when to use it |\n| --- | --- |\n{rows}"


def _yaml(defs: dict[str, str]) -> str:
    items = "\n".join(f"  {name}: {text}" for name, text in defs.items())
    return f"Tag the text. The tags:\ncategories:\n{items}\nReply with a single tag."


def _one_of(defs: dict[str, str]) -> str:
    names = list(defs)
    return f"Respond with just one of these words: {' / '.join(names)}."


LAYOUTS: dict[str, Layout] = {
    "bullets": _bullets,
    "prose": _prose,
    "parentheses": _parens,
    "table": _table,
    "yaml": _yaml,
    "one_of": _one_of,
}
ALL_LAYOUTS = (*LAYOUTS, "json_schema")


def _schema(defs: dict[str, str]) -> dict:
    described = " ".join(f"{name} = {text}." for name, text in defs.items())
    return {
        "type": "object",
        "properties": {"tag": {"type": "string", "enum": list(defs), "description": described}},
        "required": ["tag"],
        "additionalProperties": False,
    }


def ask(sim: Simulator, model: str, layout: str, set_name: str, text: str, seed: int):
    """The label the reply gives (None if off-label) and the skill that answered."""
    defs = SETS[set_name]["defs"]
    if layout == "json_schema":
        schema = _schema(defs)
        request = SimRequest(
            model,
            [
                {"role": "system", "content": "Tag the text you are given."},
                {"role": "user", "content": text},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "tag", "schema": schema, "strict": True},
            },
            seed=seed,
        )
        result = sim.complete(request)
        try:
            value = json.loads(result.content or "")
            jsonschema.validate(value, schema)
        except (ValueError, jsonschema.ValidationError):
            return None, result.skill
        return value["tag"], result.skill
    if layout == "prose":
        system = _prose(defs, style=list(SETS).index(set_name))
    else:
        system = LAYOUTS[layout](defs)
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": f"Text: {text}"},
    ]
    result = sim.complete(SimRequest(model, messages, seed=seed))
    content = (result.content or "").strip()
    return (content if content in defs else None), result.skill


def measure(model: str, layout: str, seeds: int = 3, sets=None) -> tuple[float, float, dict]:
    """(accuracy, off-label share, accuracy per set) at temperature 0 over `seeds` seeds."""
    sim = Simulator()
    right = off = total = 0
    per_set: dict[str, float] = {}
    for set_name in sets or SETS:
        hits = count = 0
        for text, gold in SETS[set_name]["inputs"]:
            for seed in range(seeds):
                got, _ = ask(sim, model, layout, set_name, text, seed)
                hits += got == gold
                off += got is None
                count += 1
        right += hits
        total += count
        per_set[set_name] = hits / count
    return right / total, off / total, per_set


@pytest.mark.parametrize("layout", ALL_LAYOUTS)
@pytest.mark.parametrize("set_name", sorted(SETS))
def test_every_layout_states_the_exact_label_set(layout: str, set_name: str) -> None:
    defs = SETS[set_name]["defs"]
    if layout == "json_schema":
        got, skill = ask(Simulator(), "sim-large", layout, set_name, "hello", 0)
        assert skill == "extract" and got in defs
        return
    if layout == "prose":
        system = _prose(defs, style=list(SETS).index(set_name))
    else:
        system = LAYOUTS[layout](defs)
    spec = label_spec([{"role": "system", "content": system}, {"role": "user", "content": "x"}])
    assert spec is not None, system
    assert sorted(spec.labels) == sorted(defs), system


@pytest.mark.parametrize("style", range(len(_PROSE_STYLES)))
@pytest.mark.parametrize("set_name", sorted(SETS))
def test_every_prose_style_names_the_labels(style: int, set_name: str) -> None:
    defs = SETS[set_name]["defs"]
    system = _prose(defs, style)
    spec = label_spec([{"role": "system", "content": system}, {"role": "user", "content": "x"}])
    assert spec is not None, system
    assert sorted(spec.labels) == sorted(defs), system


_DESKS = {
    "sport": "games, teams and athletes",
    "politics": "elections, governments and laws",
    "science": "research, space and discoveries",
}
# More ways to write a prose label set, each in one sentence per label.
_MORE_PROSE = [
    lambda n, d: f"{n.capitalize()} articles cover {d}.",
    lambda n, d: f"Put articles about {d} under {n}.",
    lambda n, d: f"{n.capitalize()} news is about {d}.",
    lambda n, d: f"The {n} desk wants {d};",
    lambda n, d: f"Classify pieces about {d} as {n}.",
    lambda n, d: f"Mark it as {n} if it talks about {d}.",
    lambda n, d: f"**{n}** is for {d}.",
    lambda n, d: f"{n} means {d};",
    lambda n, d: f"Stories covering {d} belong to the {n} desk.",
    lambda n, d: f"A story about {d} is {n}.",
]


@pytest.mark.parametrize("form", range(len(_MORE_PROSE)))
def test_more_prose_forms_name_the_labels(form: int) -> None:
    rules = " ".join(_MORE_PROSE[form](n, d) for n, d in _DESKS.items())
    system = f"Assign a topic to each news item. {rules} Reply with the topic only."
    spec = label_spec([{"role": "system", "content": system}, {"role": "user", "content": "x"}])
    assert spec is not None and sorted(spec.labels) == sorted(_DESKS), system


_TEAMS = {
    "kestrel": "payments, invoices and refunds",
    "otter": "crashes, error messages and broken pages",
    "maple": "logins, passwords and locked accounts",
}
# Opaque team names: only the sentences say what each one takes.
_TEAM_PROSE = [
    lambda n, d: f"Team {n.capitalize()} handles {d}.",
    lambda n, d: f"Route {d} to {n}.",
    lambda n, d: f"The {n} team looks after {d}.",
    lambda n, d: f"{d.capitalize()} are for {n}.",
    lambda n, d: f"Tickets about {d} are handled by {n}.",
    lambda n, d: f"{n} means {d};",
]


@pytest.mark.parametrize("form", range(len(_TEAM_PROSE)))
def test_opaque_team_names_defined_in_prose(form: int) -> None:
    rules = " ".join(_TEAM_PROSE[form](n, d) for n, d in _TEAMS.items())
    system = f"Route each ticket to one team. {rules} Answer with the team name only."
    spec = label_spec([{"role": "system", "content": system}, {"role": "user", "content": "x"}])
    assert spec is not None, system
    assert sorted(label.lower() for label in spec.labels) == sorted(_TEAMS), system
    assert all(spec.definitions.get(label) for label in spec.labels), spec


@pytest.mark.parametrize(
    "prose",
    [
        # Parallel sentences that are no label set: nothing is asked to be chosen.
        "Read the ticket carefully. Read the reply carefully. Then write a summary.",
        "Our office opens at nine. Our shop opens at ten. Say hello to visitors.",
    ],
)
def test_parallel_sentences_without_a_choice_state_no_set(prose: str) -> None:
    spec = label_spec([{"role": "system", "content": prose}, {"role": "user", "content": "x"}])
    assert spec is None


@pytest.mark.parametrize("layout", ALL_LAYOUTS)
def test_no_off_label_replies(layout: str) -> None:
    _, off, _ = measure("sim-small", layout, seeds=1)
    assert off == 0.0


@pytest.mark.parametrize("layout", ALL_LAYOUTS)
def test_accuracy_floor_in_every_layout(layout: str) -> None:
    # Far above a guess (about 0.3): the floor a reader of meaning must clear on unseen sets.
    small, _, _ = measure("sim-small", layout, seeds=2)
    large, _, _ = measure("sim-large", layout, seeds=2)
    assert small >= 0.6 and large >= 0.65, (small, large)


def main() -> None:
    print(f"{'layout':12} {'sim-small':>9} {'sim-large':>9} {'off':>5}   per set (sim-large)")
    for layout in ALL_LAYOUTS:
        small, off, _ = measure("sim-small", layout)
        large, _, per_set = measure("sim-large", layout)
        sets = " ".join(f"{k}={v:.2f}" for k, v in per_set.items())
        print(f"{layout:12} {small:9.3f} {large:9.3f} {off:5.3f}   {sets}")
    sim = Simulator()
    hard = [(s, t, g) for s, items in HARD.items() for t, g in items]
    got = [ask(sim, "sim-large", "bullets", s, t, 0)[0] == g for s, t, g in hard]
    print(f"hard inputs right (sim-large, bullets, seed 0): {sum(got)}/{len(got)}")


if __name__ == "__main__":
    sys.exit(main())
