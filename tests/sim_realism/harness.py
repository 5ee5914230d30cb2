"""Measurements of the simulator against issue 7's bars, on inputs written for this suite only.

Every figure comes from calling `course.sim.Simulator` in-process at temperature 0 with three
seeds on both chat tiers. The inputs live in `data/*.yaml`; this module renders them into
prompts the way different people write them, scores the replies, and caches each measurement
per tier so the tests and `report.py` share one run.
"""

from __future__ import annotations

import functools
import json
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from course.sim import SimRequest, SimResult, Simulator

DATA = Path(__file__).parent / "data"
TIERS: tuple[str, ...] = ("sim-small", "sim-large")
SEEDS: tuple[int, ...] = (0, 1, 2)
# Where a documented effect is small (data policy, judge criteria), the two anchors of the
# ratio (without / documented) use twice the seeds: their noise is shared by all ten paraphrase
# ratios, so it is the noise that matters most.
ANCHOR_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
POLICY_CARRIERS = 4

# The bars of issue 7, per tier where they differ.
CLASSIFY_BAR = {"sim-small": 0.70, "sim-large": 0.85}
OFF_LABEL_MAX = 0.02
EXTRACT_BAR = {"sim-small": 0.85, "sim-large": 0.95}
TOOL_BAR = {"sim-small": 0.70, "sim-large": 0.85}
PARAPHRASE_MEDIAN_MIN = 0.70
CONTENT_FREE_MAX = 0.20
INJECTION_SMALL_MIN = 0.15
INJECTION_LARGE_RANGE = (0.03, 0.50)
# A documented effect smaller than this cannot anchor a ratio: the technique then fails its bar.
MIN_DOCUMENTED_EFFECT = 0.05

_SIM = Simulator()

Message = dict[str, Any]


@functools.cache
def load(name: str) -> Any:
    """One data file, parsed once per process."""
    with open(DATA / f"{name}.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def ask(
    model: str,
    messages: list[Message],
    seed: int,
    response_format: dict | None = None,
    tools: list[dict] | None = None,
) -> SimResult:
    """One deterministic request (temperature 0)."""
    return _SIM.complete(
        SimRequest(
            model=model,
            messages=messages,
            temperature=0.0,
            seed=seed,
            response_format=response_format,
            tools=tools,
        )
    )


def json_schema_format(schema: dict, name: str = "output") -> dict:
    """The OpenAI `response_format` for structured output with this schema."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}


# -- reading replies ----------------------------------------------------------------------------

_QUOTES = "\"'`“”‘’«»*"


def normalise_label(reply: str | None) -> str:
    """The reply as a label: whitespace, quotes and a trailing period stripped, lower case."""
    text = (reply or "").strip().strip(_QUOTES).strip()
    text = text.rstrip(".").strip().strip(_QUOTES).strip()
    return text.lower()


def parse_json_object(reply: str | None) -> dict | None:
    """The first JSON object in the reply, tolerating code fences and prose around it."""
    if not reply:
        return None
    start = reply.find("{")
    while start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(reply[start:])
        except json.JSONDecodeError:
            start = reply.find("{", start + 1)
            continue
        return value if isinstance(value, dict) else None
    return None


def words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


# -- 1. classification of unambiguous inputs ----------------------------------------------------

LAYOUTS: tuple[str, ...] = (
    "bullets",
    "prose",
    "parentheses",
    "table",
    "yaml",
    "json_schema",
    "one_of",
)


def render_classification(
    layout: str, labelset: dict, text: str
) -> tuple[list[Message], dict | None]:
    """The prompt for one input in one layout, as different people would write it."""
    task, item, labels = labelset["task"], labelset["item"], labelset["labels"]
    names = list(labels)
    if layout == "bullets":
        bullets = "\n".join(f"- {name}: {definition}" for name, definition in labels.items())
        system = f"{task}\n\nCategories:\n{bullets}\n\nReply with the category name only."
        return [{"role": "system", "content": system}, {"role": "user", "content": text}], None
    if layout == "prose":
        user = f'{task} {labelset["prose"]}\n\n"""{text}"""'
        return [{"role": "user", "content": user}], None
    if layout == "parentheses":
        options = ", ".join(f"{name} ({definition})" for name, definition in labels.items())
        system = f"{task} Possible labels: {options}. Output just the label."
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": f"Text: {text}"},
        ], None
    if layout == "table":
        rows = "\n".join(f"| {name} | {definition} |" for name, definition in labels.items())
        system = (
            f"{task}\n\n| label | use it for |\n|---|---|\n{rows}\n\n"
            "Answer with the label from the first column, nothing else."
        )
        return [
            {"role": "system", "content": system},
            {
                "role": "user",
                "content": f"<{item.replace(' ', '_')}>{text}</{item.replace(' ', '_')}>",
            },
        ], None
    if layout == "yaml":
        body = "\n".join(f"  {name}: {definition}" for name, definition in labels.items())
        system = f"{task}\n\nlabels:\n{body}\n\nRespond with exactly one label key."
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": f"Input: {text}"},
        ], None
    if layout == "json_schema":
        description = "; ".join(f"{name}: {definition}" for name, definition in labels.items())
        schema = {
            "type": "object",
            "properties": {
                "category": {"type": "string", "enum": names, "description": description}
            },
            "required": ["category"],
            "additionalProperties": False,
        }
        return [
            {"role": "system", "content": task},
            {"role": "user", "content": text},
        ], json_schema_format(schema, "classification")
    if layout == "one_of":
        user = f"{task}\nAnswer with one of: {', '.join(names)}.\n\n{item.capitalize()}: {text}"
        return [{"role": "user", "content": user}], None
    raise ValueError(f"unknown layout {layout!r}; use one of {LAYOUTS}")


def classification_label(layout: str, result: SimResult) -> str:
    """The label a reply gives ('' when it gives none)."""
    if layout == "json_schema":
        obj = parse_json_object(result.content)
        value = obj.get("category") if obj else None
        return normalise_label(value) if isinstance(value, str) else ""
    return normalise_label(result.content)


@dataclass
class Classification:
    tier: str
    accuracy: dict[str, float]  # per layout
    per_set: dict[str, dict[str, float]]  # layout -> set -> accuracy
    off_label: float
    off_label_per_layout: dict[str, float]
    n_per_layout: int
    failures: dict[str, list[str]] = field(default_factory=dict)  # layout -> examples


@functools.cache
def classification(tier: str) -> Classification:
    sets = load("classification")["sets"]
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    by_set: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    off = replies = 0
    off_by_layout: dict[str, int] = defaultdict(int)
    failures: dict[str, list[str]] = defaultdict(list)
    for layout in LAYOUTS:
        for labelset in sets:
            allowed = {name.lower() for name in labelset["labels"]}
            for item in labelset["inputs"]:
                messages, fmt = render_classification(layout, labelset, item["text"])
                for seed in SEEDS:
                    result = ask(tier, messages, seed, response_format=fmt)
                    label = classification_label(layout, result)
                    ok = label == item["label"]
                    right[layout] += ok
                    total[layout] += 1
                    by_set[(layout, labelset["name"])][0] += ok
                    by_set[(layout, labelset["name"])][1] += 1
                    replies += 1
                    if label not in allowed:
                        off += 1
                        off_by_layout[layout] += 1
                    if not ok and len(failures[layout]) < 6 and seed == SEEDS[0]:
                        failures[layout].append(
                            f"[{labelset['name']}] {item['text'][:70]!r} -> "
                            f"{(result.content or '')[:60]!r} (want {item['label']})"
                        )
    return Classification(
        tier=tier,
        accuracy={layout: right[layout] / total[layout] for layout in LAYOUTS},
        per_set={
            layout: {
                s["name"]: by_set[(layout, s["name"])][0] / by_set[(layout, s["name"])][1]
                for s in sets
            }
            for layout in LAYOUTS
        },
        off_label=off / replies,
        off_label_per_layout={layout: off_by_layout[layout] / total[layout] for layout in LAYOUTS},
        n_per_layout=total[LAYOUTS[0]],
        failures=dict(failures),
    )


# -- 2. extraction --------------------------------------------------------------------------------


def field_right(expected: Any, got: Any) -> bool:
    """A field matches its expected normal form (numbers within a cent, names case-blind)."""
    if isinstance(expected, bool):
        return got is expected
    if isinstance(expected, int | float):
        return (
            isinstance(got, int | float)
            and not isinstance(got, bool)
            and math.isclose(float(got), float(expected), abs_tol=0.005)
        )
    if isinstance(expected, str):
        return isinstance(got, str) and " ".join(got.split()).casefold() == expected.casefold()
    return got == expected


@dataclass
class Extraction:
    tier: str
    all_right: float
    per_field: dict[str, float]
    n: int
    failures: list[str]


@functools.cache
def extraction(tier: str) -> Extraction:
    data = load("extraction")
    ok_messages = n = 0
    field_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures: list[str] = []
    for message in data["messages"]:
        spec = data["schemas"][message["schema"]]
        messages = [
            {"role": "system", "content": spec["system"]},
            {"role": "user", "content": message["text"]},
        ]
        fmt = json_schema_format(spec["schema"], message["schema"])
        for seed in SEEDS:
            result = ask(tier, messages, seed, response_format=fmt)
            obj = parse_json_object(result.content) or {}
            wrong = {}
            for key, want in message["expected"].items():
                good = field_right(want, obj.get(key))
                field_hits[f"{message['schema']}.{key}"][0] += good
                field_hits[f"{message['schema']}.{key}"][1] += 1
                if not good:
                    wrong[key] = (obj.get(key), want)
            n += 1
            ok_messages += not wrong
            if wrong and len(failures) < 10 and seed == SEEDS[0]:
                detail = ", ".join(f"{k}: got {g!r} want {w!r}" for k, (g, w) in wrong.items())
                failures.append(f"{message['text'][:60]!r}: {detail}")
    return Extraction(
        tier=tier,
        all_right=ok_messages / n,
        per_field={k: v[0] / v[1] for k, v in sorted(field_hits.items())},
        n=n,
        failures=failures,
    )


# -- 4. injection with no defence -----------------------------------------------------------------


def obeyed(reply: str | None, accept: Iterable[str], task: str = "summarise") -> bool:
    """Did the reply do what the planted order demanded (give its code word)?

    In a classification task the honest reply is a label, so the code word anywhere in the
    reply means the order won. A summary may honestly copy the planted sentence, code word and
    all, so there the reply must be the code word (alone, or within at most four words).
    """
    tokens = words(reply or "")
    accepted = {a.lower() for a in accept}
    if not tokens:
        return False
    if task == "classify":
        return bool(accepted & set(tokens))
    return " ".join(tokens) in accepted or (len(tokens) <= 4 and bool(accepted & set(tokens)))


def injection_requests(
    extra_system: str | None = None,
    tasks: Iterable[str] = ("classify", "summarise"),
    carriers: int | None = None,
):
    """(style, task, messages) for every style planted in every carrier of the given tasks."""
    data = load("injection")
    for task in tasks:
        system = data[f"{task}_system"]
        if extra_system:
            system = f"{system}\n{extra_system}"
        for carrier in data[f"{task}_carriers"][:carriers]:
            for style in data["styles"]:
                user = carrier.replace("{order}", style["text"])
                yield (
                    style,
                    task,
                    [
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                )


@dataclass
class Injection:
    tier: str
    compliance: float
    per_style: dict[str, float]
    per_task: dict[str, float]
    styles_obeyed: int
    n: int
    examples: list[str]


@functools.cache
def injection(tier: str) -> Injection:
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_task: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    examples: list[str] = []
    for style, task, messages in injection_requests():
        for seed in SEEDS:
            result = ask(tier, messages, seed)
            ok = obeyed(result.content, style["accept"], task)
            hits[style["name"]][0] += ok
            hits[style["name"]][1] += 1
            per_task[task][0] += ok
            per_task[task][1] += 1
            if (
                len(examples) < 8
                and seed == SEEDS[0]
                and not ok
                and style["name"] not in {e.split(":")[0] for e in examples}
            ):
                examples.append(f"{style['name']}: ({task}) -> {(result.content or '')[:70]!r}")
    total = sum(v[0] for v in hits.values())
    n = sum(v[1] for v in hits.values())
    return Injection(
        tier=tier,
        compliance=total / n,
        per_style={k: v[0] / v[1] for k, v in hits.items()},
        per_task={k: v[0] / v[1] for k, v in per_task.items()},
        styles_obeyed=sum(1 for v in hits.values() if v[0] > 0),
        n=n,
        examples=examples,
    )


# -- 5. tool choice -------------------------------------------------------------------------------


def tool_schema(name: str, description: str | None, parameters: dict, required: list[str]) -> dict:
    function: dict[str, Any] = {
        "name": name,
        "parameters": {"type": "object", "properties": parameters, "required": required},
    }
    if description is not None:
        function["description"] = description
    return {"type": "function", "function": function}


def called_tool(result: SimResult) -> str | None:
    return result.tool_calls[0]["function"]["name"] if result.tool_calls else None


@dataclass
class ToolChoice:
    tier: str
    accuracy: float
    no_call: float
    n: int
    failures: list[str]


@functools.cache
def tool_choice(tier: str) -> ToolChoice:
    data = load("tools")
    tools = [
        tool_schema(t["name"], t["description"], t["parameters"], t["required"])
        for t in data["tools"]
    ]
    right = none = n = 0
    failures: list[str] = []
    for request in data["requests"]:
        messages = [
            {"role": "system", "content": data["system"]},
            {"role": "user", "content": request["text"]},
        ]
        for seed in SEEDS:
            name = called_tool(ask(tier, messages, seed, tools=tools))
            right += name == request["tool"]
            none += name is None
            n += 1
            if name != request["tool"] and len(failures) < 8 and seed == SEEDS[0]:
                failures.append(f"{request['text']!r} -> {name} (want {request['tool']})")
    return ToolChoice(tier=tier, accuracy=right / n, no_call=none / n, n=n, failures=failures)


# -- 3. prompt techniques, paraphrased ------------------------------------------------------------

# A technique is (a) a way to build every scored request given an addition to the prompt (None
# = without the technique) and (b) the additions: documented, paraphrases, content-free. Each
# request comes with a scorer that says whether the reply is good (higher rate = better).
Scored = tuple[list[Message], dict | None, list[dict] | None, Callable[[SimResult], bool]]


def _classify_requests(addition: str | None) -> list[Scored]:
    data = load("techniques_classify")
    system = data["system"] + (f"\n\n{addition}" if addition else "") + "\n\n" + data["answer_line"]
    out: list[Scored] = []
    for item in data["items"]:
        want = item["label"]
        out.append(
            (
                [{"role": "system", "content": system}, {"role": "user", "content": item["text"]}],
                None,
                None,
                lambda r, want=want: normalise_label(r.content) == want,
            )
        )
    return out


def _policy_requests(addition: str | None) -> list[Scored]:
    out: list[Scored] = []
    # Four classification carriers x 20 styles: the policy's effect is measured where the
    # honest answer is a label, and the suite stays within its time budget.
    requests = injection_requests(addition, tasks=("classify",), carriers=POLICY_CARRIERS)
    for style, task, messages in requests:
        out.append(
            (messages, None, None, lambda r, a=style["accept"], t=task: not obeyed(r.content, a, t))
        )
    return out


_ABSTAIN = re.compile(
    r"\b(?:i|we)\s+(?:do\s+not|don't|can't|cannot|can\s+not|am\s+unable\s+to)\s+"
    r"(?:know|tell|find|say|answer|determine)"
    r"|\bnot\s+(?:in|covered\s+(?:by|in)|mentioned\s+in|stated\s+in|included\s+in)\s+the\s+(?:\w+\s+)?"
    r"(?:context|passages?|documents?|text|information|material|sources?|excerpts?|notes)"
    r"|\b(?:context|passages?|documents?|text|information|sources?)\s+(?:does|do)\s*(?:n't|\s+not)\s+"
    r"(?:say|state|mention|contain|cover|include|specify|give)"
    r"|\bno\s+information\b|\bnot\s+enough\s+information|\binsufficient\b|\bunable\s+to\s+answer"
    r"|\bcannot\s+be\s+determined|\bnot\s+(?:mentioned|stated|specified|provided|available)\b"
    r"|\bnot\s+sure\b|\bno\s+answer\b|\bno\s+lo\s+s[ée]\b",
    re.IGNORECASE,
)


def abstained(reply: str | None, phrase: str | None = None) -> bool:
    """The reply declines to answer: the prompt's own phrase or a generic abstention."""
    text = (reply or "").strip()
    if phrase and " ".join(words(phrase)) in " ".join(words(text)):
        return True
    if normalise_label(text) in {"unknown", "n/a", "none"}:
        return True
    return bool(_ABSTAIN.search(text))


def _context_message(base: dict, question: str) -> str:
    passages = "\n".join(f"[{i}] {p}" for i, p in enumerate(base["passages"], start=1))
    return f"Context:\n{passages}\n\nQuestion: {question}"


def _abstention_requests(addition: str | dict | None) -> list[Scored]:
    data = load("grounded")
    text, phrase = _text_and_phrase(addition, load("techniques_other")["abstention"])
    system = data["system"] + (f" {text}" if text else "")
    out: list[Scored] = []
    for base in data["bases"]:
        for question in base["unanswerable"]:
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": _context_message(base, question)},
            ]
            out.append((messages, None, None, lambda r, p=phrase: abstained(r.content, p)))
    return out


def _text_and_phrase(addition: str | dict | None, spec: dict) -> tuple[str | None, str | None]:
    if addition is None:
        return None, None
    if isinstance(addition, dict):
        return addition["text"], addition["phrase"]
    if addition == spec["documented"]:
        return addition, spec["documented_phrase"]
    return addition, None


_CITATION = re.compile(r"\[\s*[123](?:\s*[,;]\s*\[?\s*[123])*\s*\]")


def _citation_requests(addition: str | None) -> list[Scored]:
    data = load("grounded")
    system = data["system"] + (f" {addition}" if addition else "")
    out: list[Scored] = []
    for base in data["bases"]:
        for item in base["answerable"]:
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": _context_message(base, item["q"])},
            ]
            out.append((messages, None, None, lambda r: bool(_CITATION.search(r.content or ""))))
    return out


def _json_requests(addition: str | None) -> list[Scored]:
    spec = load("techniques_other")["json_request"]
    out: list[Scored] = []
    for message in load("extraction")["messages"]:
        ask_line = spec["base"] + (f" {addition}" if addition else "")
        user = f"{ask_line}\n\n{message['text']}"

        def good(r: SimResult) -> bool:
            obj = parse_json_object(r.content)
            return obj is not None and {"name", "reference"} <= set(obj)

        out.append(([{"role": "user", "content": user}], None, None, good))
    return out


def _tool_requests(addition: dict | None) -> list[Scored]:
    spec = load("techniques_other")["tool_descriptions"]
    tools = [
        tool_schema(
            name,
            addition[name] if addition else None,
            {"query": {"type": "string"}},
            ["query"],
        )
        for name in spec["tools"]
    ]
    system = load("tools")["system"]
    out: list[Scored] = []
    for request in load("tools")["requests"]:
        want = spec["truth"].get(request["tool"])
        if want is None:
            continue
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": request["text"]},
        ]
        out.append((messages, None, tools, lambda r, want=want: called_tool(r) == want))
    return out


def sentence_count(text: str | None) -> int:
    parts = [p for p in re.split(r"(?<=[.!?])\s+|\n+", (text or "").strip()) if words(p)]
    return len(parts)


def _summary_requests(addition: str | None) -> list[Scored]:
    spec = load("techniques_other")
    out: list[Scored] = []
    for text in spec["summary_texts"]:
        head = spec["summary_length"]["base"] + (f" {addition}" if addition else "")
        messages = [{"role": "user", "content": f"{head}\n\n{text}"}]
        out.append((messages, None, None, lambda r: sentence_count(r.content) == 1))
    return out


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone numbers as the texts write them: groups of digits separated by spaces, 8+ digits.
_PHONE = re.compile(r"(?<![\w-])\+?\d{1,5}(?: \d{1,5}){2,}(?![\w-])")


def has_pii(text: str | None) -> bool:
    """An e-mail address or a phone number is left in the text."""
    text = text or ""
    phones = (m.group() for m in _PHONE.finditer(text))
    return bool(_EMAIL.search(text)) or any(sum(c.isdigit() for c in p) >= 8 for p in phones)


def _pii_requests(addition: str | None) -> list[Scored]:
    spec = load("techniques_other")
    out: list[Scored] = []
    for text in spec["pii_texts"]:
        head = spec["pii_omission"]["base"] + (f" {addition}" if addition else "")
        messages = [{"role": "user", "content": f"{head}\n\n{text}"}]
        out.append((messages, None, None, lambda r: not has_pii(r.content)))
    return out


_VERDICT = re.compile(r"\b(pass|fail)(?:ed|es|s)?\b", re.IGNORECASE)


def verdict(reply: str | None) -> str | None:
    obj = parse_json_object(reply)
    if obj:
        for value in obj.values():
            if isinstance(value, str) and value.strip().lower() in {"pass", "fail"}:
                return value.strip().lower()
    match = _VERDICT.search(reply or "")
    return match.group(1).lower() if match else None


def _judge_requests(addition: str | None) -> list[Scored]:
    spec = load("techniques_other")["judge"]
    rubric = addition or spec["base_rubric"]
    out: list[Scored] = []
    for item in spec["items"]:
        for bad in item["bad"]:
            user = spec["template"].format(
                question=item["q"], reference=item["ref"], output=bad, rubric=rubric
            )
            messages = [
                {"role": "system", "content": spec["system"]},
                {"role": "user", "content": user},
            ]
            out.append((messages, None, None, lambda r: verdict(r.content) == "fail"))
    return out


@dataclass(frozen=True)
class Technique:
    name: str
    metric: str  # what the good-reply rate measures
    build: Callable[[Any], list[Scored]]
    spec: Callable[[], dict]  # documented / paraphrases / content_free
    anchor_seeds: tuple[int, ...] = SEEDS  # seeds for the without / documented anchors


def _spec(file: str, key: str) -> Callable[[], dict]:
    return lambda: load(file)[key]


TECHNIQUES: tuple[Technique, ...] = (
    Technique(
        "label_definitions",
        "accuracy (opaque team names)",
        _classify_requests,
        _spec("techniques_classify", "definitions"),
    ),
    Technique(
        "few_shot_examples",
        "accuracy (opaque team names)",
        _classify_requests,
        _spec("techniques_classify", "examples"),
    ),
    Technique(
        "data_policy",
        "injections resisted",
        _policy_requests,
        _spec("techniques_other", "data_policy"),
        ANCHOR_SEEDS,
    ),
    Technique(
        "abstention_rule",
        "abstains when context lacks the answer",
        _abstention_requests,
        _spec("techniques_other", "abstention"),
    ),
    Technique(
        "citation_instruction",
        "cites a passage id",
        _citation_requests,
        _spec("techniques_other", "citations"),
    ),
    Technique(
        "judge_criteria",
        "judge fails bad answers (TNR)",
        _judge_requests,
        _spec("techniques_other", "judge"),
        ANCHOR_SEEDS,
    ),
    Technique(
        "json_request",
        "reply is a JSON object with the keys",
        _json_requests,
        _spec("techniques_other", "json_request"),
    ),
    Technique(
        "tool_descriptions",
        "right tool (code-named tools)",
        _tool_requests,
        _spec("techniques_other", "tool_descriptions"),
    ),
    Technique(
        "summary_length",
        "summary is one sentence",
        _summary_requests,
        _spec("techniques_other", "summary_length"),
    ),
    Technique(
        "pii_omission",
        "summary holds no e-mail/phone",
        _pii_requests,
        _spec("techniques_other", "pii_omission"),
    ),
)


def rate(tier: str, requests: list[Scored], seeds: Iterable[int] = SEEDS) -> float:
    """Share of good replies over every request and seed."""
    good = n = 0
    seeds = tuple(seeds)
    for messages, fmt, tools, scorer in requests:
        for seed in seeds:
            good += scorer(ask(tier, messages, seed, response_format=fmt, tools=tools))
            n += 1
    return good / n


@dataclass
class TechniqueFigures:
    name: str
    tier: str
    metric: str
    n: int  # requests per paraphrase or content-free variant (items x seeds)
    n_anchor: int  # requests for "without" and "documented" (items x anchor seeds)
    without: float
    documented: float
    paraphrases: list[float]
    content_free: list[float]

    @property
    def effect(self) -> float:
        return self.documented - self.without

    @property
    def effect_se(self) -> float:
        """Binomial standard error of the documented effect: how far to trust the anchor."""
        var = sum(p * (1 - p) for p in (self.without, self.documented)) / self.n_anchor
        return math.sqrt(var)

    def _ratio(self, value: float) -> float:
        if self.effect < MIN_DOCUMENTED_EFFECT:
            return math.nan
        return (value - self.without) / self.effect

    @property
    def paraphrase_ratios(self) -> list[float]:
        return [self._ratio(v) for v in self.paraphrases]

    @property
    def content_free_ratios(self) -> list[float]:
        return [self._ratio(v) for v in self.content_free]

    @property
    def paraphrase_median(self) -> float:
        ratios = self.paraphrase_ratios
        return math.nan if any(math.isnan(r) for r in ratios) else statistics.median(ratios)

    @property
    def content_free_mean(self) -> float:
        ratios = self.content_free_ratios
        return math.nan if any(math.isnan(r) for r in ratios) else statistics.fmean(ratios)


@functools.cache
def technique(name: str, tier: str) -> TechniqueFigures:
    tech = next(t for t in TECHNIQUES if t.name == name)
    spec = tech.spec()
    n = len(tech.build(None)) * len(SEEDS)
    return TechniqueFigures(
        name=name,
        tier=tier,
        metric=tech.metric,
        n=n,
        n_anchor=len(tech.build(None)) * len(tech.anchor_seeds),
        without=rate(tier, tech.build(None), tech.anchor_seeds),
        documented=rate(tier, tech.build(spec["documented"]), tech.anchor_seeds),
        paraphrases=[rate(tier, tech.build(p)) for p in spec["paraphrases"]],
        content_free=[rate(tier, tech.build(c)) for c in spec["content_free"]],
    )


def technique_names() -> list[str]:
    return [t.name for t in TECHNIQUES]
