"""Extract JSON from the user's text, shaped by a schema, with an error model per output mode.

Each property is filled by type-driven heuristics (see finders.py); enum properties reuse the
classifier. How strict the request is decides how the output can go wrong:
- response_format json_schema: always valid JSON, every required key, right types; each field's
  value is wrong with probability field_miss_rate (the model misread, not mis-formatted).
- response_format json_object: valid JSON, but each key is missing with field_miss_rate.
- JSON asked for only in prose: keys may be missing as above, and the whole text is malformed
  (prose around it, single quotes, a missing brace, code fences) with malformed_json_rate.
Each rate is multiplied by (1 + 0.5 x temperature).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from course.sim.skills import finders
from course.sim.skills.base import Context, Reply
from course.sim.skills.classify import decide
from course.sim.skills.prompt import (
    LabelSpec,
    asks_for_json,
    find_labels,
    json_keys_from_prompt,
    label_spec,
    last_user_text,
    payload,
    system_text,
)
from course.sim.skills.text import identifier_words, sentences, words

_MAX_DEPTH = 6
_PLACE_LIKE = re.compile(r"city|country|location|place|destination|origin|town|region", re.I)
_NAME_LIKE = re.compile(
    r"name|person|customer|author|user|recipient|sender|company|organi[sz]ation|vendor|merchant",
    re.I,
)
_ID_NAME = re.compile(r"(?:^|_|\b)(?:id|number|no|code|sku|ref|reference)(?:$|_|\b)", re.I)
_INTEGER_KEY = re.compile(r"\b(count|number|age|quantity|qty|year|n|num)\b")
_NUMBER_KEY = re.compile(r"\b(amount|price|total|cost|score|rating)\b")
_JSON_WORD = re.compile(r"\bjson\b", re.I)
_LABEL_KEY = re.compile(r"label|category|class|sentiment|intent|topic", re.I)


@dataclass
class Filler:
    """Everything the field heuristics need: the text, the schema root, randomness, knobs."""

    text: str
    root: dict
    rng: random.Random
    base_error_rate: float
    temperature: float
    style: str = "extract"  # "argument" for tool calls: prefers quoted text and leftover words
    avoid: frozenset[str] = frozenset()  # words of the tool itself, not worth passing as values
    depth: int = 0  # nesting level, so a schema that refers to itself cannot recurse forever

    def resolve(self, schema: dict) -> tuple[dict, bool]:
        """Follow $ref and unwrap Optional (anyOf with null); return (schema, nullable)."""
        nullable = False
        description = schema.get("description", "")
        for _ in range(20):
            if "$ref" in schema:
                target: Any = self.root
                for part in schema["$ref"].lstrip("#/").split("/"):
                    target = target.get(part, {}) if isinstance(target, dict) else {}
                schema = target
            elif "anyOf" in schema or "oneOf" in schema:
                options = schema.get("anyOf") or schema.get("oneOf") or []
                real = [o for o in options if o.get("type") != "null"]
                nullable = nullable or len(real) < len(options)
                schema = real[0] if real else {"type": "null"}
            else:
                break
        kind = schema.get("type")
        if isinstance(kind, list):
            nullable = nullable or "null" in kind
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            if schema.get("enum"):
                kind = {bool: "boolean", int: "integer", float: "number"}.get(
                    type(schema["enum"][0]), "string"
                )
            elif "properties" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
            else:
                kind = "string"
        resolved = {**schema, "type": kind}
        if description and not resolved.get("description"):
            resolved["description"] = description
        return resolved, nullable

    def value(self, name: str, schema: dict, *, required: bool = True) -> Any:
        """A value of the schema's type for property `name`; None if nullable and no evidence."""
        schema, nullable = self.resolve(schema)
        found = self._find(name, schema)
        if found is not None or nullable or not required:
            return found
        empty = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}
        return empty.get(schema["type"])

    def object(self, schema: dict) -> dict[str, Any]:
        """Every required property (and any optional one with evidence) of an object schema."""
        schema, _ = self.resolve(schema)
        properties = schema.get("properties", {})
        required = set(schema.get("required", properties))
        if self.depth > _MAX_DEPTH:
            return {}
        self.depth += 1
        result = {}
        for key, sub in properties.items():
            value = self.value(key, sub, required=key in required)
            if value is not None or key in required:
                result[key] = value
        self.depth -= 1
        return result

    def _find(self, name: str, schema: dict) -> Any:
        kind = schema["type"]
        description = schema.get("description", "")
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self._enum(schema["enum"], description)
        if kind == "object":
            return self.object(schema)
        if kind == "array":
            return self._array(name, schema)
        if kind == "boolean":
            return finders.flag(self.text, name)
        if kind in ("integer", "number"):
            raw = finders.key_value(self.text, name) or ""
            number = finders.number_near(raw, name)
            if number is None:
                number = finders.number_near(self.text, name)
            if number is None:
                return None
            return int(number) if kind == "integer" else number
        return self._string(name, schema)

    def _enum(self, values: list, description: str) -> Any:
        labels = [str(v) for v in values]
        # A description like "billing: charges; bug: errors" defines the enum values.
        _, definitions = find_labels("Labels:\n" + re.sub(r";\s*", "\n", description))
        known = {lab.lower(): lab for lab in labels}
        defs = {known[k.lower()]: v for k, v in definitions.items() if k.lower() in known}
        spec = LabelSpec(labels=labels, definitions=defs)
        choice = decide(self.text, spec, self.base_error_rate, self.temperature, self.rng).label
        return values[labels.index(choice)]

    def _array(self, name: str, schema: dict) -> list:
        items, _ = self.resolve(schema.get("items", {"type": "string"}))
        if items.get("enum"):
            spec = LabelSpec(labels=[str(v) for v in items["enum"]])
            d = decide(self.text, spec, self.base_error_rate, self.temperature, self.rng)
            return [v for v in items["enum"] if d.scores[str(v)] > 0] or [items["enum"][0]]
        if items["type"] in ("integer", "number"):
            found = finders.numbers(finders.key_value(self.text, name) or self.text)
            return [int(n) if items["type"] == "integer" else n for n in found]
        if items["type"] == "object":  # one item from the whole text; none in nested lists
            return [self.object(items)] if self.depth <= 1 else []
        listed = finders.list_items(self.text, name)
        if listed:
            return listed
        hint = f"{identifier_words(name)} {schema.get('description', '')}"
        return [s for s in sentences(self.text) if set(words(hint)) & set(words(s))]

    def _string(self, name: str, schema: dict) -> str | None:
        description = schema.get("description", "")
        hint = f"{identifier_words(name)} {description}".lower()
        fmt = schema.get("format", "")
        found = finders.key_value(self.text, name)
        if found:
            return finders.iso_date(found) if fmt == "date" else found
        typed = [
            (fmt == "email" or "email" in hint, finders.EMAIL),
            (fmt in ("uri", "url") or re.search(r"\burl\b|website|link|uri", hint), finders.URL),
            ("phone" in hint or fmt == "phone", finders.PHONE),
            (
                fmt in ("date", "date-time") or re.search(r"\bdate\b|\bday\b|deadline", hint),
                finders.DATE,
            ),
        ]
        for wanted, pattern in typed:
            if wanted:
                value = finders.first(pattern, self.text)
                if value and pattern is finders.DATE and fmt == "date":
                    return finders.iso_date(value)
                return value
        if self.style == "argument" and (value := finders.quoted(self.text)):
            return value
        if _ID_NAME.search(identifier_words(name).replace(" ", "_")) and (
            value := finders.id_like(self.text, name)
        ):
            return value
        if _PLACE_LIKE.search(hint) and (value := finders.proper_noun(self.text, "place")):
            return value
        if _NAME_LIKE.search(hint) and (value := finders.proper_noun(self.text, "person")):
            return value
        if self.style == "argument":
            return self._leftover_words() or None
        content = [s for s in sentences(self.text) if not _JSON_WORD.search(s)]
        return finders.best_sentence(self.text, hint) or next(iter(content), None)

    def _leftover_words(self) -> str:
        """The request's content words minus the tool's own words: "weather in Paris" -> "Paris"."""
        kept = [
            w
            for w in re.findall(r"[\w'-]+", self.text)
            if (stems := words(w)) and not set(stems) & self.avoid
        ]
        return " ".join(kept[:8])


def garble(value: Any, schema: dict, filler: Filler) -> Any:
    """A wrong value of the right type: the plausible mistake a schema cannot catch."""
    rng = filler.rng
    schema, _ = filler.resolve(schema)
    if schema.get("enum") and len(schema["enum"]) > 1:
        return rng.choice([v for v in schema["enum"] if v != value])
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        step = max(1, round(abs(value) * 0.1))
        shifted = value + rng.choice((-step, step))
        return int(shifted) if isinstance(value, int) else float(shifted)
    if isinstance(value, str):
        return _garble_text(value, filler)
    if isinstance(value, list):
        return value[:-1] if value else [next(iter(sentences(filler.text)), "")]
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value))
        return {**value, key: garble(value[key], schema.get("properties", {}).get(key, {}), filler)}
    return value


def _garble_text(value: str, filler: Filler) -> str:
    """A typo in an identifier or email, or the wrong words or sentence from the same text."""
    rng = filler.rng
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if digits:
        i = rng.choice(digits)
        return value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1 :]
    if "@" in value and value.index("@") > 1:
        at = value.index("@")
        return value[: at - 1] + value[at:]
    if len(value.split()) <= 4:
        pool = [w for w in re.findall(r"[A-Za-z][\w'-]+", filler.text) if w not in value.split()]
        if pool:
            return rng.choice(pool)
    others = [s for s in sentences(filler.text) if s != value]
    return rng.choice(others) if others else " ".join(value.split()[:-1])


def break_json(text: str, rng: random.Random) -> str:
    """Damage JSON the way chat models do when JSON is only asked for in prose."""
    breakers = (
        lambda t: "Sure! Here is the JSON you asked for:\n" + t,
        lambda t: t + "\n\nLet me know if you need anything else.",
        lambda t: t.replace('"', "'"),
        lambda t: t.rstrip()[:-1] if t.rstrip().endswith(("}", "]")) else t + " {",
        lambda t: "```json\n" + t + "\n```",
    )
    broken = rng.choice(breakers)(text)
    try:
        json.loads(broken)
    except ValueError:
        return broken
    return "Here is the JSON:\n" + broken  # the chosen damage happened to leave it valid


def _prompt_schema(ctx: Context) -> dict:
    """A schema for JSON asked for without one: keys from the prompt, types from their names."""
    instructions = system_text(ctx.request.messages) + "\n" + last_user_text(ctx.request.messages)
    example = json_keys_from_prompt(instructions) or {"answer": None}
    spec = label_spec(ctx.request.messages)
    properties: dict[str, dict] = {}
    for key, sample in example.items():
        words_of_key = identifier_words(key)
        if spec and _LABEL_KEY.search(key):
            properties[key] = {"type": "string", "enum": spec.labels}
        elif isinstance(sample, bool) or re.match(r"(is|has|can|should|needs?)\b", words_of_key):
            properties[key] = {"type": "boolean"}
        elif type(sample) is int or _INTEGER_KEY.search(words_of_key):
            properties[key] = {"type": "integer"}
        elif isinstance(sample, float) or _NUMBER_KEY.search(words_of_key):
            properties[key] = {"type": "number"}
        elif isinstance(sample, list) or (key.endswith("s") and not key.endswith("ss")):
            properties[key] = {"type": "array", "items": {"type": "string"}}
        else:
            properties[key] = {"type": "string"}
    return {"type": "object", "properties": properties, "required": list(properties)}


def wants_json(ctx: Context) -> bool:
    """Extraction applies for a JSON response_format or a prompt that asks for JSON."""
    kind = (ctx.request.response_format or {}).get("type")
    return kind in ("json_schema", "json_object") or asks_for_json(ctx.request.messages)


def extract(ctx: Context) -> Reply:
    """Fill the schema from the user's text and damage it according to the output mode."""
    response_format = ctx.request.response_format or {}
    mode = response_format.get("type")
    if mode != "json_schema":
        mode = "json_object" if mode == "json_object" else "prose"
    given = (response_format.get("json_schema") or {}).get("schema")
    given = given if mode == "json_schema" else None
    schema = given or _prompt_schema(ctx)
    heat = 1 + 0.5 * max(0.0, ctx.request.temperature)
    filler = Filler(
        text=payload(last_user_text(ctx.request.messages), few_shot=False),
        root=schema,
        rng=ctx.rng,
        base_error_rate=ctx.knob("base_error_rate"),
        temperature=ctx.request.temperature,
    )
    result = filler.object(schema)
    miss = min(1.0, ctx.knob("field_miss_rate") * heat)
    properties = filler.resolve(schema)[0].get("properties", {})
    for key in list(result):
        if ctx.rng.random() >= miss:
            continue
        if mode == "json_schema":
            if filler.resolve(properties.get(key, {}))[0].get("enum"):
                continue  # an enum field already erred, or not, by the classifier's own model
            result[key] = garble(result[key], properties.get(key, {}), filler)
        else:
            del result[key]
    text = json.dumps(result, ensure_ascii=False)
    if mode == "prose" and ctx.rng.random() < min(1.0, ctx.knob("malformed_json_rate") * heat):
        text = break_json(text, ctx.rng)
    return Reply(content=text)
