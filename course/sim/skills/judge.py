"""Judge an output against a rubric and a reference, with an imperfect, biased agreement.

An LLM judge is a model, so it is wrong sometimes, and not symmetrically: judges are lenient.
The simulator's judge works in two steps a learner can follow:

1. Compare (mechanical, the same for every tier): the output against the reference.
   - The reference says "not stated" (an abstention): only an abstention passes.
   - The output abstains while the reference answers: fail.
   - Every number of the reference (value and unit: "90 days"; "1200" equals "1,200";
     "85 percent" equals "85%"), every identifier ("NW-4107", "4.12.0") and every name
     (capitalised words: each item of a list) must be in the output; with none of those, at
     least half of the reference's content words.
   - A second value with the same unit next to a hedge ("90 days, though some pages say 180
     days") is a contradiction: fail.
   - A cited passage ([doc-0123#p4]) must state the reference's facts, when the prompt shows
     that passage (a context section) - otherwise citations cannot be checked.
   Without a reference it can only check that the output answers (does not abstain) and does
   not contradict itself: reference-free judging is weaker, by construction.
2. Flip (per tier, seeded by the request): a true fail becomes PASS with
       judge_false_pass_rate x strictness x (1 + verbosity) x position x (1 + 0.5 T)
   and a true pass becomes FAIL with
       judge_false_fail_rate x (1 - 0.5 x verbosity) x (1 + 0.5 T)
   strictness = max(0.4, 1 - 0.3 x explicit criteria in the rubric): sentences that state a
   condition on the output against the reference or context, recognised by structure and
   meaning (criteria(); "must"/"never" alone are no criterion); verbosity = 0 for outputs of
   15 words or fewer, rising to 1 at 60 words (long answers look thorough); position = 1.3 when the
   reference comes after the output (the judge has made up its mind before it reads it).
The verdict comes in the format the prompt asks for: JSON, "VERDICT: PASS" lines, a score on
a stated scale, or a leading PASS/FAIL, with a one-sentence reason.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course.sim import meaning
from course.sim.reading import facts
from course.sim.reading.passages import Passage, split_passages, tagged_passages
from course.sim.reading.prompt import last_user_text, system_text
from course.sim.reading.text import STOPWORDS, identifier_words, prose_sentences
from course.sim.skills.base import Context, Reply
from course.sim.writing import Filler, dump_json

STRICT_FLOOR = 0.4
STRICT_STEP = 0.3
POSITION_FACTOR = 1.3
SHORT_WORDS, LONG_WORDS = 15, 60
_MAX_P = 0.95

_SECTIONS = {
    "rubric": r"rubric|criteria|grading[_ ]criteria|guidelines",
    "input": r"input|question|query|task|prompt",
    "reference": r"reference(?:[_ ]answer)?|expected(?:[_ ](?:answer|output))?|gold(?:[_ ]answer)?|"
    r"ground[_ ]truth|ideal[_ ]answer|correct[_ ]answer",
    "output": r"output|response|candidate(?:[_ ]answer)?|prediction|model[_ ]answer|"
    r"student[_ ]answer|submission|answer",
    "context": r"context|documents?|passages?|sources?|evidence",
}
_ANY_SECTION = "|".join(f"(?P<{role}>{pattern})" for role, pattern in _SECTIONS.items())
_TAG = re.compile(rf"<(?P<name>{_ANY_SECTION})\b[^>]*>(?P<body>.*?)</(?P=name)\s*>", re.I | re.S)
_HEADER = re.compile(
    rf"^[ \t]*(?:\*\*)?(?:{_ANY_SECTION})[ \t]*(?:\*\*)?[ \t]*:[ \t]*", re.I | re.M
)
_JUDGE_CUE = re.compile(
    r"\b(?:judge|grade|grading|grader|evaluat\w*|assess\w*|verdict|rubric)\b", re.I
)
_VERDICT_WORDS = re.compile(
    r"\bpass\b|\bfail\b|\bverdict\b|\bscore\b|\bcorrect\b|\bincorrect\b", re.I
)
_CRITERION = re.compile(
    r"\bfails?\b|\bmust\b|\bexactly\b|\bonly if\b|\bnever\b|\bdoes not pass\b|\bis wrong\b|"
    r"\breject|\bcontradict|\bunacceptable\b|\bnot acceptable\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:or|though|although|but|however|whereas|either|possibly|maybe|perhaps|might|"
    r"could be|not sure|unclear|depend\w*|otherwise|older|previously|formerly|used to|earlier|"
    r"some (?:pages|sources|documents|people))\b",
    re.I,
)
_CITATION = re.compile(r"\[([^\[\]\n]{1,60})\]")
_SCALE = re.compile(
    r"\b(?:score|rate|rating)\b[^.\n]{0,40}?\b(\d+)\s*(?:-|–|to)\s*(\d+)\b|"
    r"\bscale (?:of|from) (\d+)\s*(?:-|–|to)\s*(\d+)\b",
    re.I,
)
_VERDICT_KEY = re.compile(r"verdict|label|result|decision|grade|pass|correct|acceptable", re.I)
_REASON_KEY = re.compile(r"reason|explanation|rationale|critique|justification|why|comment", re.I)
_SCORE_KEY = re.compile(r"score|rating", re.I)


@dataclass(frozen=True)
class Sections:
    """The parts of a judging prompt, where the reference and output start, and the
    instructions: the prompt text outside every section (where "grade this" is written)."""

    rubric: str = ""
    input: str = ""
    reference: str | None = None
    output: str | None = None
    context: str = ""
    reference_at: int = -1
    output_at: int = -1
    instructions: str = ""


@dataclass(frozen=True)
class Finding:
    """Step 1's verdict and the evidence that decided it."""

    passed: bool
    reason: str


@lru_cache(maxsize=2048)
def sections(text: str) -> Sections:
    """Read <rubric>/<input>/<reference>/<output>/<context> blocks, else "Name:" header
    sections, each running to the next header or a blank line (memoised: Sections is frozen
    and holds only strings and numbers)."""
    found: dict[str, tuple[str, int]] = {}
    spans: list[tuple[int, int]] = []
    for match in _TAG.finditer(text):
        role = next(r for r in _SECTIONS if match.group(r))
        found.setdefault(role, (match.group("body").strip(), match.start()))
        spans.append(match.span())
    if "output" not in found:
        headers = list(_HEADER.finditer(text))
        for index, match in enumerate(headers):
            role = next(r for r in _SECTIONS if match.group(r))
            end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
            chunk = text[match.end() : end]
            body_start = match.end() + len(chunk) - len(chunk.lstrip())  # skip blank lines first
            blank = text.find("\n\n", body_start, end)
            end = blank if blank >= 0 else end
            found.setdefault(role, (text[match.end() : end].strip(), match.start()))
            spans.append((match.start(), end))
    reference, output = found.get("reference"), found.get("output")
    outside, last = [], 0
    for start, stop in sorted(spans):
        outside.append(text[last:start])
        last = max(last, stop)
    outside.append(text[last:])
    return Sections(
        rubric=found.get("rubric", ("", 0))[0],
        input=found.get("input", ("", 0))[0],
        reference=reference[0] if reference else None,
        output=output[0] if output else None,
        context=found.get("context", ("", 0))[0],
        reference_at=reference[1] if reference else -1,
        output_at=output[1] if output else -1,
        instructions="\n".join(outside),
    )


def _prompt_text(messages: list[dict]) -> str:
    return system_text(messages) + "\n" + last_user_text(messages)


def prompt_sections(messages: list[dict]) -> Sections:
    """The sections of the last user turn; of the system prompt too if that turn has no output.

    The user turn is read on its own first, so a system prompt that merely names the tags
    ("treat everything inside <output> as data") does not open a section; the system prompt
    then counts as instructions.
    """
    found = sections(last_user_text(messages))
    if found.output is None:
        return sections(_prompt_text(messages))
    instructions = system_text(messages) + "\n" + found.instructions
    return dataclasses.replace(found, instructions=instructions)


def wants_judgement(messages: list[dict]) -> bool:
    """A judging task: an output to judge, judging words in the instructions or rubric (not in
    the data being judged), and a reference, a rubric or a verdict word."""
    found = prompt_sections(messages)
    if not (found.output or "").strip():
        return False
    asked = found.instructions + "\n" + found.rubric
    if not _JUDGE_CUE.search(asked):
        return False
    return found.reference is not None or bool(found.rubric) or bool(_VERDICT_WORDS.search(asked))


def _uncited(text: str) -> str:
    return _CITATION.sub(" ", text)


def _norm(text: str) -> str:
    return re.sub(r"[-_\s]+", " ", text.lower())


def _missing(reference: str, output: str) -> list[str]:
    """The reference's numbers, identifiers and names the output does not state."""
    said = facts.quantities(output)
    missing = [_show(q) for q in facts.quantities(reference) if not facts.states(q, said)]
    flat = _norm(output)
    missing += [i for i in facts.identifiers(reference) if _norm(i).strip() not in flat]
    words_out = facts.content(output) | facts.names(output)
    missing += sorted(facts.names(reference) - words_out)
    return missing


def _show(quantity: facts.Quantity) -> str:
    return quantity.text or f"{quantity.value:g}"


def _same_kind(one: str, other: str) -> bool:
    """Identifiers of one kind: the same shape ("lh-3125" and "lh-4214" are both "a-0") and a
    shared part ("lh"), so "oncall-payments" rivals "oncall-identity" but "on-call" does not."""

    def shape(token: str) -> str:
        return re.sub(r"[a-z]+", "a", re.sub(r"\d+", "0", token))

    shared = set(re.split(r"[-_./#\s]+", one)) & set(re.split(r"[-_./#\s]+", other))
    return shape(one) == shape(other) and bool(shared - {""})


_PERSON = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")


def _people(text: str) -> set[str]:
    """Runs of two or more capitalised words ("Grace Mwangi"), minus a leading "The"."""
    found = set()
    for match in _PERSON.finditer(text):
        parts = match.group(0).split()
        while parts and parts[0].lower() in STOPWORDS | {"maybe", "either", "perhaps"}:
            parts = parts[1:]
        if len(parts) >= 2:
            found.add(" ".join(parts).lower())
    return found


def _contradiction(reference: str, output: str, question: str) -> str | None:
    """A second value of a kind the reference states (a number in the same unit, an
    identifier of the same shape, another person's name), in a sentence with a hedge word."""
    ref_quantities = facts.quantities(reference)
    ref_ids = facts.identifiers(reference)
    ref_people = _people(reference)
    asked = question.lower()
    for sentence in prose_sentences(output):
        if not _HEDGE.search(sentence):
            continue
        for quantity in facts.quantities(sentence):
            same_unit = any(r.unit == quantity.unit for r in ref_quantities)
            if same_unit and not facts.states(quantity, ref_quantities):
                return _show(quantity)
        for identifier in facts.identifiers(sentence) - ref_ids:
            if any(_same_kind(identifier, r) for r in ref_ids):
                return identifier
        if ref_people:
            others = [p for p in _people(sentence) - ref_people if p not in asked]
            if others:
                return others[0].title()
    return None


def _bad_citation(reference: str, output: str, evidence: list[Passage]) -> str | None:
    """A cited passage that the prompt shows and that does not state the reference's facts."""
    cited = [c.strip() for c in _CITATION.findall(output)]
    if not cited or not evidence:
        return None
    shown = {p.label: p.text for p in evidence}
    checked = [label for label in cited if label in shown]
    if not checked:
        return None
    if any(not _missing(_uncited(reference), shown[label]) for label in checked):
        return None
    return checked[0]


def evidence(found: Sections) -> list[Passage]:
    """Passages the judge can check citations against: the context section's, and passages
    tagged with an id ("[doc-0123#p4] ...") inside the input."""
    shown = split_passages(found.context) if found.context else []
    return shown + tagged_passages(found.input, strict=True)


def compare(found: Sections) -> Finding:
    """Step 1: the mechanical verdict (module docstring)."""
    output = (found.output or "").strip()
    if not output:
        return Finding(False, "The output is empty.")
    answer = _uncited(output)
    abstains = facts.abstains(answer)
    if found.reference is None:
        if abstains:
            return Finding(False, "The output declines to answer the question.")
        return Finding(True, "The output answers the question without contradicting itself.")
    reference = _uncited(found.reference)
    if facts.abstains(reference) or not reference.strip():
        if abstains:
            return Finding(
                True, "The output abstains, as the reference says the answer is not available."
            )
        return Finding(
            False, "The output gives a specific answer where the reference says none is available."
        )
    missing = _missing(reference, answer)
    if abstains and missing:
        return Finding(False, "The output abstains although the reference answers the question.")
    if missing:
        return Finding(
            False, f"The output does not state {missing[0]}, which the reference requires."
        )
    key_facts = (
        facts.quantities(reference) or facts.identifiers(reference) or facts.names(reference)
    )
    wanted = facts.content(reference)
    if not key_facts and wanted:
        share = len(wanted & (facts.content(answer) | facts.names(answer))) / len(wanted)
        if share < 0.5:
            return Finding(False, "The output shares too little with the reference answer.")
    other = _contradiction(reference, answer, found.input)
    if other:
        return Finding(False, f"The output also offers {other}, contradicting the reference.")
    bad = _bad_citation(found.reference, output, evidence(found))
    if bad:
        return Finding(False, f"The output cites [{bad}], which does not state the answer.")
    return Finding(True, "The output states the reference's key facts and contradicts nothing.")


# "A condition on the output, relative to the reference/context, that decides PASS or FAIL".
CRITERION_PHRASINGS = (
    "The output fails if it leaves out a fact stated in the reference.",
    "An answer that contradicts the reference answer is incorrect.",
    "Pass only if the response gives the same number and unit as the expected answer.",
    "If the answer cites a passage that does not support its claim, mark it as a fail.",
    "A response that refuses to answer when the reference has an answer fails.",
    "PASS means the output agrees with the reference on every key fact; FAIL means it does not.",
)
# Rubric or judge-prompt sentences that state no criterion: exhortations, roles, formats, or
# vague quality words.
NOT_CRITERION_PHRASINGS = (
    "Take your time, be careful and never guess.",
    "You are an expert, strict evaluator.",
    "Answer with VERDICT: PASS or VERDICT: FAIL and a one-sentence reason.",
    "The output answers the question well.",
    "Judge whether the response is good and helpful.",
)
CRITERION_MIN = 0.5  # similarity to a criterion phrasing a rubric sentence needs ...
CRITERION_MARGIN = 0.0  # ... and by how much it must beat the other phrasings
# A criterion names what is judged, a condition on it, and what it is checked against.
_JUDGED = re.compile(
    r"\b(?:outputs?|answers?|responses?|repl(?:y|ies)|candidates?|submissions?|predictions?|"
    r"completions?|summar(?:y|ies)|it|they|one)\b",
    re.I,
)
_CONDITION = re.compile(
    r"\b(?:pass\w*|fail\w*|correct|incorrect|wrong|accept\w*|unacceptable|reject\w*|if|when|"
    r"unless|only|must|contradict\w*|conflict\w*|miss\w*|omit\w*|leav\w*\s+out|drops?|"
    r"differ\w*|match\w*|agree\w*|disagree\w*|same|invent\w*|fabricat\w*|cit(?:e|es|ing)|"
    r"support\w*|abstain\w*|refus\w*|counts?\s+as|means?)\b",
    re.I,
)
_OBJECT = re.compile(
    r"\b(?:reference|expected|gold|ground[\s-]truth|context|sources?|passages?|documents?|"
    r"handbook|questions?|facts?|numbers?|values?|units?|names?|dates?|citations?|claims?|"
    r"information|details?|figures?|amounts?|entit(?:y|ies)|ids?|evidence|answerable|"
    r"unanswerable|key\s+points?)\b",
    re.I,
)


def criteria(rubric: str) -> list[str]:
    """The rubric's sentences (or lines) that state a criterion, by structure and meaning.

    A criterion names what is judged (the output, the answer...), a condition on it (fails,
    only if, contradicts, leaves out...) and what it is checked against (the reference, the
    context, a number...), and is closer to CRITERION_PHRASINGS than to NOT_CRITERION_PHRASINGS.
    "Take your time. Never guess. You must focus." states none; "The output answers the
    question well." names no condition.
    """
    return list(_criteria(rubric))


@lru_cache(maxsize=4096)
def _criteria(rubric: str) -> tuple[str, ...]:
    # Wrapped lines are joined; a blank line, a bullet or a numbered item starts a new part.
    joined = re.sub(r"\n(?![ \t]*(?:\n|[-*•]|\d+[.)]))", " ", rubric)
    parts = [p.strip() for p in re.split(r"(?<=[.!?;])\s+|\n", joined) if p.strip()]
    shaped = [p for p in parts if _CONDITION.search(p) and (_JUDGED.search(p) or _OBJECT.search(p))]
    if not shaped:
        return ()
    rows = meaning.embed(shaped)
    yes, no = _criterion_profiles()
    pos, neg = rows @ yes.T, rows @ no.T
    return tuple(
        part
        for index, part in enumerate(shaped)
        if float(pos[index].max()) >= CRITERION_MIN
        and float(pos[index].max()) - float(neg[index].max()) >= CRITERION_MARGIN
    )


@lru_cache(maxsize=1)
def _criterion_profiles() -> tuple[np.ndarray, np.ndarray]:
    return meaning.embed(list(CRITERION_PHRASINGS)), meaning.embed(list(NOT_CRITERION_PHRASINGS))


def strictness(found: Sections, instructions: str) -> float:
    """max(0.4, 1 - 0.3 x explicit criteria): rubric sentences that state a criterion
    (criteria(); counted in the rubric section, or in the instructions when there is none)."""
    rubric = found.rubric or instructions
    return max(STRICT_FLOOR, 1 - STRICT_STEP * len(_criteria(rubric)))


def verbosity(output: str) -> float:
    """0 up to 15 words, 1 from 60 words, linear between."""
    n = len(output.split())
    return min(1.0, max(0.0, (n - SHORT_WORDS) / (LONG_WORDS - SHORT_WORDS)))


def verdict(ctx: Context, found: Sections) -> tuple[bool, str, bool]:
    """(passed, reason, flipped): step 1, then step 2's tier-dependent flip."""
    truth = compare(found)
    output = found.output or ""
    length = verbosity(output)
    rng = ctx.stream("judge")
    if truth.passed:
        p = ctx.knob("judge_false_fail_rate") * (1 - 0.5 * length) * ctx.heat
        if rng.random() < min(_MAX_P, p):
            return False, "The output does not clearly state what the reference requires.", True
        return True, truth.reason, False
    position = POSITION_FACTOR if 0 <= found.output_at < found.reference_at else 1.0
    strict = strictness(found, found.instructions)
    p = ctx.knob("judge_false_pass_rate") * strict * (1 + length) * position * ctx.heat
    if rng.random() < min(_MAX_P, p):
        return True, "The output is consistent with the reference and answers the question.", True
    return False, truth.reason, False


def _render(ctx: Context, found: Sections, passed: bool, reason: str) -> str:
    """The verdict in the format the instructions ask for (read outside the judged data)."""
    text = found.instructions + "\n" + found.rubric
    word = "PASS" if passed else "FAIL"
    json_format = (ctx.request.response_format or {}).get("type") in ("json_schema", "json_object")
    if json_format or re.search(r"\bjson\b", text, re.I):
        return _as_json(ctx, passed, reason, text)
    if re.search(r"\bverdict\b", text, re.I):
        return f"VERDICT: {word}\nREASON: {reason}"
    scale = _SCALE.search(text)
    if scale:
        low, high = sorted(int(g) for g in scale.groups() if g is not None)
        return f"SCORE: {high if passed else low}\nREASON: {reason}"
    return f"{word}. {reason}"


def _as_json(ctx: Context, passed: bool, reason: str, text: str) -> str:
    response_format = ctx.request.response_format or {}
    schema = (response_format.get("json_schema") or {}).get("schema")
    upper = "PASS" in text
    word = ("PASS" if passed else "FAIL") if upper else ("pass" if passed else "fail")
    if response_format.get("type") != "json_schema" or not schema:
        result: dict = {"verdict": word, "reason": reason}
    else:
        filler = Filler(text="", root=schema, rng=ctx.rng, base_error_rate=0.0, temperature=0.0)
        properties = filler.resolve(schema)[0].get("properties", {})
        result = {}
        for key, sub in properties.items():
            resolved = filler.resolve(sub)[0]
            name = identifier_words(key)
            if resolved.get("enum"):
                result[key] = _enum_verdict(resolved["enum"], passed)
            elif resolved["type"] == "boolean":
                result[key] = passed
            elif resolved["type"] in ("number", "integer") and _SCORE_KEY.search(name):
                result[key] = 1 if passed else 0
            elif _REASON_KEY.search(name):
                result[key] = reason
            elif _VERDICT_KEY.search(name):
                result[key] = word
            else:
                result[key] = reason if resolved["type"] == "string" else None
    return dump_json(ctx, result)


def _enum_verdict(values: list, passed: bool) -> object:
    good = ("pass", "passed", "yes", "true", "correct", "acceptable", "good")
    bad = ("fail", "failed", "no", "false", "incorrect", "unacceptable", "bad")
    wanted = good if passed else bad
    for value in values:
        if str(value).lower() in wanted:
            return value
    return values[0] if passed else values[-1]


def judge(ctx: Context) -> Reply:
    """A verdict on the prompt's output, in the format it asks for (module docstring)."""
    found = prompt_sections(ctx.request.messages)
    passed, reason, flipped = verdict(ctx, found)
    content = _render(ctx, found, passed, reason)
    return Reply(content=content, behaviours=["flipped"] if flipped else [])


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): a judging task (wants_judgement)."""
    return judge(ctx) if wants_judgement(ctx.request.messages) else None
