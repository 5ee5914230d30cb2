"""Answer a question from supplied passages, extractively, or abstain, or make something up.

The mechanism, in the order it runs (docs/SIMULATOR.md has the numbers):
1. Match: the question's content words (stemmed; numbers, identifiers and hyphenated names
   weigh 2, capitalised names 1.5, other words 1) against every sentence of every passage,
   blended with meaning (course.sim.meaning): a sentence whose cosine with the question
   exceeds SEMANTIC_FLOOR gains SEMANTIC_RANK x the question's weight x the excess in score
   and SEMANTIC_COVERAGE x the excess in coverage, so a paraphrased question still finds it.
   A sentence scores the weights of the question words it holds, each times an IDF factor
   (1 + ln(sentences / sentences holding the word)) - a word in the passage's title or the
   heading above counts as in the sentence -, plus 0.3 x those its passage holds
   elsewhere; x1.5 if it holds a value of the kind the question asks
   for (a duration for "how long", a name for "who"); x0.5 if its passage is marked
   superseded. Among near-ties (within 10%), a more recently dated passage wins.
2. Decide whether the context answers: the best sentence must cover half the question's
   weight (words elsewhere in its passage count half), and every key term of the question
   (a number, a code, a hyphenated name, a capitalised name) must occur in some passage.
3. If it does: the best sentence is the answer, plus a second one that follows a bridge (it
   holds question words the first lacks, and it or its passage names something the first
   introduces). With probability
       grounding_error_rate x (1 + context_dilution x (passages - 1)) x (1 + 0.5 T)
   the answer is a distractor instead: the best sentence of another passage that shares
   question words. More passages, more distraction: better retrieval helps twice.
4. If it does not: abstain with the prompt's phrase, if the prompt allows it, with
   probability abstain_when_allowed_rate; otherwise answer anyway, from the best-matching
   sentence that holds a value of the asked-for kind (a near miss), or such a value taken
   from any passage, or, with no passages, a made-up one. That is a hallucination, and the
   reply says so in its behaviours ("fabricated"); it can be right by luck.
Citations ([label] after each sentence) are added when the instructions ask for them.
Before all this, an order planted in a passage (indirect injection, behaviours/injection.py) may be
obeyed: the answer is then what the order demands, with the behaviour "injected".
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from course.sim import meaning
from course.sim.behaviours import injection
from course.sim.reading import facts
from course.sim.reading.passages import QATask, qa_task
from course.sim.reading.text import STOPWORDS, identifier_words, prose_sentences, stem, words
from course.sim.skills.base import Context, Reply
from course.sim.writing import Filler, dump_json, prompt_schema, wants_json

FOUND_THRESHOLD = 0.5  # share of the question's weight the best sentence must cover
CONTEXT_WEIGHT = 0.3  # a question word elsewhere in the passage, for ranking
CONTEXT_COVERAGE = 0.5  # ... and for coverage
TYPE_BONUS = 1.5  # a sentence holding a value of the asked-for kind
SUPERSEDED_FACTOR = 0.5
NEAR_TIE = 0.9
SEMANTIC_FLOOR = 0.35  # cosine below which meaning adds nothing (unrelated text sits ~0.1-0.35)
SEMANTIC_RANK = 0.25  # rank: + this x the question's weight x (cosine - floor)
SEMANTIC_COVERAGE = 1.5  # coverage: + this x (cosine - floor)
_MAX_P = 0.95
_MAX_WORDS = 60

# Question words that frame the question rather than name what it is about.
_FRAME_TEXT = "long many much often soon quickly exactly"
_FRAME = frozenset(stem(w) for w in _FRAME_TEXT.split())
_TOKEN = re.compile(r"`[^`\n]+`|[\w][\w#./&'-]*")
_MADE_UP_NAMES = ("Alex Rivera", "Sam Okafor", "Jordan Lee", "Morgan Chen", "Priya Raman")
_MADE_UP_TEAMS = ("Platform", "Core Services", "Reliability", "Edge", "Foundations")
_DURATION_UNITS = ("minutes", "hours", "days")


@dataclass(frozen=True)
class Sentence:
    """A candidate answer sentence, the index of its passage, and its words.

    `scope` holds the words of the passage's title and of the heading above the sentence:
    they say what the sentence is about ("Service: alert-router" / "## Regions"), so a
    question word found there counts as found in the sentence.
    """

    text: str
    passage: int
    terms: frozenset[str]
    scope: frozenset[str] = frozenset()

    @property
    def about(self) -> frozenset[str]:
        return self.terms | self.scope


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float
    coverage: float


@dataclass(frozen=True)
class Outcome:
    """What the answerer decided: the sentences (or phrase) to say, their passages, and why."""

    texts: list[str]
    passages: list[int]
    behaviour: str | None = None  # "abstained", "fabricated", "distracted" or None
    coverage: float = 0.0  # the best sentence's share of the question's weight


def question_terms(question: str) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """Weighted stems of the question, and its key terms as (kind, normalised text).

    Key terms are what the context must mention for an answer to exist: tokens with a digit,
    a back-tick, an underscore, a slash, a # or a hyphen ("NW-4107", "ledger-api", "on-call"),
    matched as a phrase, and capitalised words after the first, matched as a word. A
    question about "ledger-api" is not answered from a page about "billing-api".
    """
    weights: dict[str, float] = {}
    keys: list[tuple[str, str]] = []
    for index, match in enumerate(_TOKEN.finditer(question)):
        raw = match.group(0).strip("`'.")
        if not raw:
            continue
        coded = match.group(0).startswith("`") or bool(re.search(r"[_/#]|\d", raw))
        hyphened = "-" in raw.strip("-")
        capitalised = raw[0].isupper() and index > 0 and raw.lower() not in STOPWORDS
        weight = 2.0 if coded or hyphened else 1.5 if capitalised or raw.isupper() else 1.0
        for term in words(raw):
            if term not in _FRAME:
                weights[term] = max(weights.get(term, 0.0), weight)
        if coded or hyphened:
            keys.append(("code", _normalise(raw)))
        elif capitalised:
            keys.append(("name", stem(raw.lower())))
    return weights, keys


def _normalise(text: str) -> str:
    return re.sub(r"[-_\s]+", " ", text.lower()).strip()


def sentences_of(task: QATask) -> list[Sentence]:
    """Every answer-worthy sentence of every passage.

    Context only, never an answer: markdown headings, code-fence markers, and a passage's
    first line when it is a title (eight words or fewer, no full stop, more lines follow);
    their words become the scope of the sentences below them. A table row is read with its
    header row ("Tier: T2; Requests per minute: 1,200").
    """
    found = []
    for index, passage in enumerate(task.passages):
        lines = [line.strip() for line in passage.text.splitlines()]
        header: list[str] = []
        title: set[str] = set()
        heading: set[str] = set()
        for number, line in enumerate(lines):
            if line.startswith("#"):
                heading = set(words(line))
                continue
            if not line or line.startswith("```"):
                continue
            if number == 0 and _is_title(line) and any(lines[1:]):
                title = set(words(line))
                continue
            if line.startswith("|"):
                cells = [cell.strip() for cell in line.strip("|").split("|")]
                if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell):
                    continue  # the |---|---| rule under a header
                if not header:
                    header = cells
                    continue
                pairs = zip(header, cells, strict=False)
                line = "; ".join(f"{h}: {c}" if h else c for h, c in pairs)
            else:
                header = []
            line = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", line)
            for sentence in prose_sentences(line):
                terms = frozenset(words(sentence))
                if terms:
                    found.append(Sentence(sentence, index, terms, frozenset(title | heading)))
    return found


def _is_title(line: str) -> bool:
    return len(line.split()) <= 8 and not re.search(r"[.!?]$", line)


def semantic_closeness(question: str, candidates: list[Sentence]) -> list[float]:
    """How much closer than SEMANTIC_FLOOR each sentence is to the question in meaning
    (course.sim.meaning cosine minus the floor, at least 0): a paraphrased question still
    finds the sentence that answers it, though it shares few of its words."""
    if not candidates:
        return []
    sims = meaning.similarities(question, [c.text for c in candidates])
    return [max(0.0, float(value) - SEMANTIC_FLOOR) for value in sims]


def rank(task: QATask, weights: dict[str, float], candidates: list[Sentence]) -> list[Scored]:
    """Candidates by score, best first (ties: earlier first); formula in the module docstring."""
    total = sum(weights.values()) or 1.0
    n = len(candidates)
    df = {t: sum(t in s.about for s in candidates) for t in weights}
    idf = {t: 1 + math.log(n / df[t]) if df[t] else 0.0 for t in weights}
    passage_terms = [set(words(p.text)) for p in task.passages]
    kind = facts.answer_type(task.question)
    close = semantic_closeness(task.question, candidates)
    scored = []
    for sentence, nearness in zip(candidates, close, strict=True):
        inside = [t for t in weights if t in sentence.about]
        around = [
            t for t in weights if t not in sentence.about and t in passage_terms[sentence.passage]
        ]
        score = sum(weights[t] * idf[t] for t in inside)
        score += CONTEXT_WEIGHT * sum(weights[t] * idf[t] for t in around)
        score += SEMANTIC_RANK * total * nearness
        if kind != "sentence" and facts.value_of(kind, sentence.text):
            score *= TYPE_BONUS
        if task.passages[sentence.passage].superseded:
            score *= SUPERSEDED_FACTOR
        covered = sum(weights[t] for t in inside) + CONTEXT_COVERAGE * sum(
            weights[t] for t in around
        )
        scored.append(Scored(sentence, score, covered / total + SEMANTIC_COVERAGE * nearness))
    order = sorted(range(len(scored)), key=lambda i: (-scored[i].score, i))
    return [scored[i] for i in order]


def _prefer_recent(task: QATask, ranked: list[Scored]) -> Scored:
    """Among near-ties with the best, the sentence from the most recently dated passage."""
    best = ranked[0]
    close = [s for s in ranked if s.score >= NEAR_TIE * best.score and s.score > 0]
    dated = [s for s in close if task.passages[s.sentence.passage].date]
    if len(dated) < 2:
        return best
    return max(dated, key=lambda s: (task.passages[s.sentence.passage].date, s.score))


def missing_keys(task: QATask, keys: list[tuple[str, str]]) -> list[str]:
    """Key terms of the question that no passage mentions."""
    text = _normalise(" ".join(p.text for p in task.passages))
    stems = set(words(text))
    missing = []
    for kind, key in keys:
        if kind == "name":
            present = key in stems
        else:
            present = bool(re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text))
        if not present:
            missing.append(key)
    return missing


def _bridge(
    task: QATask, first: Scored, weights: dict[str, float], ranked: list[Scored]
) -> Scored | None:
    """A second sentence, from another passage, that continues the first (service -> owning
    team -> the team page's manager; plan -> tier -> the tier's limit).

    It must hold question words the first lacks and mention something the first introduces
    (a name, a hyphenated name or an identifier the question does not use), in the sentence
    itself (counts 2) or elsewhere in its passage (counts 1).
    """
    uncovered = {t for t in weights if t not in first.sentence.about}
    if sum(weights[t] for t in uncovered) < 1.0:
        return None
    text = first.sentence.text
    introduced = facts.names(text) | _hyphened(text)
    introduced |= {t for token in facts.identifiers(text) for t in words(token)}
    introduced -= set(weights)
    passage_terms = [set(words(p.text)) for p in task.passages]
    best, best_score = None, 0.0
    for other in ranked:
        if other.sentence.passage == first.sentence.passage:
            continue
        shared = uncovered & other.sentence.terms
        in_sentence = introduced & other.sentence.terms
        in_passage = (introduced & passage_terms[other.sentence.passage]) - in_sentence
        if shared and (in_sentence or in_passage):
            score = sum(weights[t] for t in shared) + 2 * len(in_sentence) + len(in_passage)
            if score > best_score:
                best, best_score = other, score
    return best


def _hyphened(text: str) -> set[str]:
    return {t for token in re.findall(r"\w+(?:-\w+)+", text) for t in words(token)}


def decide(ctx: Context, task: QATask) -> Outcome:
    """Run steps 1-4 of the module docstring."""
    weights, keys = question_terms(task.question)
    candidates = sentences_of(task)
    ranked = rank(task, weights, candidates) if candidates and weights else []
    best = _prefer_recent(task, ranked) if ranked else None
    rng = ctx.stream("grounded")
    if (
        best is not None
        and best.score > 0
        and best.coverage >= FOUND_THRESHOLD
        and not missing_keys(task, keys)
    ):
        return _answer(ctx, task, best, weights, ranked, rng)
    coverage = best.coverage if best else 0.0
    if task.abstain_phrase is not None:
        fabricate_p = min(1.0, (1 - ctx.knob("abstain_when_allowed_rate")) * ctx.heat)
        if rng.random() >= fabricate_p:
            return Outcome([task.abstain_phrase], [], "abstained", coverage)
    return _fabricate(task, ranked, rng, coverage)


def distraction_probability(ctx: Context, passages: int) -> float:
    """grounding_error_rate x (1 + context_dilution x (passages - 1)) x heat, capped."""
    p = ctx.knob("grounding_error_rate") * (1 + ctx.knob("context_dilution") * max(0, passages - 1))
    return min(_MAX_P, p * ctx.heat)


def _answer(
    ctx: Context,
    task: QATask,
    best: Scored,
    weights: dict[str, float],
    ranked: list[Scored],
    rng: random.Random,
) -> Outcome:
    if rng.random() < distraction_probability(ctx, len(task.passages)):
        others = [s for s in ranked if s.score > 0 and s.sentence != best.sentence]
        elsewhere = [s for s in others if s.sentence.passage != best.sentence.passage]
        if others:
            wrong = (elsewhere or others)[0].sentence
            return Outcome([wrong.text], [wrong.passage], "distracted", best.coverage)
    chosen = [best]
    second = _bridge(task, best, weights, ranked)
    if second is not None:
        chosen.append(second)
    texts = [s.sentence.text for s in chosen]
    return Outcome(texts, [s.sentence.passage for s in chosen], None, best.coverage)


def _fabricate(task: QATask, ranked: list[Scored], rng: random.Random, coverage: float) -> Outcome:
    """A confident answer without support: a near miss, a borrowed value, or a made-up one."""
    kind = facts.answer_type(task.question)
    for scored in ranked:
        if scored.score > 0 and (kind == "sentence" or facts.value_of(kind, scored.sentence.text)):
            sentence = scored.sentence
            return Outcome([sentence.text], [sentence.passage], "fabricated", coverage)
    for scored in ranked:
        value = facts.value_of(kind, scored.sentence.text)
        if value:
            text = value[:1].upper() + value[1:] + "."
            return Outcome([text], [scored.sentence.passage], "fabricated", coverage)
    return Outcome([made_up(kind, task.question, rng)], [], "fabricated", coverage)


def made_up(kind: str, question: str, rng: random.Random) -> str:
    """A value of the asked-for kind from nowhere: what a model says when it has nothing."""
    if kind == "duration":
        units = [u for u in _DURATION_UNITS if u.rstrip("s") in question.lower()]
        unit = units[0] if units else rng.choice(_DURATION_UNITS)
        return f"{rng.choice((5, 10, 15, 30, 45, 60, 90))} {unit}."
    if kind == "percent":
        return f"{rng.choice((50, 75, 80, 90, 95, 99, 99.9))}%."
    if kind == "money":
        return f"${rng.choice((9, 19, 29, 49, 99, 199))}."
    if kind == "number":
        return f"{rng.choice((3, 5, 10, 20, 50, 100, 250, 500, 1000))}."
    if kind == "version":
        return f"{rng.randint(1, 5)}.{rng.randint(0, 20)}.0."
    if kind == "date":
        year, month, day = (
            rng.choice((2021, 2022, 2023, 2024)),
            rng.randint(1, 12),
            rng.randint(1, 28),
        )
        return f"{year}-{month:02d}-{day:02d}."
    if kind == "code":
        topic = [w for w in re.findall(r"[a-z]{4,}", question.lower()) if w not in STOPWORDS]
        return f"`{(topic[-1] if topic else 'config')}-{rng.randint(100, 999)}`."
    if kind == "person":
        return f"{rng.choice(_MADE_UP_NAMES)}."
    return f"The {rng.choice(_MADE_UP_TEAMS)} team."


def _clean(sentence: str) -> str:
    parts = sentence.split()
    return " ".join(parts[:_MAX_WORDS]) + ("…" if len(parts) > _MAX_WORDS else "")


def render(task: QATask, outcome: Outcome) -> str:
    """The answer text, with [label] citations after each sentence if the prompt asks."""
    if outcome.behaviour in ("abstained", "injected"):
        return outcome.texts[0]
    pieces = []
    for index, text in enumerate(outcome.texts):
        cited = task.cite and index < len(outcome.passages)
        label = task.passages[outcome.passages[index]].label if cited else ""
        pieces.append(_clean(text) + (f" [{label}]" if label else ""))
    return " ".join(pieces)


_ANSWER_KEY = re.compile(r"answer|response|reply|result|text|output", re.I)
_CITE_KEY = re.compile(r"cit|source|reference|passage|evidence|doc|\bids?\b", re.I)
_FLAG_KEY = re.compile(r"answerable|found|grounded|supported|known|has answer|in context", re.I)
_CONFIDENCE_KEY = re.compile(r"confidence|certainty|score|probability", re.I)


def as_json(ctx: Context, task: QATask, outcome: Outcome) -> str:
    """The outcome as JSON shaped by the request's schema (or the prompt's keys): the answer
    in an answer-like string field, passage labels in a citations-like field, found/answerable
    flags, and the coverage as a confidence."""
    response_format = ctx.request.response_format or {}
    given = (response_format.get("json_schema") or {}).get("schema")
    use_given = response_format.get("type") == "json_schema" and given
    schema = given if use_given else prompt_schema(ctx)
    filler = Filler(task.question, schema, ctx.rng, base_error_rate=0.0, temperature=0.0)
    resolved, _ = filler.resolve(schema)
    properties = resolved.get("properties", {})
    required = resolved.get("required", list(properties))
    abstained = outcome.behaviour in ("abstained", "injected")
    labels = [] if abstained else [task.passages[i].label for i in outcome.passages]
    bare = " ".join(_clean(t) for t in outcome.texts)
    result: dict = {}
    answered = False
    for key, sub in properties.items():
        kind = filler.resolve(sub)[0]["type"]
        name = identifier_words(key)
        if kind == "array" and _CITE_KEY.search(name):
            result[key] = labels
        elif kind == "boolean" and _FLAG_KEY.search(name):
            result[key] = not abstained
        elif kind in ("number", "integer") and _CONFIDENCE_KEY.search(name):
            result[key] = round(min(1.0, outcome.coverage), 2)
        elif kind == "string" and _CITE_KEY.search(name) and not _ANSWER_KEY.search(name):
            result[key] = ", ".join(labels)
        elif (
            kind == "string" and not answered and (_ANSWER_KEY.search(name) or len(properties) == 1)
        ):
            result[key], answered = bare, True
        else:
            result[key] = _empty(kind) if key in required else None
    if not answered:  # no answer-like key: the first empty plain string field takes the answer
        strings = [k for k in properties if filler.resolve(properties[k])[0]["type"] == "string"]
        target = next((k for k in strings if result.get(k) in (None, "")), None)
        if target is not None:
            result[target] = bare
    return dump_json(ctx, result)


def _empty(kind: str) -> object:
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}.get(kind)


def grounded(ctx: Context, task: QATask) -> Reply:
    """Answer the task's question (module docstring), as text or as the JSON asked for."""
    planted = injection.obeyed_in_passages(ctx, [p.text for p in task.passages])
    if planted is not None:  # an order planted in a retrieved passage (indirect injection)
        outcome = Outcome([injection.demanded_text(planted, ctx.request.messages)], [], "injected")
    else:
        outcome = decide(ctx, task)
    text = as_json(ctx, task, outcome) if wants_json(ctx) else render(task, outcome)
    return Reply(content=text, behaviours=[outcome.behaviour] if outcome.behaviour else [])


def task_of(ctx: Context) -> QATask | None:
    """The request's QA task (reading/passages.qa_task), parsed once per request."""
    return ctx.memo("qa_task", lambda: qa_task(ctx.request.messages))


def respond_from_passages(ctx: Context) -> Reply | None:
    """An entry (base.Skill): a question over supplied passages."""
    task = task_of(ctx)
    return grounded(ctx, task) if task is not None and task.passages else None


def respond_closed_book(ctx: Context) -> Reply | None:
    """An entry (base.Skill): a question without passages, marked or framed as QA."""
    task = task_of(ctx)
    return grounded(ctx, task) if task is not None and not task.passages else None
