"""Grounded answering: extractive answers from supplied passages, abstention, fabrication.

The rate tests build a small fictional world (services with a port, a log retention, an
owning team, a database timeout; teams with a manager), ask generated questions with
different contexts and count. They assert the documented directions with margins; run as a
script, the file prints the tables in docs/SIMULATOR.md, including the handbook numbers.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from course.sim import SimRequest, Simulator
from course.sim.reading.facts import abstains
from course.sim.reading.passages import STANDARD_ABSTENTION, qa_task

PREFIXES = [
    "ledger",
    "billing",
    "search",
    "quota",
    "audit",
    "relay",
    "media",
    "auth",
    "edge",
    "cache",
    "mail",
    "report",
]
SUFFIXES = ["api", "worker", "gateway", "store", "router", "agent", "indexer", "proxy"]
TEAMS = ["Payments", "Identity", "Storage", "Messaging", "Observability", "Compute", "Networking"]
MANAGERS = ["Grace Mwangi", "Owen Gallagher", "Lucia Fernandez", "Aisha Rahman", "Tomas Berg"]
FILLER = [
    "It is deployed in every region.",
    "Changes to it follow the standard release train.",
    "Its dashboards live in the shared observability workspace.",
]
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "port": ("{svc} listens on port {v}.", "Which port does {svc} listen on?"),
    "retention": (
        "{svc} keeps its request logs for {v}.",
        "How long does {svc} keep its request logs?",
    ),
    "owner": ("{svc} is owned by the {v} team.", "Which team owns {svc}?"),
    "timeout": (
        "Calls from {svc} to its database time out after {v}.",
        "After how long do calls from {svc} to its database time out?",
    ),
}
CITE = "Cite the passage ids you used in square brackets."
ABSTAIN = 'If the passages do not contain the answer, reply "I don\'t know."'


@dataclass(frozen=True)
class Service:
    name: str
    doc: str
    values: dict[str, str]


@dataclass(frozen=True)
class Item:
    service: Service
    attribute: str

    @property
    def question(self) -> str:
        return ATTRIBUTES[self.attribute][1].format(svc=self.service.name)

    @property
    def value(self) -> str:
        return self.service.values[self.attribute]


def world(seed: int = 7) -> list[Service]:
    """Every prefix-suffix service, each with its own values (ports and timeouts unique)."""
    rng = random.Random(seed)
    names = [f"{a}-{b}" for a in PREFIXES for b in SUFFIXES]
    ports = rng.sample(range(2000, 9999), len(names))
    services = []
    for index, name in enumerate(names):
        values = {
            "port": str(ports[index]),
            "retention": f"{rng.choice([7, 14, 30, 45, 60, 90, 180])} days",
            "owner": rng.choice(TEAMS),
            "timeout": f"{rng.randint(2, 60)} seconds",
        }
        services.append(Service(name, f"doc-{index + 1:04d}#p2", values))
    return services


def passage(service: Service) -> str:
    """One service page: a title line, then a sentence per attribute and a filler."""
    facts = [ATTRIBUTES[a][0].format(svc=service.name, v=v) for a, v in service.values.items()]
    return f"[{service.doc}] Service: {service.name}\n" + " ".join([*facts, FILLER[0]])


def prompt(item: Item, context: list[Service], allow_abstain: bool, cite: bool = True) -> list:
    rules = " ".join(
        ["Answer the question using only the passages below."]
        + ([CITE] if cite else [])
        + ([ABSTAIN] if allow_abstain else [])
    )
    blocks = "\n\n".join(passage(s) for s in context)
    user = (
        f"Context:\n{blocks}\n\nQuestion: {item.question}"
        if context
        else (f"Question: {item.question}")
    )
    return [{"role": "system", "content": rules}, {"role": "user", "content": user}]


def correct(item: Item, answer: str) -> bool:
    """Right value, about the right service (a distractor states another service's value)."""
    return item.value in answer and item.service.name in answer


Context = Callable[[Item, random.Random], list[Service]]


def gold_plus(distractors: int) -> Context:
    def build(item: Item, rng: random.Random) -> list[Service]:
        others = [s for s in SERVICES if s is not item.service]
        chosen = [item.service, *rng.sample(others, distractors)]
        rng.shuffle(chosen)
        return chosen

    return build


def only_distractors(k: int) -> Context:
    def build(item: Item, rng: random.Random) -> list[Service]:
        return rng.sample([s for s in SERVICES if s is not item.service], k)

    return build


def no_context(item: Item, rng: random.Random) -> list[Service]:
    return []


SERVICES = world()


def items(n: int, seed: int = 3) -> list[Item]:
    rng = random.Random(seed)
    return [Item(rng.choice(SERVICES), rng.choice(list(ATTRIBUTES))) for _ in range(n)]


@dataclass
class Rates:
    correct: float
    abstained: float
    behaviours: dict[str, int]


def run(model: str, build: Context, allow_abstain: bool, n: int = 300, cite: bool = True) -> Rates:
    sim = Simulator()
    rng = random.Random(42)
    right = abstained = 0
    behaviours: dict[str, int] = {}
    for item in items(n):
        messages = prompt(item, build(item, rng), allow_abstain, cite)
        result = sim.complete(SimRequest(model=model, messages=messages))
        assert result.skill == "answer", result.skill
        right += correct(item, result.content)
        abstained += result.content == "I don't know."
        behaviours[result.skill_tag] = behaviours.get(result.skill_tag, 0) + 1
    return Rates(right / n, abstained / n, behaviours)


# --- recognising the task -----------------------------------------------------------------


def test_layouts_of_a_rag_prompt_are_recognised() -> None:
    text = "Blob keeps deleted objects for 30 days. Versioning is off by default."
    asked = "How long are deleted objects kept?"
    layouts = [
        f"<context>\n[doc-0001#p2] {text}\n</context>\nQuestion: {asked}",
        f'<documents><doc id="doc-0001#p2">{text}</doc></documents>\n<question>{asked}</question>',
        f"Context:\n{text}\n\nAnother block.\n\nQ: {asked}",
        f"[doc-0001#p2] {text}\n[doc-0009#p1] Queues keep messages.\n\n{asked}",
        f"Sources:\nSource 1: {text}\nSource 2: Queues keep messages.\n\nQuestion: {asked}",
    ]
    for layout in layouts:
        task = qa_task([{"role": "user", "content": layout}])
        assert task is not None, layout
        assert any("30 days" in p.text for p in task.passages), layout
        assert task.question.startswith("How long are deleted objects kept")
        result = Simulator().complete(
            SimRequest(model="sim-large", messages=[{"role": "user", "content": layout}])
        )
        assert "30 days" in result.content, (layout, result.content)


def test_rules_are_read_from_the_instructions() -> None:
    base = (
        "Context:\n[p1] Blob keeps deleted objects for 30 days.\n\n"
        "Question: How long are deleted objects kept?"
    )
    plain = qa_task([{"role": "user", "content": base}])
    assert plain is not None and not plain.cite and plain.abstain_phrase is None
    ruled = qa_task(
        [
            {
                "role": "system",
                "content": "Cite the source ids. If the context does not contain the answer, "
                "reply 'Not in the handbook.'",
            },
            {"role": "user", "content": base},
        ]
    )
    assert ruled is not None and ruled.cite and ruled.abstain_phrase == "Not in the handbook."
    standard = qa_task(
        [
            {"role": "system", "content": "Say you don't know if unsure."},
            {"role": "user", "content": base},
        ]
    )
    assert standard is not None and standard.abstain_phrase == STANDARD_ABSTENTION


@pytest.mark.parametrize(
    "text",
    [
        "What is a p95 latency?",  # a bare question stays a plain chat
        "Summarise this: the deploy failed twice. Question: none.",
        "Classify the ticket. Labels: billing, bug\nText: How do I get a refund?",
    ],
)
def test_prompts_that_are_not_grounded_questions_keep_their_skill(text: str) -> None:
    result = Simulator().complete(
        SimRequest(model="sim-small", messages=[{"role": "user", "content": text}])
    )
    assert result.skill != "answer"


def test_a_marked_question_without_context_is_answered_closed_book() -> None:
    messages = [
        {"role": "user", "content": "Question: How long does ledger-api keep its request logs?"}
    ]
    result = Simulator().complete(SimRequest(model="sim-small", messages=messages))
    assert result.skill_tag == "answer+fabricated"
    assert re.search(r"\d+ (?:minutes|hours|days)", result.content)  # a duration, made up


# --- what moves accuracy ----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["sim-small", "sim-large"])
def test_relevant_passage_beats_no_context(model: str) -> None:
    with_gold = run(model, gold_plus(0), allow_abstain=False)
    without = run(model, no_context, allow_abstain=False)
    wrong_context = run(model, only_distractors(3), allow_abstain=False)
    assert with_gold.correct >= 0.8
    assert without.correct == 0.0  # it knows nothing about the fictional company
    assert wrong_context.correct <= 0.02
    assert with_gold.correct - max(without.correct, wrong_context.correct) >= 0.75


@pytest.mark.parametrize(("model", "rate"), [("sim-small", 0.7), ("sim-large", 0.95)])
def test_abstains_when_allowed_and_the_context_lacks_the_answer(model: str, rate: float) -> None:
    lacking = run(model, only_distractors(3), allow_abstain=True)
    closed_book = run(model, no_context, allow_abstain=True)
    for rates in (lacking, closed_book):
        assert abs(rates.abstained - rate) < 0.08  # abstain_when_allowed_rate
        assert rates.correct == 0.0
    answered = run(model, gold_plus(0), allow_abstain=True)
    assert answered.abstained < 0.05  # the answer is there: no reason to abstain


@pytest.mark.parametrize("model", ["sim-small", "sim-large"])
def test_fabricates_when_abstaining_is_not_allowed(model: str) -> None:
    lacking = run(model, only_distractors(3), allow_abstain=False)
    assert lacking.abstained == 0.0
    assert lacking.behaviours == {"answer+fabricated": 300}
    assert lacking.correct == 0.0


def test_more_distractors_lower_small_tier_accuracy() -> None:
    small = {k: run("sim-small", gold_plus(k), allow_abstain=False).correct for k in (0, 4, 9)}
    large = {k: run("sim-large", gold_plus(k), allow_abstain=False).correct for k in (0, 4, 9)}
    assert small[0] - small[9] >= 0.12
    assert small[0] >= small[4] >= small[9]
    assert large[9] - small[9] >= 0.15
    assert large[0] - large[9] < small[0] - small[9]


def test_temperature_raises_distraction() -> None:
    def accuracy(temperature: float) -> float:
        sim, rng, right = Simulator(), random.Random(1), 0
        for item in items(1000):
            messages = prompt(item, gold_plus(4)(item, rng), allow_abstain=False)
            request = SimRequest(model="sim-small", messages=messages, temperature=temperature)
            right += correct(item, sim.complete(request).content)
        return right / 1000

    # distraction 0.12 x (1 + 0.15 x 4) = 0.19 at T=0, x1.5 = 0.29 at T=1
    assert accuracy(0.0) - accuracy(1.0) >= 0.05


def test_citations_name_the_passage_only_when_asked() -> None:
    sim, rng = Simulator(), random.Random(2)
    cited_right = answered = 0
    for item in items(100):
        context = gold_plus(2)(item, rng)
        result = sim.complete(SimRequest(model="sim-large", messages=prompt(item, context, False)))
        if correct(item, result.content):
            answered += 1
            cited_right += f"[{item.service.doc}]" in result.content
        bare = sim.complete(
            SimRequest(model="sim-large", messages=prompt(item, context, False, cite=False))
        )
        assert "[doc-" not in bare.content
    assert answered >= 80 and cited_right == answered


def test_superseded_and_dated_passages_lose_to_current_ones() -> None:
    question = "How many days does a refund take?"
    old = "Refunds are paid within 30 days of the request."
    new = "Refunds are paid within 10 days of the request."

    def ask(context: str) -> str:
        messages = [{"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"}]
        return Simulator().complete(SimRequest(model="sim-large", messages=messages)).content

    assert "10 days" in ask(f"[a] Superseded: this page is outdated. {old}\n[b] {new}")
    assert "10 days" in ask(f"[a] (updated 2023-01-10) {old}\n[b] (updated 2024-06-01) {new}")
    assert "30 days" in ask(f"[a] (updated 2024-06-01) {old}\n[b] (updated 2023-01-10) {new}")


def test_a_bridge_sentence_answers_a_two_hop_question() -> None:
    """service -> owning team (one passage) -> the team's manager (another passage)."""
    rng = random.Random(9)
    managers = dict(zip(TEAMS, rng.sample(MANAGERS * 2, len(TEAMS)), strict=False))
    sim, right = Simulator(), 0
    for item in items(60):
        team = item.service.values["owner"]
        team_page = f"[team-{team.lower()}] Team: {team}\nThe team is managed by {managers[team]}."
        context = f"{passage(item.service)}\n\n{team_page}"
        question = f"Who manages the team that owns {item.service.name}?"
        messages = [{"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"}]
        right += (
            managers[team] in sim.complete(SimRequest(model="sim-large", messages=messages)).content
        )
    assert right >= 50


class Answer(BaseModel):
    answer: str
    citations: list[str]
    answerable: bool


def test_structured_answers_fill_answer_citations_and_flag() -> None:
    item = items(1)[0]
    messages = prompt(item, [item.service], allow_abstain=True)
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "A", "schema": Answer.model_json_schema()},
    }
    result = Simulator().complete(
        SimRequest(model="sim-large", messages=messages, response_format=schema)
    )
    parsed = Answer.model_validate_json(result.content)
    assert item.value in parsed.answer and parsed.citations == [item.service.doc]
    assert parsed.answerable
    lacking = prompt(item, only_distractors(2)(item, random.Random(0)), allow_abstain=True)
    result = Simulator().complete(
        SimRequest(model="sim-large", messages=lacking, response_format=schema)
    )
    parsed = Answer.model_validate_json(result.content)
    assert (parsed.answer, parsed.citations, parsed.answerable) == ("I don't know.", [], False)


def test_prose_json_answers_can_be_malformed_like_any_prose_json() -> None:
    sim, broken = Simulator(), 0
    for item in items(400):
        messages = prompt(item, [item.service], allow_abstain=False)
        messages[0]["content"] += ' Reply as JSON: {"answer": "...", "sources": []}'
        text = sim.complete(SimRequest(model="sim-small", messages=messages)).content
        try:
            json.loads(text)
        except ValueError:
            broken += 1
    assert 0.08 < broken / 400 < 0.23  # malformed_json_rate 0.15


# --- the tables in docs/SIMULATOR.md -------------------------------------------------------------


def print_tables() -> None:
    print("Generated world, 300 questions, accuracy (abstention rate):")
    for model in ("sim-small", "sim-large"):
        cells = []
        for label, build in [
            ("relevant only", gold_plus(0)),
            ("+4 distractors", gold_plus(4)),
            ("+9 distractors", gold_plus(9)),
            ("no context", no_context),
        ]:
            strict = run(model, build, allow_abstain=False)
            allowed = run(model, build, allow_abstain=True)
            cells.append(
                f"{label}: {strict.correct:.3f} / {allowed.correct:.3f} ({allowed.abstained:.2f})"
            )
        print(f"{model}: " + "; ".join(cells))
    lacking = {m: run(m, only_distractors(3), True).abstained for m in ("sim-small", "sim-large")}
    print(f"abstained when allowed and the context lacks the answer: {lacking}")


def print_handbook() -> None:
    """Accuracy on the handbook dev questions: gold passages, BM25 top-5, no context."""
    from course.data.handbook import load_corpus, load_qa, passages
    from course.retrieval import BM25Index, handbook_chunks

    split = sys.argv[2] if len(sys.argv) > 2 else "dev"
    by_id = {p.id: p for p in passages(load_corpus())}
    chunks = handbook_chunks("paragraph")
    index, chunk_by = BM25Index.build(chunks), {c.id: c for c in chunks}
    questions = load_qa(split)
    system = (
        "You answer questions about the Northwind Cloud engineering handbook using only the "
        "passages provided. Cite the passage ids you used in square brackets."
    )

    def context(question, mode: str) -> list[tuple[str, str, str]]:
        if mode == "gold":
            return [(p, by_id[p].title, by_id[p].text) for p in question.supporting_passage_ids]
        if mode == "none":
            return []
        hits = [chunk_by[h.chunk_id] for h in index.search(question.question, k=5)]
        return [(c.passage_ids[0], c.title, c.text) for c in hits]

    def right(question, answer: str) -> bool:
        if not question.answerable:
            return abstains(answer)
        found = answer.lower()
        return all(
            re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", found) for k in question.key_facts
        )

    print(f"Handbook {split} questions ({len(questions)}), share right:")
    for rule, suffix in [
        ("no abstain rule", ""),
        ("abstain allowed", " If the passages do not contain the answer, say you don't know."),
    ]:
        for model in ("sim-small", "sim-large"):
            row = []
            for mode in ("gold", "bm25-top5", "none"):
                sim, ok, ok_answerable, n_answerable = Simulator(), 0, 0, 0
                for q in questions:
                    blocks = "\n\n".join(f"[{i}] {t}\n{x.strip()}" for i, t, x in context(q, mode))
                    user = (
                        f"Context:\n{blocks}\n\nQuestion: {q.question}"
                        if blocks
                        else f"Question: {q.question}"
                    )
                    messages = [
                        {"role": "system", "content": system + suffix},
                        {"role": "user", "content": user},
                    ]
                    good = right(
                        q, sim.complete(SimRequest(model=model, messages=messages)).content
                    )
                    ok += good
                    if q.answerable:
                        n_answerable += 1
                        ok_answerable += good
                share = ok_answerable / n_answerable
                row.append(f"{mode}: {ok / len(questions):.3f} (answerable {share:.3f})")
            print(f"  {rule:16} {model}: " + "; ".join(row))


# --- techniques by meaning: the abstention rule in any words, paraphrased questions -----------
# Written for these tests, not taken from the simulator's phrasings.
ABSTAIN_PARAPHRASES = [
    "Stick to the passages. When they leave the question open, tell the user you don't know.",
    "If nothing in the context answers it, answer 'Not covered by the docs.'",
    "Should the excerpts fail to mention the answer, say that you are unable to answer.",
    "Do not answer from memory; if the sources lack the fact, reply that it is unknown.",
    "Where the provided pages don't say, admit you can't tell.",
    "In case the answer isn't in the supplied material, respond with 'No information available'.",
    "It is better to say you are not sure than to answer without support from the passages.",
    "Only reply when the context has the answer; otherwise state that the context lacks it.",
    "You may decline to answer if the documents do not contain what is asked.",
    "When the retrieved text is silent on the question, say you have no answer.",
]
ABSTAIN_CONTENT_FREE = [
    "Take your time. Never guess. You must focus.",
    "Be accurate and helpful.",
    "Think carefully before you answer.",
    "Answer in one short sentence.",
    "You are an expert on our internal services.",
]
PARAPHRASED_QUESTIONS = {
    "port": "On what network port can I reach {svc}?",
    "retention": "For what period are the request records of {svc} retained?",
    "owner": "Who is responsible for {svc}?",
    "timeout": "When does {svc} give up waiting on its database?",
}


def abstain_rate(model: str, rule: str, n: int = 200) -> float:
    """Share of abstentions when the context lacks the answer (three other services' pages)."""
    sim, rng, abstained = Simulator(), random.Random(5), 0
    for item in items(n, seed=9):
        messages = prompt(item, only_distractors(3)(item, rng), allow_abstain=False)
        messages[0]["content"] += " " + rule
        result = sim.complete(SimRequest(model=model, messages=messages))
        abstained += "abstained" in result.behaviours
    return abstained / n


@pytest.mark.parametrize("model", ["sim-small", "sim-large"])
def test_abstention_rule_in_other_words_keeps_most_of_its_effect(model: str) -> None:
    documented = abstain_rate(model, ABSTAIN)
    assert abstain_rate(model, "") == 0.0
    ratios = sorted(abstain_rate(model, rule) / documented for rule in ABSTAIN_PARAPHRASES)
    assert ratios[len(ratios) // 2] >= 0.7, ratios


@pytest.mark.parametrize("model", ["sim-small", "sim-large"])
def test_content_free_instructions_allow_no_abstention(model: str) -> None:
    documented = abstain_rate(model, ABSTAIN)
    ratios = [abstain_rate(model, rule, n=100) / documented for rule in ABSTAIN_CONTENT_FREE]
    assert max(ratios) <= 0.2, ratios


def paraphrased_accuracy(model: str, use_meaning: bool, monkeypatch) -> float:
    module = sys.modules["course.sim.skills.grounded"]
    if not use_meaning:
        monkeypatch.setattr(module, "SEMANTIC_RANK", 0.0)
        monkeypatch.setattr(module, "SEMANTIC_COVERAGE", 0.0)
    sim, rng, right = Simulator(), random.Random(8), 0
    chosen = items(200, seed=12)
    for item in chosen:
        messages = prompt(item, gold_plus(2)(item, rng), allow_abstain=True)
        question = PARAPHRASED_QUESTIONS[item.attribute].format(svc=item.service.name)
        messages[1]["content"] = messages[1]["content"].replace(item.question, question)
        right += correct(item, sim.complete(SimRequest(model=model, messages=messages)).content)
    monkeypatch.undo()
    return right / len(chosen)


def test_meaning_helps_paraphrased_questions_find_their_sentence(monkeypatch) -> None:
    lexical = paraphrased_accuracy("sim-large", False, monkeypatch)
    blended = paraphrased_accuracy("sim-large", True, monkeypatch)
    assert blended >= lexical + 0.1, (lexical, blended)


def print_technique_tables() -> None:
    """Abstention rule: documented effect and paraphrase ratios; paraphrased questions."""
    for model in ("sim-small", "sim-large"):
        documented = abstain_rate(model, ABSTAIN)
        ratios = sorted(abstain_rate(model, rule) / documented for rule in ABSTAIN_PARAPHRASES)
        free = sorted(abstain_rate(model, rule) / documented for rule in ABSTAIN_CONTENT_FREE)
        print(
            f"{model}: abstains {documented:.3f} with the documented rule, 0 without; "
            f"paraphrases median ratio {ratios[len(ratios) // 2]:.2f} (min {ratios[0]:.2f}); "
            f"content-free max ratio {free[-1]:.2f}"
        )


CITE_PARAPHRASES = [
    "Say which document you took the answer from, using its tag.",
    "Add the identifier of the passage you quoted, in brackets.",
    "Mention the passage number that supports your answer.",
    "Put the source tag after every sentence you write.",
    "For each claim, show the id of the page it came from.",
]
CITE_CONTENT_FREE = [
    "Make sure your answer is well founded. Never guess.",
    "Use the documents below to answer.",
    "Answer in a professional tone.",
]


def test_a_citation_rule_in_other_words_adds_citations() -> None:
    sim, item = Simulator(), items(1, seed=4)[0]

    def cited(rule: str) -> bool:
        messages = prompt(item, [item.service], allow_abstain=False, cite=False)
        messages[0]["content"] += " " + rule
        content = sim.complete(SimRequest(model="sim-large", messages=messages)).content
        return f"[{item.service.doc}]" in content

    assert sum(cited(rule) for rule in CITE_PARAPHRASES) >= 4
    assert not any(cited(rule) for rule in CITE_CONTENT_FREE)


if __name__ == "__main__":
    if "--techniques" in sys.argv:
        print_technique_tables()
    elif "--handbook" in sys.argv:
        print_handbook()
    else:
        print_tables()


def test_a_lone_placeholder_line_in_a_ticket_is_not_a_passage():
    """Redaction placeholders such as [EMAIL_1] alone on a line must not turn an extraction
    request into question answering."""
    from course.data.tickets import TicketFields

    schema = TicketFields.model_json_schema()
    ticket = (
        "<ticket>\nHow do I change my email? My order ORD-12345 is late.\nBest,\nSophia\n"
        "[EMAIL_1]\n</ticket>"
    )
    result = Simulator().complete(
        SimRequest(
            model="sim-large",
            messages=[
                {"role": "system", "content": "Extract the fields. Reply with JSON."},
                {"role": "user", "content": ticket},
            ],
            response_format={"type": "json_schema", "json_schema": {"name": "f", "schema": schema}},
        )
    )
    assert result.skill == "extract"
    assert json.loads(result.content)["order_id"] == "ORD-12345"
