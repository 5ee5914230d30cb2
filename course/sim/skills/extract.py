"""Extract JSON from the user's text, shaped by a schema, with an error model per output mode.

Each property is filled by type-driven heuristics (Filler in writing.py, values found by
reading/finders.py); enum properties reuse the classifier. How strict the request is decides
how the output can go wrong:
- response_format json_schema: always valid JSON, every required key, right types; each field's
  value is wrong with probability field_miss_rate x doubt (the model misread, not
  mis-formatted), where doubt says how the value was found: CLEAR 0.1 (after the field's
  name, or the only value of its kind), LIKELY 0.3 (chosen among several), GUESS 1.0 (a
  fallback); a nullable field with no evidence, null otherwise, is invented (a
  hallucination) with field_miss_rate x ABSENT (0.5).
- response_format json_object: valid JSON, but each key is missing with field_miss_rate.
- JSON asked for only in prose: keys may be missing as above, and the whole text is malformed
  (prose around it, single quotes, a missing brace, code fences) with malformed_json_rate.
Each rate is multiplied by (1 + 0.5 x temperature). An order planted in the text that the
simulator obeys (behaviours/injection.py) then sets the fields it dictates, within the schema's
types. On a redo (a repair turn, reading/redo.py) the task's text is extracted again; a schema
the correction carries stands in for a missing one, and broken JSON is half as likely.
"""

from __future__ import annotations

import re
from typing import Any

from course.sim.behaviours import injection
from course.sim.reading import finders, lexicon, money
from course.sim.reading.prompt import (
    instructions_text,
    last_user_text,
    payload,
)
from course.sim.reading.text import identifier_words, sentences
from course.sim.skills.base import Context, Reply
from course.sim.writing import (
    CURRENCY_LIKE,
    GUESS,
    ID_NAME,
    MONEY_LIKE,
    Filler,
    codes_in,
    dump_json,
    garble,
    prompt_schema,
    wants_json,
)


def fabricate(name: str, schema: dict, filler: Filler) -> Any:
    """A confident value for a field the text says nothing about: what a hallucination looks like.

    An id in the shape of the description's example, a currency the description lists, a value
    from the prompt's list, a number from the text, `true`, or words from the text.
    """
    rng = filler.rng
    resolved, _ = filler.resolve(schema)
    description = resolved.get("description", "")
    hint = f"{identifier_words(name)} {description}"
    kind = resolved["type"]
    if resolved.get("enum"):
        return rng.choice(resolved["enum"])
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        value = rng.choice(finders.numbers(filler.text) or [float(rng.randint(5, 500))])
        return int(value) if kind == "integer" else float(value)
    if kind != "string":
        return None
    if CURRENCY_LIKE.search(hint):
        return rng.choice(codes_in(description) or ["USD", "EUR", "GBP"])
    options, _ = filler.options(name, description)
    if options:
        return rng.choice(options)
    if ID_NAME.search(identifier_words(name).replace(" ", "_")):
        prefix, separator, n = finders.example_id(description) or ("#", "", 5)
        return prefix + separator + "".join(str(rng.randint(0, 9)) for _ in range(n))
    pool = [w for w in re.findall(r"\b[A-Z][a-z]+\b", filler.text) if len(w) > 3]
    if pool:
        return " ".join(rng.sample(pool, min(2, len(pool))))
    return rng.choice(sentences(filler.text) or ["unknown"])


def _dictated(planted: injection.Injection, key: str, schema: dict, filler: Filler) -> Any:
    """The value a planted order gives field `key` ("set priority to urgent"), or None."""
    resolved, _ = filler.resolve(schema)
    kind = resolved["type"]
    raw = injection.value_after(planted, finders.name_pattern(key))
    if resolved.get("enum"):
        labels = [str(v) for v in resolved["enum"]]
        named = (raw and injection.first_named(raw, labels)) or injection.first_named(
            planted.demand, labels
        )
        return resolved["enum"][labels.index(named)] if named else None
    if kind == "boolean":
        word = (raw or "").split()[0].lower() if raw else ""
        if word in ("true", "yes", "sí", "si", "ja", "oui", "wahr", "verdadero", "vrai"):
            return True
        if word in ("false", "no", "nein", "non", "falsch", "falso", "faux"):
            return False
        evidence = finders.flag_evidence(key, resolved.get("description", ""))
        return lexicon.mentioned(planted.demand, evidence)
    if kind in ("integer", "number"):
        money_like = MONEY_LIKE.search(f"{identifier_words(key)} {resolved.get('description', '')}")
        if not raw and not money_like:
            return None  # only a money field takes an amount the order merely mentions
        amounts = money.mentions(raw or planted.demand)
        number = amounts[0].amount if amounts else None
        if number is None and raw:
            number = money.amount_in(raw)
        if number is None:
            return None
        return int(number) if kind == "integer" else number
    return raw if kind == "string" else None


def _free_text_field(properties: dict, filler: Filler) -> str | None:
    """The first plain string field (no enum, format, id, currency): where planted text lands."""
    for key, sub in properties.items():
        resolved, _ = filler.resolve(sub)
        own = identifier_words(key)
        special = (
            resolved.get("enum")
            or resolved.get("format")
            or ID_NAME.search(own.replace(" ", "_"))
            or CURRENCY_LIKE.search(f"{own} {resolved.get('description', '')}")
        )
        if resolved["type"] == "string" and not special:
            return key
    return None


def obey(
    planted: injection.Injection, result: dict, properties: dict, filler: Filler, messages: list
) -> bool:
    """Set the fields the order dictates; if it dictates none, put its text in a free-text field.

    Values keep the schema's types and enums: structured output constrains what a model can
    emit, not what it was talked into. Returns whether the order could be followed at all.
    """
    dictated = False
    for key, sub in properties.items():
        value = _dictated(planted, key, sub, filler)
        if value is not None:
            result[key] = value
            dictated = True
    if dictated:
        return True
    target = _free_text_field(properties, filler)
    if target is None:
        return False
    result[target] = injection.demanded_text(planted, messages)
    return True


def extract(ctx: Context) -> Reply:
    """Fill the schema from the user's text and damage it according to the output mode."""
    response_format = ctx.request.response_format or {}
    mode = response_format.get("type")
    if mode != "json_schema":
        mode = "json_object" if mode == "json_object" else "prose"
    given = (response_format.get("json_schema") or {}).get("schema")
    given = given if mode == "json_schema" else None
    schema = given or (ctx.redo.schema if ctx.redo else None) or prompt_schema(ctx)
    filler = Filler(
        text=payload(last_user_text(ctx.request.messages), few_shot=False),
        root=schema,
        rng=ctx.rng,
        base_error_rate=ctx.knob("base_error_rate"),
        temperature=ctx.request.temperature,
        instructions=instructions_text(ctx.request.messages),
        second_reader=ctx.knob("second_reader") > 0,
    )
    result = filler.object(schema)
    miss = min(1.0, ctx.knob("field_miss_rate") * ctx.heat)
    properties = filler.resolve(schema)[0].get("properties", {})
    for key in list(result):
        # Strict output only misreads: where the evidence was weak (doubt), not where it was
        # plain. Looser modes drop keys at the full rate: that slip is about format, not doubt.
        doubt = filler.doubts.get(key, GUESS) if mode == "json_schema" else 1.0
        if ctx.rng.random() >= miss * doubt:
            continue
        if mode == "json_schema":
            sub = properties.get(key, {})
            if filler.resolve(sub)[0].get("enum"):
                continue  # an enum field already erred, or not, by the classifier's own model
            if result[key] is None:  # nothing in the text: the model makes something up
                result[key] = fabricate(key, sub, filler)
            else:
                result[key] = garble(result[key], sub, filler, key)
        else:
            del result[key]
    behaviours = []
    planted = injection.obeyed(ctx)
    if planted is not None and obey(planted, result, properties, filler, ctx.request.messages):
        behaviours.append("injected")
    return Reply(content=dump_json(ctx, result), behaviours=behaviours)


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): JSON asked for by response_format, prompt or correction."""
    return extract(ctx) if wants_json(ctx) else None
