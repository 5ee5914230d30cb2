"""Read a chat prompt the way the simulator needs: which labels, which examples, which input.

Everything here is a plain pattern over the prompt text. If a learner writes their label set in
one of the forms documented in docs/SIMULATOR.md, the simulator sees it; if not, it does not,
and shows it by falling back to a plain reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from course.sim.skills.text import words

# An input line in a few-shot block ("Text: ...") and the answer line after it ("Label: ...").
_INPUT_MARK = r"(?:text|input|example|message|review|ticket|email|query|q|sentence|tweet|comment)"
_ANSWER_MARK = r"(?:label|category|class|answer|output|a|sentiment|intent|topic)"
_INPUT_LINE = re.compile(rf"^\s*{_INPUT_MARK}\s*\d*\s*:\s*(.*)$", re.I)
_ANSWER_LINE = re.compile(rf"^\s*{_ANSWER_MARK}\s*:\s*(.*)$", re.I)
# "Labels: a, b, c" (plural header: a singular "Label: x" is a few-shot answer, not a set).
_HEADER = re.compile(
    r"^[^\n:]*?\b(?:labels|categories|classes|options|choices|intents|topics)\b"
    r"(?:\s+(?:are|is))?\s*[:=]\s*(.*)$",
    re.I,
)
# "Answer with one of: a, b" - a verb first, so "one of the best days" in an input is no label set.
_ONE_OF = re.compile(
    r"\b(?:answer|reply|respond|classify|label|categori[sz]e|choose|pick|select|output|return|"
    r"must be|should be|exactly)\b[^\n]*?\bone of\b(?:\s+the\s+following|\s+these)?"
    r"\s*[:\-]?\s*(.*)$",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*(.+)$")
_LABEL_DEF = re.compile(r"""^[`'"*]*([A-Za-z][\w\- /]{0,40}?)[`'"*]*\s*(?::|—|–| - |=)\s*(.+)$""")
_CLASSIFY_CUE = re.compile(
    r"label|categor|classif|\bclass\b|\bclasses\b|intent|sentiment|one of", re.I
)
_JSON_ASK = re.compile(r"\bjson\b", re.I)
_BLOCK = re.compile(r'"""(.+?)"""|```(?:\w+\n)?(.+?)```|<(\w+)(?:\s[^<>]*)?>(.+?)</\3>', re.S)
# "Products: a, b, c" - a header line that states the allowed values of one string field.
_OPTION_HEADER = re.compile(r"^\s*(?:[-*•]\s*)?([^\n:]{1,40}?)\s*:\s*(.*)$")
_LIST_WORDS = frozenset({"catalogue", "catalog", "katalog", "catálogo", "list", "lista", "liste"})


@dataclass(frozen=True)
class LabelSpec:
    """A label set as the prompt states it: names, optional definitions, few-shot examples."""

    labels: list[str]
    definitions: dict[str, str] = field(default_factory=dict)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (input text, label)


def text_of(message: dict) -> str:
    """A message's text; OpenAI also allows a list of {"type": "text", "text": ...} parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content or ""


def system_text(messages: list[dict]) -> str:
    return "\n".join(text_of(m) for m in messages if m.get("role") in ("system", "developer"))


def last_user_index(messages: list[dict]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return None


def last_user_text(messages: list[dict]) -> str:
    index = last_user_index(messages)
    return "" if index is None else text_of(messages[index])


def payload(text: str, few_shot: bool = True) -> str:
    """The part of a user message that is the input, not the instructions around it.

    Looks for, in order: the last "Text: ..." style line (up to its "Label:" line) when
    `few_shot` (extraction turns it off: there "Email: ..." is data, not a marker), the last
    delimited block (triple quotes, code fence or <tag>...</tag>), else the whole message.
    """
    lines = text.splitlines() if few_shot else []
    for start in range(len(lines) - 1, -1, -1):
        match = _INPUT_LINE.match(lines[start])
        if match:
            body = [match.group(1)]
            for line in lines[start + 1 :]:
                if _ANSWER_LINE.match(line):
                    break
                body.append(line)
            found = "\n".join(body).strip()
            if found:
                return found
    blocks = [m.group(1) or m.group(2) or m.group(4) for m in _BLOCK.finditer(text)]
    if blocks:
        return blocks[-1].strip()
    return text.strip()


def delimited_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the body of every delimited block: triple quotes, code fence, <tag>."""
    spans = []
    for match in _BLOCK.finditer(text):
        group = next(g for g in (1, 2, 4) if match.group(g) is not None)
        spans.append(match.span(group))
    return spans


def undelimited(text: str) -> str:
    """`text` with the bodies of its delimited blocks cut out: what is left is instructions."""
    kept, last = [], 0
    for start, end in delimited_spans(text):
        kept.append(text[last:start])
        last = end
    return "".join(kept) + text[last:]


def instructions_text(messages: list[dict]) -> str:
    """The system prompt plus the last user turn minus its delimited data blocks.

    When the user turn has no delimited block, instructions and data cannot be told apart, so
    the whole turn counts as instructions: one more reason to delimit untrusted text.
    """
    return system_text(messages) + "\n" + undelimited(last_user_text(messages))


def option_list(instructions: str, cues: set[str]) -> tuple[list[str], list[str]]:
    """Allowed values stated for a field, and the prompt lines that stated them.

    A line "Products: Nimbus Router X2, Zephyr Laptop 14" (or such a header followed by bullet
    lines) lists the values when its header shares a word with `cues` (stemmed words of the
    field's name, or the catalogue words of its description), has no digits, and has a plural
    or a list word in it ("Products", "Product catalogue", "Known products"): so "Order
    ORD-99812: ..." or "Product: X" in a ticket is not a list. It needs two values or more.
    """
    lines = instructions.splitlines()
    for index, line in enumerate(lines):
        header = _OPTION_HEADER.match(line)
        if not header or not _lists(header.group(1), cues):
            continue
        rest = header.group(2).strip()
        if rest:
            parts = re.split(r"\s*(?:,|;|\||\band\b|\bor\b)\s*", rest.rstrip("."))
            items = [i for p in parts if (i := p.strip().strip("`'\"*.")) and len(i.split()) <= 6]
            if len(items) >= 2:
                return items, [line]
            continue
        options, used = [], [line]
        for follow in lines[index + 1 :]:
            bullet = _BULLET.match(follow)
            if not bullet:
                if options or follow.strip():
                    break
                continue
            name = re.split(r"\s*(?::|—|–| - |\()", bullet.group(1).strip())[0]
            options.append(name.strip("`'\"*. "))
            used.append(follow)
        if len(options) >= 2:
            return options, used
    return [], []


def _lists(header: str, cues: set[str]) -> bool:
    tokens = header.lower().split()
    plural = any(t.endswith("s") or t in _LIST_WORDS for t in tokens)
    return plural and not re.search(r"\d", header) and bool(cues & set(words(header)))


def _split_items(raw: str) -> list[str]:
    raw = raw.strip().strip("[](){}").rstrip(".")
    parts = re.split(r"\s*(?:,|\||;|\bor\b|\band\b)\s*", raw)
    items = [p.strip().strip("`'\"*[]().").strip() for p in parts]
    return [item for item in items if item and len(item.split()) <= 4]


def _bullet_block(lines: list[str], start: int) -> list[tuple[str, str]]:
    """Label lines after a header: "- billing: charges and refunds", "bug", "2) other"."""
    found: list[tuple[str, str]] = []
    for line in lines[start:]:
        if not line.strip():
            if found:
                break
            continue
        body = _BULLET.match(line)
        item = (body.group(1) if body else line).strip()
        definition = _LABEL_DEF.match(item)
        if definition:
            found.append((definition.group(1).strip(), definition.group(2).strip()))
        elif len(item.split()) <= 3:
            found.append((item.strip("`'\"*."), ""))
        else:
            break
    return found


def find_labels(text: str) -> tuple[list[str], dict[str, str]]:
    """Label names and any definitions stated in `text` (see module docstring for the forms)."""
    lines = text.splitlines()
    labels: list[str] = []
    definitions: dict[str, str] = {}

    def add(name: str, definition: str = "") -> None:
        existing = next((lab for lab in labels if lab.lower() == name.lower()), None)
        if existing is None:
            labels.append(name)
            existing = name
        if definition and existing not in definitions:
            definitions[existing] = definition

    for index, line in enumerate(lines):
        header = _HEADER.match(line) or _ONE_OF.search(line)
        if not header:
            continue
        rest = header.group(1).strip()
        if rest and not re.fullmatch(r"the following:?|these:?|below:?", rest, re.I):
            for item in _split_items(rest):
                add(item)
        else:
            for name, definition in _bullet_block(lines, index + 1):
                add(name, definition)
    if _CLASSIFY_CUE.search(text):
        # A block of two or more "- label: definition" bullets also states a label set.
        bullets = [_LABEL_DEF.match(m.group(1).strip()) for m in map(_BULLET.match, lines) if m]
        pairs = [(b.group(1).strip(), b.group(2).strip()) for b in bullets if b]
        stated = [lab.lower() for lab in labels]
        if len(pairs) >= 2:
            for name, definition in pairs:
                if not stated or name.lower() in stated:
                    add(name, definition)
    return labels, definitions


def find_examples(text: str, labels: list[str]) -> list[tuple[str, str]]:
    """Few-shot pairs written as "Text: ..." then "Label: ..." lines whose label is in the set."""
    by_lower = {label.lower(): label for label in labels}
    examples: list[tuple[str, str]] = []
    pending: str | None = None
    for line in text.splitlines():
        answer = _ANSWER_LINE.match(line)
        if answer and pending is not None:
            label = by_lower.get(answer.group(1).strip().strip("`'\".").lower())
            if label:
                examples.append((pending, label))
            pending = None
            continue
        given = _INPUT_LINE.match(line)
        if given:
            pending = given.group(1).strip()
    return examples


def _answer_labels(text: str) -> list[str]:
    """Labels implied by few-shot answers, used only when no set is stated explicitly."""
    seen: list[str] = []
    pending = False
    for line in text.splitlines():
        answer = _ANSWER_LINE.match(line)
        if answer and pending:
            value = answer.group(1).strip().strip("`'\".")
            if value and len(value.split()) <= 3 and value.lower() not in map(str.lower, seen):
                seen.append(value)
            pending = False
        elif _INPUT_LINE.match(line):
            pending = True
    return seen


def label_spec(messages: list[dict]) -> LabelSpec | None:
    """The label set a classification prompt states, or None if it states none."""
    last = last_user_index(messages)
    instructions = "\n".join(text_of(m) for m in messages if m.get("role") != "assistant")
    labels, definitions = find_labels(instructions)
    if not labels:
        labels = _answer_labels(instructions)
        if len(labels) < 2:
            return None
    examples = find_examples(instructions, labels)
    # Earlier user/assistant turns whose answer is a bare label are few-shot examples too.
    by_lower = {label.lower(): label for label in labels}
    for index, message in enumerate(messages):
        if message.get("role") != "assistant" or index == 0 or (last is not None and index > last):
            continue
        label = by_lower.get(text_of(message).strip().strip("`'\".").lower())
        previous = messages[index - 1]
        if label and previous.get("role") == "user":
            examples.append((payload(text_of(previous)), label))
    return LabelSpec(labels=labels, definitions=definitions, examples=examples)


def asks_for_json(messages: list[dict]) -> bool:
    """True when the instructions (system prompt or last user turn) mention JSON."""
    return bool(_JSON_ASK.search(system_text(messages) + "\n" + last_user_text(messages)))


def json_keys_from_prompt(text: str) -> dict[str, object]:
    """The keys (and example values, if given) that a prose prompt asks the JSON to have.

    Reads a JSON example in the prompt if there is one, else a "keys: a, b and c" list, else
    back-ticked names in the sentence that mentions JSON. Values are example values or None.
    """
    for match in re.finditer(r"\{[^{}]*\}", text):
        try:
            example = json.loads(match.group(0))
        except json.JSONDecodeError:
            keys = re.findall(r"""["'](\w+)["']\s*:""", match.group(0))
            if keys:
                return dict.fromkeys(keys)
            continue
        if isinstance(example, dict) and example:
            return example
    listed = re.search(
        r"\b(?:keys|fields|properties|attributes)\b\s*(?:named|called)?\s*[:\-]?\s*([^\n.]+)",
        text,
        re.I,
    )
    if listed:
        keys = [re.sub(r"\W+", "_", k).strip("_") for k in _split_items(listed.group(1))]
        keys = [k for k in keys if k]
        if keys:
            return dict.fromkeys(keys)
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if _JSON_ASK.search(sentence):
            ticked = re.findall(r"`(\w+)`", sentence)
            if ticked:
                return dict.fromkeys(ticked)
    return {}
