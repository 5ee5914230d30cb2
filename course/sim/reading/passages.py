"""Read a question-answering prompt: the context passages, the question, and the rules.

A retrieval-augmented prompt puts passages in front of the model and asks a question about
them. The simulator recognises the common layouts (docs/SIMULATOR.md lists them):

- a context section: a <context>...</context> block (also <documents>, <passages>,
  <sources>, <retrieved>, <search_results>, <excerpts>, <knowledge>), or a header line
  "Context:" / "Documents:" / "Passages:" / "Sources:" / "Retrieved passages:" running to
  the "Question:" line or the end of the message;
- passages inside it: lines tagged "[doc-0123#p4] ...", "[1] ...", "Source 2: ...",
  "Passage 3: ...", or <doc id="..."> blocks; untagged, blank-line blocks numbered 1, 2, ...;
  outside a section, lines tagged with an id that has a digit ("[doc-0123#p4] ...", "[1] ...");
- the question: a <question> block, a "Question:" (or "Q:") line, else the last sentence
  ending in "?" outside the context;
- the rules, in the instructions (system prompt and the user turn minus the context): whether
  to cite passage ids, and whether (and with what words) abstaining is allowed - both also
  by meaning (CITE_PHRASINGS, ABSTAIN_PHRASINGS), so a learner's own wording of a rule counts.

The layout is read with patterns, so a layout it does not know is simply not seen.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from course.sim import meaning
from course.sim.reading import cues
from course.sim.reading.prompt import last_user_text, system_text, undelimited

STANDARD_ABSTENTION = "I don't know based on the provided context."

_SECTION_NAMES = (
    r"context|documents?|passages?|sources?|retrieved(?:[_ ]\w+)?|search[_ ]results|excerpts?|"
    r"knowledge(?:[_ ]base)?"
)
_SECTION_TAG = re.compile(rf"<({_SECTION_NAMES})\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_SECTION_HEADER = re.compile(
    r"^[ \t]*(?:#+[ \t]*|\*\*)?(?:context|documents?|passages?|sources?|"
    r"retrieved (?:passages|documents|context|chunks)|search results|excerpts?|"
    r"knowledge base|(?:handbook|reference) (?:excerpts|passages|documents))"
    r"[ \t]*(?:\*\*)?[ \t]*:[ \t]*(.*)$",
    re.I | re.M,
)
_QUESTION_TAG = re.compile(r"<(question|query)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_QUESTION_LINE = re.compile(
    r"^[ \t]*(?:\*\*)?(?:question|user question|q)[ \t]*(?:\*\*)?[ \t]*:[ \t]*(.*)$", re.I | re.M
)
_SECTION_END = re.compile(
    r"^[ \t]*(?:\*\*)?(?:question|user question|q|instructions?|answer)[ \t]*(?:\*\*)?[ \t]*:",
    re.I | re.M,
)
_INNER_DOC = re.compile(r"<(doc|document|passage|source|chunk)\b([^>]*)>(.*?)</\1\s*>", re.I | re.S)
_DOC_ATTR = re.compile(r"\b(?:id|name|source|key|ref)\s*=\s*[\"']?([^\"'\s>]+)", re.I)
_TAG_LINE = re.compile(
    r"^[ \t]*(?:\[(?P<bracket>[^\[\]\n]{1,60})\](?!\()|【(?P<lent>[^】\n]{1,60})】|"
    r"(?:source|passage|document|doc|chunk|excerpt)[ \t]*#?[ \t]*(?P<named>[\w#.\-/]{1,40})"
    r"[ \t]*(?:\([^)\n]{0,60}\))?[ \t]*[:.\-–—])[ \t]*[:\-–—]?[ \t]*(?P<rest>.*)$",
    re.I,
)
_BARE_ID = re.compile(r"^[\w#.:/\-]*\d[\w#.:/\-]*$")  # an id with a digit: doc-0123#p4, 1, S2
_DATE = re.compile(
    r"(?:updated|last updated|date|dated|as of|effective(?: from)?|valid from)"
    r"[ \t]*[:=]?[ \t]*(\d{4}-\d{2}-\d{2})",
    re.I,
)
_TAG_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_SUPERSEDED = re.compile(
    r"\b(?:superseded|obsolete|outdated|archived|out of date|no longer (?:valid|applies|"
    r"in effect|current|accurate))\b",
    re.I,
)
_CITE = re.compile(
    r"\bcit(?:e|es|ing|ation|ations)\b|\b(?:source|passage|document|doc) ids?\b|"
    r"\b(?:ids?|sources?|passages?) in (?:square )?brackets\b|"
    r"\breference the (?:passages?|sources?|documents?)\b",
    re.I,
)
# Abstaining is allowed by an instruction, not by the words "don't know" anywhere: a cue
# inside an if-clause ("If the context does not contain the answer, ...") or after a verb of
# saying ("say you don't know"), or "abstain", "unanswerable", "say so".
_ABSTAIN_CUE = (
    r"(?:(?:don'?t|do not|does not|doesn'?t) know|\bnot sure\b|\bunsure\b|"
    r"\b(?:cannot|can'?t|unable to) (?:answer|find|tell)|\binsufficient\b|"
    r"\bnot enough (?:information|context)\b|"
    r"\b(?:not|n't|no|lacks?|missing|absent)\b[^.\n]*"
    r"\b(?:context|passages?|documents?|sources?|excerpts?|handbook|information|answer)\b)"
)
_ABSTAIN = re.compile(
    rf"\bif\b[^.\n]*{_ABSTAIN_CUE}|"
    rf"\b(?:say|reply|respond|answer|write|output|return|admit|state)\b[^.\n]{{0,40}}{_ABSTAIN_CUE}|"
    r"\babstain|\bunanswerable\b|\bsay so\b",
    re.I,
)
_QUOTED = re.compile(r"\"([^\"\n]{2,160})\"|“([^”\n]{2,160})”|(?<!\w)'(.{2,160}?)'(?!\w)")
_QA_FRAME = re.compile(
    r"\banswer (?:the|this|my|each|following|user'?s?)\b[^.\n]{0,20}\bquestions?\b|"
    r"\banswer questions\b|\bquestion[- ]answering\b",
    re.I,
)


@dataclass(frozen=True)
class Passage:
    """One passage: the label the prompt gives it (what a citation names) and its text."""

    label: str
    text: str
    date: str | None = None
    superseded: bool = False


@dataclass(frozen=True)
class QATask:
    """A question, the passages supplied for it, and the prompt's rules for answering."""

    question: str
    passages: list[Passage] = field(default_factory=list)
    cite: bool = False
    abstain_phrase: str | None = None  # None: the prompt does not allow abstaining
    instructions: str = ""


def _passage(label: str, text: str, tag_line: str = "") -> Passage:
    date = _DATE.search(text) or _TAG_DATE.search(tag_line)
    return Passage(
        label=label.strip(),
        text=text.strip(),
        date=date.group(1) if date else None,
        superseded=bool(_SUPERSEDED.search(text) or _SUPERSEDED.search(tag_line)),
    )


def tagged_passages(text: str, strict: bool) -> list[Passage]:
    """Passages that start at tagged lines and run to the next tag.

    `strict` is for text outside a context section: only "[id]" tags whose id has a digit
    count, and a blank line ends a passage (what follows is the rest of the message).
    """
    found: list[Passage] = []
    label, tag_line, body = None, "", []
    for line in text.splitlines():
        match = _TAG_LINE.match(line)
        tag = match and (match.group("bracket") or match.group("lent") or match.group("named"))
        if (
            tag
            and strict
            and not (_BARE_ID.match(tag) and match.group("bracket") and match.group("rest").strip())
        ):
            # In free text a passage is "[id] text" on one line; a lone "[EMAIL_1]" (a redaction
            # placeholder in a signature) or "[1]" footnote marker is not a passage.
            tag = None
        if tag:
            if label is not None:
                found.append(_passage(label, "\n".join(body), tag_line))
            label, tag_line, body = tag, line, [match.group("rest")]
        elif label is not None and strict and not line.strip():
            found.append(_passage(label, "\n".join(body), tag_line))
            label, body = None, []
        elif label is not None:
            body.append(line)
    if label is not None:
        found.append(_passage(label, "\n".join(body), tag_line))
    return [p for p in found if p.text]


def split_passages(section: str) -> list[Passage]:
    """The passages of a context section: <doc> blocks, tagged lines, else blank-line blocks."""
    inner = list(_INNER_DOC.finditer(section))
    if inner:
        passages = []
        for number, match in enumerate(inner, start=1):
            attr = _DOC_ATTR.search(match.group(2))
            passages.append(_passage(attr.group(1) if attr else str(number), match.group(3)))
        return [p for p in passages if p.text]
    tagged = tagged_passages(section, strict=False)
    if tagged:
        return tagged
    blocks = [b for b in re.split(r"\n[ \t]*\n", section) if b.strip()]
    return [_passage(str(n), block) for n, block in enumerate(blocks, start=1)]


def _sections(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The context sections of `text` and the spans they cover (tags first, then headers)."""
    bodies, spans = [], []
    for match in _SECTION_TAG.finditer(text):
        bodies.append(match.group(2))
        spans.append(match.span())
    if bodies:
        return bodies, spans
    for match in _SECTION_HEADER.finditer(text):
        end_match = _SECTION_END.search(text, match.end())
        end = end_match.start() if end_match else len(text)
        bodies.append(match.group(1) + text[match.end() : end])
        spans.append((match.start(), end))
        break  # one header section: it runs to the question or the end
    return bodies, spans


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    kept, last = [], 0
    for start, end in sorted(spans):
        kept.append(text[last:start])
        last = max(last, end)
    return "".join(kept) + text[last:]


def find_question(text: str) -> tuple[str | None, bool]:
    """(question, marked): from a <question> block or a "Question:" line (marked), else the
    last sentence ending in "?" (not marked)."""
    tagged = _QUESTION_TAG.search(text)
    if tagged and tagged.group(2).strip():
        return tagged.group(2).strip(), True
    lines = list(_QUESTION_LINE.finditer(text))
    if lines:
        last = lines[-1]
        rest = last.group(1).strip() or text[last.end() :].strip().split("\n")[0].strip()
        if rest:
            return rest, True
    asked = re.findall(r"[^.!?\n]*\?", text)
    asked = [q.strip() for q in asked if len(q.split()) >= 2]
    return (asked[-1], False) if asked else (None, False)


# "If the context does not hold the answer, say you don't know", said a few general ways.
ABSTAIN_PHRASINGS = (
    "If the context does not contain the answer, say you don't know.",
    "When the passages do not answer the question, reply that you cannot answer it.",
    "If the information is missing from the documents, admit that you do not know.",
    "Answer only from the sources; if they are silent on the question, say so.",
    "If you cannot find the answer in the text, respond with 'unknown'.",
)
# Instructions for answering that are not an abstention rule.
NOT_ABSTAIN_PHRASINGS = (
    "Answer the question using the context below.",
    "Cite the passage ids in square brackets after each sentence.",
    "Take your time, be accurate and never guess.",
    "Keep the answer short, one sentence at most.",
    "If the question is about billing, mention the invoice number.",
)
ABSTAIN_MIN = 0.55  # similarity to an abstention phrasing a sentence needs ...
ABSTAIN_MARGIN = 0.05  # ... and by how much it must beat the other phrasings
# What an abstention rule speaks of: the answer being absent, or saying one does not know.
_ABSENCE = re.compile(
    r"\b(?:know|knows|idea|clue|sure|unsure|unknown|uncertain|unavailable|unable|cannot|can'?t|couldn'?t|missing|"
    r"absent|lacks?|lacking|silent|insufficient|nothing|abstain\w*|decline|admit|unanswerable|"
    r"not\s+(?:\w+\s+)?(?:contain|include|mention|say|cover|have|answer|state|there|present|"
    r"found|given|supported|provided|available|listed)\w*|no\s+(?:\w+\s+)?(?:answer|information|"
    r"mention|evidence|support)|(?:does|do|is|are)n'?t)\b",
    re.I,
)


def abstain_line(instructions: str) -> str | None:
    """The line of `instructions` that allows abstaining, or None.

    The documented wordings (_ABSTAIN) match directly. Otherwise, by meaning: a sentence that
    speaks of the answer being absent or of not knowing (_ABSENCE) and is closer to
    ABSTAIN_PHRASINGS than to NOT_ABSTAIN_PHRASINGS by ABSTAIN_MARGIN, with a similarity of at
    least ABSTAIN_MIN. "Never guess" alone is no rule: it does not say what to do instead.
    """
    match = _ABSTAIN.search(instructions)
    if match:
        start = instructions.rfind("\n", 0, match.start()) + 1
        end = instructions.find("\n", match.end())
        return instructions[start : end if end >= 0 else len(instructions)]
    return _abstain_by_meaning(instructions)


@lru_cache(maxsize=4096)
def _abstain_by_meaning(instructions: str) -> str | None:
    parts = meaning.sentences(instructions)
    pairs = [f"{one} {two}" for one, two in itertools.pairwise(parts)]
    candidates = [s for s in parts + pairs if _ABSENCE.search(s)]
    if not candidates:
        return None
    rows = meaning.embed(candidates)
    yes, no = _abstain_profiles()
    pos, neg = rows @ yes.T, rows @ no.T
    for index, sentence in enumerate(candidates):
        best, other = float(pos[index].max()), float(neg[index].max())
        if best >= ABSTAIN_MIN and best - other >= ABSTAIN_MARGIN:
            return sentence
    return None


@lru_cache(maxsize=1)
def _abstain_profiles() -> tuple[np.ndarray, np.ndarray]:
    return meaning.embed(list(ABSTAIN_PHRASINGS)), meaning.embed(list(NOT_ABSTAIN_PHRASINGS))


# "Say which passage each part of the answer comes from", said a few general ways.
CITE_PHRASINGS = (
    "Cite the passage ids you used in square brackets.",
    "After each sentence, give the id of the source passage in brackets.",
    "Name the document each fact of your answer comes from.",
    "Add a reference to the supporting passage at the end of your answer.",
)
NOT_CITE_PHRASINGS = (
    "Answer the question using only the passages below.",
    "If the passages do not contain the answer, say you don't know.",
    "Be precise, careful and trustworthy; never guess.",
    "Keep the answer short and in a professional tone.",
)
CITE_MIN = 0.55  # similarity to a citation phrasing a sentence needs ...
CITE_MARGIN = 0.05  # ... and by how much it must beat the other phrasings
# What a citation rule speaks of: where the answer comes from, or the passages' tags.
_CITE_TOPIC = re.compile(
    r"\b(?:sources?|passages?|documents?|docs?|excerpts?|chunks?|references?|referenc\w*|ids?|"
    r"tags?|labels?|numbers?|brackets?|bracketed|attribut\w*|provenance|footnotes?)\b|\[",
    re.I,
)


def asks_citations(instructions: str) -> bool:
    """True if the instructions ask to cite passages: the documented wordings (_CITE), or by
    meaning a sentence about sources or tags close to CITE_PHRASINGS (by CITE_MARGIN over
    NOT_CITE_PHRASINGS, at least CITE_MIN)."""
    return bool(_CITE.search(instructions)) or _cite_by_meaning(instructions)


@lru_cache(maxsize=4096)
def _cite_by_meaning(instructions: str) -> bool:
    candidates = [s for s in meaning.sentences(instructions) if _CITE_TOPIC.search(s)]
    if not candidates:
        return False
    rows = meaning.embed(candidates)
    yes = meaning.embed(list(CITE_PHRASINGS))
    no = meaning.embed(list(NOT_CITE_PHRASINGS))
    pos, neg = (rows @ yes.T).max(axis=1), (rows @ no.T).max(axis=1)
    return bool(((pos >= CITE_MIN) & (pos - neg >= CITE_MARGIN)).any())


def abstain_phrase(instructions: str) -> str | None:
    """The words to abstain with, if the instructions allow abstaining: a quoted phrase on
    the line that allows it, else the standard one. None if abstaining is not allowed."""
    line = abstain_line(instructions)
    if line is None:
        return None
    for quoted in _QUOTED.finditer(line):
        phrase = next(g for g in quoted.groups() if g).strip()
        if len(phrase.split()) >= 2 or phrase.lower().rstrip(".") in ("unknown", "n/a", "none"):
            return phrase
    return STANDARD_ABSTENTION


def qa_task(messages: list[dict]) -> QATask | None:
    """The QA task the prompt states, or None if it is not a question over context.

    It reads only the system prompt and the last user turn, so it is memoised on those two
    texts (a copy of the passage list is handed out; passages themselves are frozen).

    With passages (a section or tagged lines) any question counts. Without passages
    (closed-book) the question must be marked ("Question:", "Q:" or <question>), or the
    instructions must frame a QA task ("answer the question", an abstention rule), or an
    empty context section must be given: a bare "What is a p95 latency?" stays a plain chat.
    An unmarked question and the rules are read outside delimited blocks (data).
    """
    task = _qa_task(system_text(messages), last_user_text(messages))
    return None if task is None else dataclasses.replace(task, passages=list(task.passages))


@lru_cache(maxsize=2048)
def _qa_task(system: str, user: str) -> QATask | None:
    bodies, spans = _sections(user)
    passages = [p for body in bodies for p in split_passages(body)]
    outside = _cut(user, spans)
    if not bodies:
        passages = tagged_passages(user, strict=True)
        if passages:
            tag_lines = [i for i, line in enumerate(user.splitlines()) if _TAG_LINE.match(line)]
            lines = user.splitlines()
            outside = "\n".join(
                line
                for i, line in enumerate(lines)
                if i not in tag_lines and not _in_passage(i, tag_lines, lines)
            )
    if not bodies and not passages:
        sys_bodies, _ = _sections(system)
        if sys_bodies:  # a RAG system prompt may carry the passages itself
            bodies = sys_bodies
            passages = [p for body in sys_bodies for p in split_passages(body)]
    question, marked = find_question(outside)
    if question is not None and not marked:
        # An unmarked question must be the user's own, not one quoted in delimited data.
        question, _ = find_question(undelimited(outside))
    if question is None:
        return None
    # Rules come from the instructions, not from data: "I don't know why" in a quoted e-mail
    # is no abstention rule.
    instructions = system + "\n" + undelimited(_QUESTION_TAG.sub(" ", outside))
    phrase = abstain_phrase(instructions.replace(question, " "))  # the question is no rule
    framed = marked or phrase is not None or bool(_QA_FRAME.search(instructions)) or bool(bodies)
    if not passages and not framed:
        return None
    return QATask(
        question=question,
        passages=passages,
        cite=_asks_citations_anyhow(instructions.replace(question, " ")),
        abstain_phrase=phrase,
        instructions=instructions,
    )


def _asks_citations_anyhow(rules: str) -> bool:
    """The citation rule in the documented forms, or recognised by meaning (cues.py)."""
    return asks_citations(rules) or cues.asks_for_citations(rules)


def _in_passage(index: int, tag_lines: list[int], lines: list[str]) -> bool:
    """True if line `index` continues a tagged passage (follows a tag line, before a blank)."""
    before = [t for t in tag_lines if t < index]
    if not before:
        return False
    return all(lines[i].strip() for i in range(before[-1], index + 1))
