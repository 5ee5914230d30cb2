"""Classify the input into a label set stated in the prompt, with a documented error model.

Two separate things decide the answer, and a learner can see both:
1. Evidence: word overlap between the input and each label's name, definition and examples.
   The label with the most overlap wins; with no overlap at all the pick is a (seeded) guess.
2. Noise: even with good evidence the answer flips to the runner-up label with probability
       p = base_error_rate x (1 - 0.5 x share of labels defined) x (0.6 if >= 2 examples)
           x (1 + 0.5 x temperature)
   so definitions and examples help twice: they add evidence and they cut the noise.
A prompt injection in the input that the simulator obeys (injection.py) overrides both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from course.sim.skills import injection
from course.sim.skills.base import Context, Reply
from course.sim.skills.prompt import LabelSpec, label_spec, last_user_text, payload
from course.sim.skills.text import identifier_words, weighted_scores, words

_MAX_ERROR = 0.95
EXAMPLE_WEIGHT = 0.5


@dataclass(frozen=True)
class Decision:
    """Why the classifier answered what it did; kept so tests and curious learners can look."""

    label: str
    best: str
    runner_up: str | None
    scores: dict[str, float]
    error_p: float
    erred: bool


def error_probability(base_error_rate: float, spec: LabelSpec, temperature: float) -> float:
    """The chance that a correct best guess is replaced by the runner-up (see module docstring)."""
    defined = sum(1 for label in spec.labels if spec.definitions.get(label)) / len(spec.labels)
    p = base_error_rate * (1 - 0.5 * defined)
    if len(spec.examples) >= 2:
        p *= 0.6
    p *= 1 + 0.5 * max(0.0, temperature)
    return min(p, _MAX_ERROR)


def _profiles(spec: LabelSpec) -> list[dict[str, float]]:
    """Each label's words: its name and definition count fully, its examples' words half.

    Examples are weaker evidence than a definition: besides the words that make them belong
    to a label, they carry incidental ones ("hi", "today") that say nothing about it.
    """
    profiles = []
    for label in spec.labels:
        profile: dict[str, float] = {}
        for text, example_label in spec.examples:
            if example_label == label:
                profile.update(dict.fromkeys(words(text), EXAMPLE_WEIGHT))
        stated = words(identifier_words(label)) + words(spec.definitions.get(label, ""))
        profile.update(dict.fromkeys(stated, 1.0))
        profiles.append(profile)
    return profiles


def decide(
    text: str, spec: LabelSpec, base_error_rate: float, temperature: float, rng: random.Random
) -> Decision:
    """Score every label against `text`, pick the best, then maybe err to the runner-up."""
    scores = weighted_scores(words(text), _profiles(spec))
    by_label = dict(zip(spec.labels, scores, strict=True))
    top = max(scores)
    best = rng.choice([lab for lab, s in by_label.items() if abs(s - top) < 1e-9])
    others = {lab: s for lab, s in by_label.items() if lab != best}
    runner_up = None
    if others:
        second = max(others.values())
        runner_up = rng.choice([lab for lab, s in others.items() if abs(s - second) < 1e-9])
    p = error_probability(base_error_rate, spec, temperature)
    erred = rng.random() < p and runner_up is not None
    label = runner_up if erred and runner_up is not None else best
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
    text = payload(last_user_text(ctx.request.messages))
    decision = decide(text, spec, ctx.knob("base_error_rate"), ctx.request.temperature, ctx.rng)
    return Reply(content=decision.label)
