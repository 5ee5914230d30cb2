"""Classify the input into a label set stated in the prompt, with a documented error model.

Two separate things decide the answer, and a learner can see both (`Decision`):

1. **Evidence, by meaning.** Each label gets a raw score from four readings of the input (the
   payload, never the instructions around it), all from `course.sim.meaning` (a small static
   embedding model) and simplemma lemmas:
   - `sent`: cosine of the whole input with the label's profile "name: definition";
   - `parts`: the best cosine with one part of the definition (cut at commas, "or", "and"),
     so one clause of a long definition can match on its own;
   - `align`: every content word of the input is matched to its closest word in each profile
     (a match counts above cosine MATCH_FLOOR); words that match one label better than the
     others vote for it (charged ~ charges, parcel ~ delivery);
   - `lex`: shared lemmas between the input and the profile (exact and inflected matches count
     strongly), a lemma used by several labels counting less, examples' lemmas half;
   - `examples`: cosine of the input with the label's nearest few-shot example.
   Every reading is centred across the labels, so only what tells labels apart counts. The raw
   score is then compared with what the same label scores on ordinary text (a fixed background
   of everyday sentences): `z = (raw - mean_background) / sd_background`, i.e. how much the
   input stands out for that label. A label needs `z >= CLEAR_Z` to count as clear evidence.
   When no label has clear evidence, the best guess is a seeded draw favouring labels near the
   top. A label with no definition is glossed by the words the model associates with its name
   (`meaning.associations`): evidence only, never a definition for the noise discount.
   If the set has an **absence label** (one whose profile reads like "none of the above",
   "ordinary", "neutral": measured by meaning, see `ABSENCE_PHRASINGS`), that label wins when no
   other label has clear evidence.
2. **Noise.** The best guess flips to the runner-up with probability

       p = base_error_rate x heat x (1 - 0.5 x definition_info) x (0.6 if >= 2 real examples)
           x (UNSURE_FLOOR + (1 - UNSURE_FLOOR) x exp(-margin / MARGIN_SCALE))

   where `definition_info` (0..1) is how much the definitions say beyond the names (content
   words that are not the name, not shared by every definition, not generic talk about labels),
   `margin` is the gap between the best and the runner-up in background standard deviations
   (a clear input rarely flips, a borderline one often), and `heat` = 1 + 0.5 x temperature.
   Capped at 0.95.

A prompt injection in the input that the simulator obeys (behaviours/injection.py) overrides both.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from course.sim import feeling, meaning, reader
from course.sim.behaviours import injection
from course.sim.reading.prompt import LabelSpec, classification_input, label_spec
from course.sim.reading.text import content_lemmas, content_tokens, identifier_words
from course.sim.skills.base import Context, Reply

_MAX_ERROR = 0.95
EXAMPLE_WEIGHT = 0.5  # an example's lemmas count half: they carry incidental words too
# How the four readings add up (raw score, before the background z-score).
WEIGHTS = {"sent": 1.0, "parts": 1.0, "align": 0.5, "lex": 0.12, "examples": 0.5, "valence": 0.8}
# The second reader (MiniLM itself) is asked when the static margin is below DEEP_MARGIN
# background sds; its z-scores then count DEEP_SHARE of the evidence.
DEEP_MARGIN = 3.0  # measured: 1.5 -> 3 helps bare names and prose, defined sets unchanged
DEEP_SHARE = 0.5  # measured: 0.7 helped bare names a little and hurt defined sets more
# A set is "about feeling" when its labels' valences spread this much (0 below, full at +0.4).
VALENCE_SPREAD = 0.3
MATCH_FLOOR = 0.3  # a word pair less similar than this is no match at all
CLEAR_Z = 1.25  # background standard deviations a label must stand out by to be "clear evidence"
SD_FLOOR = 0.02  # a label whose background scores hardly vary must not get huge z-scores
ASSOCIATIONS = 15  # words the model associates with a bare label name, used as its gloss
GUESS_SCALE = 0.5  # with no clear evidence, a label 0.5 sd below the top is e times less likely
UNSURE_FLOOR = 0.3  # share of the tier's noise left when the evidence margin is very large
MARGIN_SCALE = 1.5  # margin (in background sds) at which the unsure part has fallen to 1/e
ABSENCE_MIN = 0.45  # similarity to the absence phrasings for a label to be the absence label
ABSENCE_GAP = 0.1  # ... and by how much it must beat every other label on that
ABSENCE_FLOOR = 0.0  # the absence label's evidence is at least this
ABSENCE_FEELING = 0.5  # a profile's closeness to "absence" shrinks by this x |its valence|
GENERIC_DEFINITION = 0.6  # a definition this close to generic label talk says nothing

# What an absence label looks like, described in general sentences (compared by meaning).
ABSENCE_PHRASINGS = (
    "none of the above",
    "anything else that fits no other category",
    "nothing in particular, an ordinary everyday message",
    "normal, harmless, acceptable content",
    "neutral, no opinion or feeling either way",
    "not applicable",
)
# Talk about labels themselves: a definition close to these carries no information.
GENERIC_LABEL_TALK = (
    "this label",
    "a category for this kind of item",
    "use this class when it applies",
    "the label for items of this type",
)
# Everyday sentences that belong to no particular label: the background a label must beat.
BACKGROUND = (
    "The meeting starts at ten tomorrow morning.",
    "I read a book on the train yesterday.",
    "The garden looks green after the rain.",
    "We are going to visit my aunt next weekend.",
    "The office is on the third floor of the building.",
    "She bought bread and milk on the way home.",
    "The museum is closed on Mondays.",
    "My brother moved to a new city last year.",
    "The bus was a few minutes late this morning.",
    "They painted the kitchen a light blue.",
    "Please find the notes from today attached.",
    "The river runs through the middle of the town.",
    "I usually have coffee before work.",
    "The children played outside until dinner.",
    "Our neighbours have a small brown dog.",
    "The lecture covered the history of the region.",
    "He is thinking about learning to play the piano.",
    "The shop on the corner sells newspapers.",
    "It was cloudy most of the afternoon.",
    "The form asks for your name and address.",
    "We watched a documentary about the ocean.",
    "The hotel room had a view of the harbour.",
    "There are twelve chairs around the long table.",
    "I will call you when I get there.",
    "The new schedule will be shared next week.",
    "Can you tell me more about this?",
    "The team met to discuss the plan for spring.",
    "The recipe book was a present from a friend.",
    "There is a question about the last message.",
    "The library has a section for old maps.",
)


@dataclass(frozen=True)
class Decision:
    """Why the classifier answered what it did; kept so tests and curious learners can look.

    `scores` is each label's evidence above the clear-evidence line (z - CLEAR_Z): positive
    means the input stands out for that label; the absence label scores at least 0.
    """

    label: str
    best: str
    runner_up: str | None
    scores: dict[str, float]
    error_p: float
    erred: bool


@dataclass(frozen=True)
class _Profile:
    """What the classifier precomputes once per label set."""

    labels: tuple[str, ...]
    vectors: np.ndarray  # (labels, dim): "name: definition"
    parts: tuple[np.ndarray, ...]  # per label: (parts of the definition, dim)
    words: tuple[np.ndarray, ...]  # per label: (profile words, dim)
    lemmas: tuple[dict[str, float], ...]  # per label: lemma -> weight (examples count half)
    examples: tuple[np.ndarray | None, ...]  # per label: (examples, dim) or None
    mean: np.ndarray  # background mean raw score per label
    sd: np.ndarray  # background sd per label
    absence: int | None  # index of the absence label, if any
    info: float  # 0..1: how much the definitions say beyond the names
    real_examples: int  # examples that carry words beyond their label's name
    # `parts` and `words` stacked into one matrix each, with where each label's rows start, so
    # an input is scored against every label in one product (np.maximum.reduceat per label).
    valence: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    feeling: float = 0.0  # 0..1: how much the labels differ in feeling (valence reading weight)
    parts_all: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    parts_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    words_all: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    words_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))


def _name(label: str) -> str:
    return identifier_words(label)


def _profile_text(label: str, spec: LabelSpec) -> str:
    definition = spec.definitions.get(label, "")
    return f"{_name(label)}: {definition}" if definition else _name(label)


def definition_info(spec: LabelSpec) -> float:
    """0..1: how much the definitions say beyond the label names (0 when there are none).

    Per label, the content lemmas of its definition minus the lemmas of its name, minus lemmas
    that every definition shares ("category" in "a: category a; b: category b"), and nothing
    at all if the definition reads like generic talk about labels ("this label"). Three such
    lemmas make a full definition. The set's info is the mean over all labels.
    """
    if not spec.labels:
        return 0.0
    own = {lab: set(content_lemmas(spec.definitions.get(lab, ""))) for lab in spec.labels}
    defined = [s for s in own.values() if s]
    shared = set.intersection(*defined) if len(defined) >= 2 else set()
    total = 0.0
    for label in spec.labels:
        definition = spec.definitions.get(label, "")
        left = own[label] - set(content_lemmas(_name(label))) - shared
        if not left:
            continue
        generic = meaning.similarities(definition, list(GENERIC_LABEL_TALK)).max()
        if generic >= GENERIC_DEFINITION:
            continue
        total += min(1.0, len(left) / 3)
    return total / len(spec.labels)


def real_example_count(spec: LabelSpec) -> int:
    """Examples whose text says something beyond their label's name ("Text: billing" does not)."""
    seen = set()
    for text, label in spec.examples:
        if set(content_lemmas(text)) - set(content_lemmas(_name(label))):
            seen.add(text.strip().lower())
    return len(seen)


def _parts(label: str, spec: LabelSpec) -> list[str]:
    """The label's profile cut at commas, semicolons and "or": one meaning per part."""
    definition = spec.definitions.get(label, "")
    pieces = [p.strip() for p in re.split(r"[,;:()]|\bor\b|\band\b", definition) if p.strip()]
    return [_profile_text(label, spec)] + [f"{_name(label)}: {p}" for p in pieces]


def label_valences(spec: LabelSpec, absence: int | None) -> np.ndarray:
    """How each label feels, in [-1, 1] (`feeling.valence`): its name's, if the name carries a
    feeling ("positive", "abuse", "joy"); else its definition's; 0 for the absence label. A
    name of several words ("lost or stolen card") is an intent or a topic: like a definition,
    it counts only as far as it is made of feeling words.

    A definition counts only as far as it is *made of* feeling words ("insults, threats" yes,
    "errors, crashes, pages that do not load" hardly), so queues that merely mention trouble
    do not become a sentiment scale.
    """
    found = np.zeros(len(spec.labels), dtype=np.float32)
    for i, label in enumerate(spec.labels):
        if i == absence:
            continue
        name = _name(label)
        named = feeling.valence(name) * (1.0 if " " not in name else feeling.share(name))
        if abs(named) >= 0.05:
            found[i] = named
            continue
        definition = spec.definitions.get(label, "")
        found[i] = feeling.valence(definition) * feeling.share(definition)
    return found


def _with_associations(spec: LabelSpec) -> LabelSpec:
    """`spec` with each undefined label glossed by the words the model associates with its name.

    A bare name is all a small model has to go on; its own associations ("sports" -> athletes,
    rugby) are what it knows about it. They add evidence only: they never count as a
    definition for the noise discount (`definition_info` reads the prompt's definitions).
    """
    undefined = [label for label in spec.labels if not spec.definitions.get(label)]
    if not undefined:
        return spec
    linked = meaning.associations([_name(label) for label in spec.labels], k=ASSOCIATIONS)
    glosses = dict(spec.definitions)
    for label, words in zip(spec.labels, linked, strict=True):
        if label in undefined and words:
            glosses[label] = ", ".join(words)
    return LabelSpec(labels=spec.labels, definitions=glosses, examples=spec.examples)


def _lemma_weights(label: str, spec: LabelSpec) -> dict[str, float]:
    weights: dict[str, float] = {}
    for text, example_label in spec.examples:
        if example_label == label:
            weights.update(dict.fromkeys(content_lemmas(text), EXAMPLE_WEIGHT))
    stated = content_lemmas(_name(label)) + content_lemmas(spec.definitions.get(label, ""))
    weights.update(dict.fromkeys(stated, 1.0))
    return weights


@lru_cache(maxsize=1)
def _background_mean() -> np.ndarray:
    return meaning.embed(list(BACKGROUND)).mean(axis=0)


def _centred(texts: Sequence[str]) -> np.ndarray:
    """Sentence vectors minus what every everyday sentence shares, renormalised.

    Static embeddings of any two sentences share a large common direction (function words,
    sentence length); removing the mean of the background sentences leaves what a text is
    about, so cosines spread further apart.
    """
    rows = meaning.embed(list(texts)) - _background_mean()
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def _absence_index(texts: Sequence[str], valences: np.ndarray) -> int | None:
    """The label whose profile reads like "nothing in particular", if one clearly does.

    A static model puts "negative" near "neutral, no opinion" (strong words about nothing
    specific); a label that stands for absence carries no feeling of its own, so each label's
    closeness is discounted by how strongly it feels (`label_valences`, which counts a
    definition only as far as it is made of feeling words): x (1 - ABSENCE_FEELING x |v|).
    """
    grid = meaning.embed(list(texts)) @ meaning.embed(list(ABSENCE_PHRASINGS)).T
    closeness = grid.max(axis=1) * (1 - ABSENCE_FEELING * np.abs(valences))
    order = np.argsort(-closeness)
    top = int(order[0])
    runner = float(closeness[order[1]]) if len(order) > 1 else -1.0
    if closeness[top] >= ABSENCE_MIN and closeness[top] - runner >= ABSENCE_GAP:
        return top
    return None


def _raw(text: str, profile: _Profile) -> np.ndarray:
    """The four readings of `text` for every label, centred across labels and weighted."""
    n = len(profile.labels)
    tokens = content_tokens(text)
    rows = meaning.embed_many([text, *tokens])  # one model call for the text and its words
    vector = rows[0] - _background_mean()
    vector = vector / max(float(np.linalg.norm(vector)), 1e-9)
    sent = profile.vectors @ vector
    parts = np.maximum.reduceat(profile.parts_all @ vector, profile.parts_at)
    align = np.zeros(n, dtype=np.float32)
    if tokens:
        token_vectors = rows[1:]
        grid = np.maximum.reduceat(token_vectors @ profile.words_all.T, profile.words_at, axis=1)
        match = np.maximum(grid - MATCH_FLOOR, 0.0) / (1 - MATCH_FLOOR)
        spread = match - match.mean(axis=1, keepdims=True)
        align = spread.sum(axis=0) / math.sqrt(len(tokens))
    lemmas = set(content_lemmas(text))
    lex = np.zeros(n, dtype=np.float32)
    for lemma in lemmas:
        users = [i for i, weights in enumerate(profile.lemmas) if lemma in weights]
        for i in users:
            lex[i] += profile.lemmas[i][lemma] / len(users)
    valence = np.zeros(n, dtype=np.float32)
    if profile.feeling > 0:
        valence = -np.abs(feeling.valence(text) - profile.valence)
        valence = profile.feeling * (valence - valence.mean())
    examples = np.zeros(n, dtype=np.float32)
    with_examples = [i for i, e in enumerate(profile.examples) if e is not None]
    for i in with_examples:
        examples[i] = float((profile.examples[i] @ vector).max())
    if with_examples:
        examples[with_examples] -= examples[with_examples].mean()
    return (
        WEIGHTS["sent"] * (sent - sent.mean())
        + WEIGHTS["parts"] * (parts - parts.mean())
        + WEIGHTS["align"] * align
        + WEIGHTS["lex"] * (lex - lex.mean())
        + WEIGHTS["examples"] * examples
        + WEIGHTS["valence"] * valence
    )


# The matrices here are tiny; a multi-threaded BLAS spends more time waking threads than
# multiplying (about 10x slower on a busy 2-core machine), so classification runs on one.
_ONE_THREAD = ThreadpoolController()
_CACHE: OrderedDict[tuple, _Profile] = OrderedDict()
_CACHE_SIZE = 256
_EVIDENCE: dict[tuple, dict[str, float]] = {}
_CACHE_LOCK = threading.Lock()


def _key(spec: LabelSpec) -> tuple:
    return (tuple(spec.labels), tuple(sorted(spec.definitions.items())), tuple(spec.examples))


def profile_of(spec: LabelSpec) -> _Profile:
    """The label set's precomputed profile (cached: a notebook sends one set many times)."""
    key = _key(spec)
    with _CACHE_LOCK:  # the sim server is threaded: an OrderedDict's reordering is not atomic
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    labels = tuple(spec.labels)
    stated = [_profile_text(label, spec) for label in labels]
    reading = _with_associations(spec)
    texts = [_profile_text(label, reading) for label in labels]
    words = []
    for label, text in zip(labels, texts, strict=True):
        found = content_tokens(text) or content_tokens(_name(label), keep_stopwords=True)
        words.append(meaning.embed(found or [_name(label)]))
    examples = []
    for label in labels:
        own = [text for text, example_label in spec.examples if example_label == label]
        examples.append(_centred(own) if own else None)
    parts = tuple(_centred(_parts(label, reading)) for label in labels)
    felt = label_valences(spec, None)
    absence = _absence_index(stated, felt) if len(labels) > 1 else None
    valences = felt.copy()
    if absence is not None:
        valences[absence] = 0.0
    spread = float(valences.max() - valences.min()) if len(labels) else 0.0
    draft = _Profile(
        labels=labels,
        vectors=_centred(texts),
        parts=parts,
        words=tuple(words),
        lemmas=tuple(_lemma_weights(label, spec) for label in labels),
        examples=tuple(examples),
        mean=np.zeros(len(labels)),
        sd=np.ones(len(labels)),
        absence=absence,
        info=definition_info(spec),
        valence=valences,
        feeling=min(1.0, max(0.0, (spread - VALENCE_SPREAD) / 0.4)),
        real_examples=real_example_count(spec),
        parts_all=np.vstack(parts),
        parts_at=_starts(parts),
        words_all=np.vstack(words),
        words_at=_starts(words),
    )
    background = np.stack([_raw(text, draft) for text in BACKGROUND])
    done = _Profile(
        **{
            **draft.__dict__,
            "mean": background.mean(axis=0),
            "sd": np.maximum(background.std(axis=0), SD_FLOOR),
        }
    )
    with _CACHE_LOCK:
        _CACHE[key] = done
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return done


def _starts(blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Row offsets where each block starts once the blocks are stacked."""
    return np.cumsum([0, *(len(block) for block in blocks[:-1])]).astype(np.intp)


@dataclass(frozen=True)
class _Deep:
    """The second reader's view of a label set (course.sim.reader), built on first need."""

    vectors: np.ndarray  # (labels, 384): "name: definition" as the prompt states it
    parts: np.ndarray  # (all parts, 384)
    parts_at: np.ndarray
    examples: tuple[np.ndarray | None, ...]  # per label: (its few-shot examples, 384) or None
    mean: np.ndarray
    sd: np.ndarray
    valence: np.ndarray  # the static profile's label valences (feeling is read the same way)
    feeling: float


_DEEP: OrderedDict[tuple, _Deep] = OrderedDict()


def _deep_raw(text: str, deep: _Deep) -> np.ndarray:
    vector = reader.embed([text])[0]
    sent = deep.vectors @ vector
    parts = np.maximum.reduceat(deep.parts @ vector, deep.parts_at)
    examples = np.zeros(len(sent), dtype=np.float32)
    with_examples = [i for i, e in enumerate(deep.examples) if e is not None]
    for i in with_examples:
        examples[i] = float((deep.examples[i] @ vector).max())
    if with_examples:
        examples[with_examples] -= examples[with_examples].mean()
    valence = np.zeros(len(sent), dtype=np.float32)
    if deep.feeling > 0:
        valence = -np.abs(feeling.valence(text) - deep.valence)
        valence = deep.feeling * (valence - valence.mean())
    return (
        WEIGHTS["sent"] * (sent - sent.mean())
        + WEIGHTS["parts"] * (parts - parts.mean())
        + WEIGHTS["examples"] * examples
        + WEIGHTS["valence"] * valence
    )


def _deep_of(spec: LabelSpec) -> _Deep:
    key = _key(spec)
    with _CACHE_LOCK:
        if key in _DEEP:
            _DEEP.move_to_end(key)
            return _DEEP[key]
    labels = list(spec.labels)
    parts = [reader.embed(_parts(label, spec)) for label in labels]
    draft = _Deep(
        vectors=reader.embed([_profile_text(label, spec) for label in labels]),
        parts=np.vstack(parts),
        parts_at=_starts(parts),
        examples=tuple(
            reader.embed(own) if (own := [t for t, lab in spec.examples if lab == label]) else None
            for label in labels
        ),
        mean=np.zeros(len(labels)),
        sd=np.ones(len(labels)),
        valence=profile_of(spec).valence,
        feeling=profile_of(spec).feeling,
    )
    background = np.stack([_deep_raw(text, draft) for text in BACKGROUND])
    done = _Deep(
        **{
            **draft.__dict__,
            "mean": background.mean(axis=0),
            "sd": np.maximum(background.std(axis=0), SD_FLOOR),
        }
    )
    with _CACHE_LOCK:
        _DEEP[key] = done
        if len(_DEEP) > _CACHE_SIZE:
            _DEEP.popitem(last=False)
    return done


def evidence(text: str, spec: LabelSpec, deep: bool = False) -> dict[str, float]:
    """Each label's evidence above the clear-evidence line (see `Decision.scores`).

    With `deep` (a tier with the `second_reader` knob), a decision the static reading leaves
    close (margin below DEEP_MARGIN) is re-read by MiniLM itself, whose z-scores then count
    DEEP_SHARE: a larger model reads better, and pays for it in time only where it matters.
    """
    key = (_key(spec), text, deep)
    known = _EVIDENCE.get(key)  # one lookup: another thread may clear the dict meanwhile
    if known is not None:  # the same input under several seeds or tiers
        return dict(known)
    with _ONE_THREAD.limit(limits=1, user_api="blas"):
        profile = profile_of(spec)
        z = (_raw(text, profile) - profile.mean) / profile.sd - CLEAR_Z
        ordered = np.sort(z)
        if deep and len(z) > 1 and ordered[-1] - ordered[-2] < DEEP_MARGIN:
            deep = _deep_of(spec)
            deep_z = (_deep_raw(text, deep) - deep.mean) / deep.sd - CLEAR_Z
            z = (1 - DEEP_SHARE) * z + DEEP_SHARE * deep_z
    if profile.absence is not None:
        z[profile.absence] = max(float(z[profile.absence]), ABSENCE_FLOOR)
    found = {label: float(score) for label, score in zip(profile.labels, z, strict=True)}
    if len(_EVIDENCE) >= _CACHE_SIZE * 16:
        _EVIDENCE.clear()
    _EVIDENCE[key] = found
    return dict(found)


def error_probability(
    base_error_rate: float, spec: LabelSpec, temperature: float, margin: float = 0.0
) -> float:
    """The chance that the best guess is replaced by the runner-up (see module docstring)."""
    profile = profile_of(spec)
    p = base_error_rate * (1 - 0.5 * profile.info)
    if profile.real_examples >= 2:
        p *= 0.6
    p *= UNSURE_FLOOR + (1 - UNSURE_FLOOR) * math.exp(-max(0.0, margin) / MARGIN_SCALE)
    p *= 1 + 0.5 * max(0.0, temperature or 0.0)
    return min(p, _MAX_ERROR)


def decide(
    text: str,
    spec: LabelSpec,
    base_error_rate: float,
    temperature: float,
    rng: random.Random,
    deep: bool = False,
) -> Decision:
    """Score every label against `text`, pick the best, then maybe err to the runner-up."""
    if len(spec.labels) == 1:
        return Decision(spec.labels[0], spec.labels[0], None, {spec.labels[0]: 0.0}, 0.0, False)
    by_label = evidence(text, spec, deep)
    top = max(by_label.values())
    if top < 0:  # no label stands out: a guess, the likelier the closer a label is to the top
        weights = [math.exp((s - top) / GUESS_SCALE) for s in by_label.values()]
        best = rng.choices(list(by_label), weights=weights)[0]
    else:
        best = rng.choice([lab for lab, s in by_label.items() if abs(s - top) < 1e-9])
    top = by_label[best]
    others = {lab: s for lab, s in by_label.items() if lab != best}
    second = max(others.values())
    runner_up = rng.choice([lab for lab, s in others.items() if abs(s - second) < 1e-9])
    p = error_probability(base_error_rate, spec, temperature, top - second)
    erred = rng.random() < p
    label = runner_up if erred else best
    return Decision(label, best, runner_up, by_label, p, erred)


def classify(ctx: Context) -> Reply | None:
    """Reply with just a label, or None if the prompt states no label set."""
    spec = label_spec(ctx.request.messages)
    if spec is None:
        return None
    planted = injection.obeyed(ctx)
    if planted is not None:  # the label the order names, else whatever it asks to be said
        label = injection.first_named(planted.demand, spec.labels)
        content = label or injection.demanded_text(planted, ctx.request.messages)
        return Reply(content=content, behaviours=["injected"])
    text = classification_input(ctx.request.messages)
    deep = ctx.knob("second_reader") > 0
    decision = decide(
        text, spec, ctx.knob("base_error_rate"), ctx.request.temperature, ctx.rng, deep=deep
    )
    return Reply(content=decision.label)


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): a prompt that states a label set."""
    return classify(ctx)
