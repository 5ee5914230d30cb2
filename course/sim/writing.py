"""How skills write JSON: fill a schema from the user's text, garble it, and print it.

Not a skill (it answers no request) and not a parser (it decides values, using the classifier's
decision model for enum fields), so it sits beside the skills rather than in reading/. Used by
extract (its main user), grounded and judge (JSON-shaped answers) and tools (arguments).

Filler fills each property by type-driven heuristics (see reading/finders.py) and records how
each value was found (doubt): CLEAR 0.1 (after the field's name, or the only value of its kind),
LIKELY 0.3 (chosen among several), GUESS 1.0 (a fallback), ABSENT 0.5 (no evidence: scales
the chance of inventing a value). garble makes a wrong value of the right type; prompt_schema
builds a schema when JSON is asked for without one; wants_json says whether JSON is asked for;
dump_json prints the result, broken with malformed_json_rate when JSON was asked in prose only.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from course.sim.faults import break_json
from course.sim.reading import finders, money, redo
from course.sim.reading.prompt import (
    LabelSpec,
    asks_for_json,
    find_labels,
    json_keys_from_prompt,
    label_definitions,
    label_spec,
    last_user_text,
    option_list,
    system_text,
)
from course.sim.reading.text import identifier_words, sentences, words

if TYPE_CHECKING:
    from course.sim.skills.base import Context

_MAX_DEPTH = 6
_ORG_LIKE = re.compile(
    r"company|organi[sz]ation|supplier|vendor|merchant|business|firm|issuer|seller|shop|store|"
    r"brand|employer|provider|caterer|restaurant|hotel|empresa|firma|société|entreprise",
    re.I,
)
# A description that asks for a person ("Name of the guest"), not just any name.
_PERSON_LIKE = re.compile(
    r"\b(?:person|people|customer|guest|employee|colleague|user|sender|recipient|contact|"
    r"passenger|patient|author|client|who|tenant|owner|buyer|payer|landlord|member|student|"
    r"applicant|traveller|attendee|participant|full name|first name|last name|surname)\b",
    re.I,
)
_PLACE_LIKE = re.compile(
    r"\b(?:city|country|location|place|destination|origin|town|region)\b", re.I
)
_NAME_LIKE = re.compile(
    r"\b(?:name|person|customer|author|user|recipient|sender|guest|passenger|patient|"
    r"employee|company|organi[sz]ation|vendor|merchant)",
    re.I,
)
ID_NAME = re.compile(r"(?:^|_|\b)(?:id|number|no|code|sku|ref|reference)(?:$|_|\b)", re.I)
_INTEGER_KEY = re.compile(r"\b(count|number|age|quantity|qty|year|n|num)\b")
_NUMBER_KEY = re.compile(r"\b(amount|price|total|cost|score|rating)\b")
_JSON_WORD = re.compile(r"\bjson\b", re.I)
_LABEL_KEY = re.compile(r"label|category|class|sentiment|intent|topic", re.I)
CURRENCY_LIKE = re.compile(r"currenc|iso\s*code|\bccy\b|divisa|moneda|währung|devise", re.I)
MONEY_LIKE = re.compile(
    r"amount|price|cost|total|money|refund|charge|fee|paid|payment|balance|spent|rent|salary|"
    r"wage|budget|deposit|income|revenue|importe|"
    r"precio|betrag|preis|montant|prix",
    re.I,
)
_PRODUCT_LIKE = re.compile(
    r"product|item|device|model|article|sku|producto|artículo|produkt|artikel|gerät|produit|"
    r"appareil",
    re.I,
)
# Stemmed words of a description that point at a list in the prompt ("from the catalogue").
_CATALOGUE_TEXT = "catalogu catalog katalog catálogo list option allow known"
_CATALOGUE_WORDS = frozenset(_CATALOGUE_TEXT.split())
_NEAR_CHARS = 40  # a nullable number must sit this close to a mention of its name
_LIST_HEADER_WORDS = 3  # inside the data, a list's header ("Products:") is this short at most
_DATE_LIKE = re.compile(r"\bdate\b|\bday\b|deadline|\bdue\b|birth|check.?(?:in|out)\b", re.I)
# How unsure the model is of a value it read, by how the value was found (see Filler.doubt):
# field_miss_rate x heat x doubt is the chance that this field comes out wrong.
CLEAR = 0.1  # written after the field's name, or the only value of its kind in the text
LIKELY = 0.3  # one of several candidates, chosen by nearness to the field's name or a cue
GUESS = 1.0  # a fallback: the sentence sharing most words, leftover words, an empty value
ABSENT = 0.5  # no evidence at all: the chance of inventing a value is scaled by this


def decide(*args: Any) -> Any:
    """The classifier's decision (course.sim.skills.classify.decide) for an enum field."""
    # local: the classify skill loads course.sim.skills, whose table imports the skills that
    # import this module, so a top-level import would be circular when this module loads first
    from course.sim.skills.classify import decide as classify_decide

    return classify_decide(*args)


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
    instructions: str = ""  # the prompt outside the data: where catalogues ("Products: ...") live
    second_reader: bool = False  # the tier re-reads close enum choices with MiniLM (classify)
    doubt: float = GUESS  # how the last value was found: CLEAR, LIKELY or GUESS
    doubts: dict[str, float] = field(default_factory=dict)  # per top-level key; ABSENT if null
    dates_taken: list[str] = field(default_factory=list)  # dates earlier fields already used
    currencies_taken: list[str] = field(default_factory=list)  # likewise for currencies

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
        self.doubt = GUESS
        found = self._find(name, schema, nullable or not required)
        if found is not None or nullable or not required:
            return found
        self.doubt = GUESS
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
            if self.depth == 1:
                self.doubts[key] = ABSENT if value is None else self.doubt
            if value is not None or key in required:
                result[key] = value
        self.depth -= 1
        self.doubt = LIKELY  # a nested object as a whole: some part of it was chosen
        return result

    def _find(self, name: str, schema: dict, optional: bool = False) -> Any:
        """Evidence for one field; `optional` (nullable or not required) may answer None."""
        kind = schema["type"]
        description = schema.get("description", "")
        hint = f"{identifier_words(name)} {description}"
        if "const" in schema:
            self.doubt = CLEAR
            return schema["const"]
        if schema.get("enum"):
            self.doubt = CLEAR  # enums err by the classifier's own model, not field_miss_rate
            if CURRENCY_LIKE.search(hint) and (code := self._currency()) in schema["enum"]:
                return code
            return self._enum(schema["enum"], description)
        if kind == "object":
            return self.object(schema)
        if kind == "array":
            self.doubt = LIKELY
            return self._array(name, schema)
        if kind == "boolean":
            stated = self._stated(name, lambda v: v.lower() in ("true", "yes", "false", "no"))
            self.doubt = CLEAR
            if stated and stated.lower() in ("true", "yes", "false", "no"):
                return stated.lower() in ("true", "yes")
            said = finders.flag(self.text, name, description)
            self.doubt = CLEAR  # said (and not negated), or not said at all
            return said
        if kind in ("integer", "number"):
            number = self._number(name, hint, optional)
            if number is None:
                return None
            return int(number) if kind == "integer" else number
        return self._string(name, schema, optional)

    def _number(self, name: str, hint: str, optional: bool) -> float | None:
        """A money field reads an amount with a currency; other numbers the nearest number."""
        money_like = bool(MONEY_LIKE.search(hint))
        typed = money.amount_in if money_like else finders.numbers
        raw = self._stated(name, lambda v: bool(typed(v))) or ""
        if money_like:
            stated = money.amount_in(raw) if raw else None
            if stated is not None:
                self.doubt = CLEAR
                return stated
            amounts = money.mentions(self.text)
            if amounts:  # the first amount, unless one follows a mention of the field's name
                anchors = set(words(identifier_words(name)))
                before = [set(words(self.text[max(0, m.start - 40) : m.start])) for m in amounts]
                near = [m for m, seen in zip(amounts, before, strict=True) if seen & anchors]
                distinct = {m.amount for m in amounts}
                self.doubt = CLEAR if len(distinct) == 1 else LIKELY if near else GUESS
                return (near or amounts)[0].amount
            if optional:
                return None  # no currency anywhere: "3 days" is not an amount
        number = finders.number_near(raw, name)
        if number is not None:
            self.doubt = CLEAR
            return number
        amounts = money.mentions(self.text)
        if amounts and not finders.counts(self.text):  # only money to read: "rent: £1,450"
            self.doubt = CLEAR if len({m.amount for m in amounts}) == 1 else LIKELY
            return amounts[0].amount
        near = finders.number_near(self.text, name, _NEAR_CHARS)
        number = near if optional else finders.number_near(self.text, name)
        if number is not None:
            unique = len(set(finders.counts(self.text))) == 1
            self.doubt = CLEAR if unique else LIKELY if near is not None else GUESS
        return number

    def _currency(self) -> str | None:
        """The ISO code of the first amount's currency, else of a currency named on its own.

        A second currency field takes the next currency not yet taken: "convert 200 USD to
        EUR" fills from_currency with USD and to_currency with EUR.
        """
        amounts = money.mentions(self.text)
        named = money.currency_words(self.text)
        ordered = list(dict.fromkeys([m.currency for m in amounts] + named))
        codes = {m.currency for m in amounts} or set(named)
        self.doubt = CLEAR if len(codes) == 1 else LIKELY
        free = [c for c in ordered if c not in self.currencies_taken]
        code = (free or ordered or [None])[0]
        if code and self.depth <= 1:
            self.currencies_taken.append(code)
        return code

    def _enum(self, values: list, description: str) -> Any:
        labels = [str(v) for v in values]
        # A description like "billing: charges; bug: errors" defines the enum values; so does
        # one in any layout or prose the classifier reads, if that reading defines more of them.
        _, listed = find_labels("Labels:\n" + re.sub(r";\s*", "\n", description))
        known = {lab.lower(): lab for lab in labels}
        defs = {known[k.lower()]: v for k, v in listed.items() if k.lower() in known}
        read = label_definitions(labels, description)
        spec = LabelSpec(labels=labels, definitions=read if len(read) > len(defs) else defs)
        choice = decide(
            self.text, spec, self.base_error_rate, self.temperature, self.rng, self.second_reader
        ).label
        return values[labels.index(choice)]

    def _array(self, name: str, schema: dict) -> list:
        items, _ = self.resolve(schema.get("items", {"type": "string"}))
        if items.get("enum"):
            spec = LabelSpec(labels=[str(v) for v in items["enum"]])
            deep = self.second_reader
            d = decide(self.text, spec, self.base_error_rate, self.temperature, self.rng, deep)
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

    def options(self, name: str, description: str) -> tuple[list[str], str]:
        """Allowed values the prompt lists for this field, and the text without that list."""
        cues = set(words(identifier_words(name))) | (set(words(description)) & _CATALOGUE_WORDS)
        options, lines = option_list(self.instructions, cues)
        header = re.split(r"[.!?]\s+", lines[0].split(":", 1)[0] if lines else "")[-1]
        header = header.strip(" -*#")
        if lines and lines[0] in self.text and len(header.split()) > _LIST_HEADER_WORDS:
            return [], self.text  # "Bulk order from Ana: 250 bags, order WS-1": a sentence
        text = self.text
        for line in lines:
            text = text.replace(line, "")
        return options, text

    def _specialised(self, name: str, description: str, hint: str) -> tuple[bool, str | None]:
        """(applies, value) for fields with a finder of their own: currency, a listed value
        (a catalogue in the prompt), an identifier, a product name."""
        own = identifier_words(name)
        if CURRENCY_LIKE.search(hint):
            return True, self._currency()
        options, rest = self.options(name, description)
        if options:
            chosen = finders.fuzzy_option(rest, options)
            exact = chosen is not None and chosen.lower() in rest.lower()
            self.doubt = CLEAR if exact else LIKELY
            return True, chosen
        if ID_NAME.search(own.replace(" ", "_")):
            shape = finders.id_shape(description)
            found = finders.id_like(self.text, name, shape)
            stated = found is not None and finders.key_value(self.text, name) is not None
            single = len(finders.id_candidates(self.text, shape)) == 1
            self.doubt = CLEAR if stated or single else LIKELY
            return True, found
        if _PRODUCT_LIKE.search(own) or (_PRODUCT_LIKE.search(hint) and not _NAME_LIKE.search(own)):
            self.doubt = LIKELY
            return True, finders.product_phrase(self.text)
        return False, None

    def _string(self, name: str, schema: dict, optional: bool = False) -> str | None:
        description = schema.get("description", "")
        hint = f"{identifier_words(name)} {description}".lower()
        fmt = schema.get("format", "")
        date_like = fmt == "date" or (fmt != "date-time" and bool(_DATE_LIKE.search(hint)))
        found = self._stated(name, lambda v: self._fits_string(v, name, hint, date_like))
        if found:
            self.doubt = CLEAR
            if CURRENCY_LIKE.search(hint) and money.currency_words(found):
                return money.currency_words(found)[0]
            return finders.iso_date(found) if date_like else found
        if date_like or fmt == "date-time":
            value = finders.date_near(self.text, name, hint, frozenset(self.dates_taken))
            if value:
                self.dates_taken.append(value)
            if value is None and self.style == "argument":
                value = finders.first(finders.RELATIVE_TIME, self.text)  # "tomorrow", "Friday"
                self.doubt = LIKELY
                return value
            self.doubt = CLEAR if len(finders.DATE.findall(self.text)) == 1 else LIKELY
            return finders.iso_date(value) if value and date_like else value
        typed = [
            (fmt == "email" or "email" in hint, finders.EMAIL),
            (
                fmt in ("uri", "url") or re.search(r"\burl\b|website|\blink\b|\buri\b", hint),
                finders.URL,
            ),
            ("phone" in hint or fmt == "phone", finders.PHONE),
        ]
        for wanted, pattern in typed:
            if wanted:
                self.doubt = CLEAR if len(pattern.findall(self.text)) == 1 else LIKELY
                return finders.first(pattern, self.text)
        if self.style == "argument" and (value := finders.quoted(self.text)):
            self.doubt = CLEAR
            return value
        # A field with its own finder answers from it; if it finds nothing, a nullable one is null.
        applies, value = self._specialised(name, description, hint)
        if applies:  # an id, currency, listed value or product: its finder's word is final
            return value
        self.doubt = LIKELY
        if _PLACE_LIKE.search(hint) and (value := finders.proper_noun(self.text, "place")):
            return value
        if _ORG_LIKE.search(hint) and (value := finders.proper_noun(self.text, "organisation")):
            return value
        person = _NAME_LIKE.search(identifier_words(name)) or _PERSON_LIKE.search(description)
        if person and (value := finders.proper_noun(self.text, "person")):
            return value
        self.doubt = GUESS
        if self.style == "argument":
            return self._leftover_words() or None
        content = [s for s in sentences(self.text) if not _JSON_WORD.search(s)]
        best = finders.best_sentence(self.text, hint)
        return best if best or optional else next(iter(content), None)

    def _stated(self, name: str, fits: Any) -> str | None:
        """A value written after the field's name ("Order ID: 42"), or after one word of it
        ("Guest: Amara Singh" for guest_name) when that value `fits` the field's type."""
        strict = finders.key_value(self.text, name)
        if strict:
            return strict
        loose = finders.key_value(self.text, name, loose=True)
        return loose if loose and fits(loose) else None

    def _fits_string(self, value: str, name: str, hint: str, date_like: bool) -> bool:
        """Whether a loosely labelled value can be this string field's value."""
        if date_like:
            return finders.parse_date(value) is not None or finders.DATE.search(value) is not None
        if CURRENCY_LIKE.search(hint):
            return bool(money.currency_words(value))
        if ID_NAME.search(identifier_words(name).replace(" ", "_")):
            return any(ch.isdigit() for ch in value) and len(value.split()) <= 2
        return bool(re.search(r"[^\W\d_]", value))

    def _leftover_words(self) -> str:
        """The request's content words minus the tool's own words: "weather in Paris" -> "Paris"."""
        text = self.text
        for pattern in (finders.EMAIL, finders.URL, finders.PHONE, finders.DATE, finders.DAY_TIME):
            text = pattern.sub(" ", text)
        kept = [
            w
            for w in re.findall(r"[\w'-]+", text)
            if (stems := words(w)) and not set(stems) & self.avoid
        ]
        return " ".join(kept[:8])


def codes_in(text: str) -> list[str]:
    """Currency codes a description lists ("ISO code: USD, EUR, GBP" -> USD, EUR, GBP)."""
    return [code for code in re.findall(r"\b[A-Z]{3}\b", text) if code in money.CODES]


def garble(value: Any, schema: dict, filler: Filler, name: str = "") -> Any:
    """A wrong value of the right type: the plausible mistake a schema cannot catch.

    A listed value becomes another listed value and a currency another currency (confusions,
    not noise); see _garble_text for other strings.
    """
    rng = filler.rng
    schema, _ = filler.resolve(schema)
    if schema.get("enum") and len(schema["enum"]) > 1:
        return rng.choice([v for v in schema["enum"] if v != value])
    if isinstance(value, str) and name:
        description = schema.get("description", "")
        options, _ = filler.options(name, description)
        if CURRENCY_LIKE.search(f"{identifier_words(name)} {description}"):
            options = sorted({"USD", "EUR", "GBP", *codes_in(description)})
        others = [o for o in options if o != value]
        if others:
            return rng.choice(others)
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


def prompt_schema(ctx: Context) -> dict:
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
    """Extraction applies for a JSON response_format or a prompt (or correction) asking for JSON."""
    kind = (ctx.request.response_format or {}).get("type")
    asked_again = ctx.redo is not None and bool(_JSON_WORD.search(ctx.redo.correction))
    return (
        kind in ("json_schema", "json_object") or asks_for_json(ctx.request.messages) or asked_again
    )


def dump_json(ctx: Context, result: object) -> str:
    """`result` as JSON text; broken with malformed_json_rate when JSON was asked for in prose
    only (no json_object / json_schema response_format), half as often on a redo."""
    text = json.dumps(result, ensure_ascii=False)
    if (ctx.request.response_format or {}).get("type") in ("json_schema", "json_object"):
        return text
    malformed = min(1.0, ctx.knob("malformed_json_rate") * ctx.heat)
    if ctx.redo is not None:
        malformed *= redo.REDO_FACTOR  # it has just been shown its broken reply
    if ctx.rng.random() < malformed:
        text = break_json(text, ctx.rng)
    return text
