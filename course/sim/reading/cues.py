"""Recognise prompt techniques by what the instructions mean, not by the documented words.

A learner who writes "no contact details of anyone, please" instead of "leave out personal
data" has used the same technique, and a real model would notice. So each technique below is
a *concept*, recognised in a sentence of the instructions when three things hold:

1. the sentence speaks of the concept's topic (a broad, general vocabulary: for JSON output
   "JSON", "object", "keys", "fields", "machine-readable", ...; the full lists are `topic`
   below and in docs/SIMULATOR.md), and, for personal data and citations, has a `polarity`
   word (leaving out: a removal verb, "keep/leave ... out", a negated verb of including or
   showing, "no"/"without"; citing: a verb of naming or marking, an id, number or bracket);
2. it is shaped like an instruction about the output, not like a statement in the data: one
   of its clauses is imperative ("Return ...", "Don't ...", "..., so hide ..."), it speaks to
   the model ("you", "your reply", "the summary"), states a requirement ("must", "should",
   "needs", "has to", "may not", "only", "no ...") or is an output header ("Output: ...");
3. by meaning (course.sim.meaning), the sentence or one of its instruction-shaped clauses is
   at least `floor` similar to one of the concept's general phrasings (`phrasings`) and
   closer to it than to every near-miss (`contrasts`: content-free advice such as "be
   precise", a neighbouring task, the topic stated as a fact) by `margin`. When the model
   cannot read the sentence at all (every similarity below UNREAD, typically a language the
   English model barely knows), two different topic words decide instead.

Two structural shortcuts: an output template (a format header or "reply with/like/as"
followed by an object with a key and a colon, `Output format: {"name": "..."}`) asks for
JSON; an instruction-shaped sentence about sources that shows a citation's form ("[n]",
"[1]", "[id]") asks for citations.

Only instructions count: the caller passes the system prompt plus the user turn minus its
delimited data (prompt.instructions_text). Text that is not delimited cannot be told apart
from instructions, so a sentence of an undelimited e-mail that happens to be shaped like a
request about contact details can count: one more reason to delimit data. A sentence that
itself contains an e-mail address, a phone number or a link is data and never counts.

Each answer is cached per instructions text, and sentences that fail the cheap checks (1, 2)
are never embedded, so a plain chat prompt costs two regular-expression scans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course.sim import meaning
from course.sim.reading import finders

# (2) Instruction shape: an imperative verb first (after "please", "and", "then", "also" or a
# bullet), an address to the model, a requirement, or a "Format:" / "Output:" header.
_LEAD = r"^\W*(?:(?:please|pls|kindly|and|so|but|then|also|finally|now|just)\W+)*"
_IMPERATIVE = re.compile(
    _LEAD + r"(?:do\s+not|don'?t|never|always|only|avoid|make\s+sure|ensure|be|keep|leave|"
    r"omit|remove|strip|scrub|redact|mask|hide|exclude|drop|delete|replace|anonymi[sz]e|"
    r"give|return|reply|respond|answer|output|write|produce|format|structure|put|send|use|"
    r"include|add|list|provide|show|tell|state|name|mention|cite|quote|reference|point|"
    r"indicate|mark|tag|label|end|finish|start|begin|follow|back|support|attribute|wrap|say|"
    r"emit|print|render|encode|serialise|serialize|express|present|make|let|no|nothing|swap|"
    r"substitute|change|convert|turn|check|report|double-check|explain|describe|"
    r"without|sin|sans|ohne|devuelve|responde|indica|cita|incluye|no\s+incluyas|omite|elimina|gib|"
    r"antworte|nenne|entferne|lass|réponds|renvoie|indique|cite|supprime|retire|omets)\b",
    re.I,
)
_ADDRESSED = re.compile(
    r"\b(?:you|your|yours|yourself|the\s+(?:assistant|model|ai|bot)|"
    r"(?:the|this|each|every)\s+(?:answer|reply|response|output|result|summary|completion)|"
    r"usted|tu|tú|du|dein|deine|ihre|vous|votre|tes)\b",
    re.I,
)
_REQUIREMENT = re.compile(
    r"\b(?:must|should|shall|needs?\s+to|needs|has\s+to|have\s+to|may\s+not|can(?:not|'t)|"
    r"required?|requires|expected|mandatory|only|no|none|nobody|no\s+one|nothing|never|"
    r"debe|deben|muss|müssen|doit|doivent)\b",
    re.I,
)
_HEADER = re.compile(
    r"^\W*(?:output|response|reply|answer|return|result)?\s*format\s*:|"
    r"^\W*(?:output|response|reply|answer|return|result)\s*:",
    re.I,
)


_CLAUSE = re.compile(r"\s*(?:[,;:()]|\s[-–—]\s)\s*")


def instruction_shaped(sentence: str) -> bool:
    """True if the sentence reads as an instruction to the model (test 2 of the module doc).

    Each clause is tried ("For privacy reasons, redact ..." is imperative after the comma).
    """
    if _ADDRESSED.search(sentence) or _REQUIREMENT.search(sentence) or _HEADER.search(sentence):
        return True
    return any(_IMPERATIVE.search(clause) for clause in _CLAUSE.split(sentence) if clause)


def _has_contact(sentence: str) -> bool:
    return any(p.search(sentence) for p in (finders.EMAIL, finders.PHONE, finders.URL))


UNREAD = 0.35  # below this similarity to every profile the model has not understood the text


@dataclass(frozen=True)
class Concept:
    """A prompt technique: its topic vocabulary, general phrasings and near-misses."""

    name: str
    topic: re.Pattern[str]
    phrasings: tuple[str, ...]
    contrasts: tuple[str, ...]
    floor: float
    margin: float
    polarity: re.Pattern[str] | None = None  # a word the sentence must also have, if set

    def candidates(self, instructions: str) -> list[str]:
        """Sentences passing the cheap checks: topic, (polarity,) instruction shape, no data."""
        found = []
        for sentence in meaning.sentences(instructions):
            if not self.topic.search(sentence) or _has_contact(sentence):
                continue
            if self.polarity is not None and not self.polarity.search(sentence):
                continue
            if instruction_shaped(sentence):
                found.append(sentence)
        return found

    def scores(self, sentence: str) -> tuple[float, float]:
        """(best similarity to a phrasing, best similarity to a contrast) for one sentence."""
        yes, no = _profiles(self)
        row = meaning.embed([sentence])[0]
        return float((yes @ row).max()), float((no @ row).max())

    def matches(self, sentence: str) -> bool:
        """Test 3 of the module doc for one sentence that passed the cheap checks.

        When the model cannot read the sentence at all (no phrasing or contrast reaches
        UNREAD, typically a language the English model barely knows), strong lexical
        evidence decides instead: at least two different topic words (with the polarity
        word, and the instruction shape, already required).
        """
        best, other = self.scores(sentence)
        if max(best, other) < UNREAD:
            hits = {m.group(0).lower() for m in self.topic.finditer(sentence)}
            return len(hits) >= 2
        return best >= self.floor and best - other >= self.margin


@lru_cache(maxsize=16)
def _profiles(concept: Concept) -> tuple[np.ndarray, np.ndarray]:
    return meaning.embed(list(concept.phrasings)), meaning.embed(list(concept.contrasts))


def evidence(concept: Concept, instructions: str) -> str | None:
    """The sentence of the instructions that expresses the concept, or None."""
    return _evidence(concept, instructions)


@lru_cache(maxsize=4096)
def _evidence(concept: Concept, instructions: str) -> str | None:
    for sentence in concept.candidates(instructions):
        if any(concept.matches(part) for part in _readings(sentence)):
            return sentence
    return None


def _readings(sentence: str) -> list[str]:
    """The sentence, then its clauses of three words or more that carry the topic's order on
    their own ("The recap goes to everyone, so hide how to reach the people"): a static model
    averages words, so a long lead-in dilutes the instruction."""
    clauses = [c for c in _CLAUSE.split(sentence) if len(c.split()) >= 3]
    return [sentence, *(c for c in clauses if c != sentence and instruction_shaped(c))]


# --- JSON output -------------------------------------------------------------------------

JSON_OUTPUT = Concept(
    name="json_output",
    topic=re.compile(
        r"\bjson\b|\bobjects?\b|\bdict(?:ionary|ionaries)?\b|\bkeys\b|\bfields?\b|"
        r"\bkey\s*(?:[-:(]|for\b|called\b|named\b)|"
        r"\bpropert(?:y|ies)\b|\battributes?\b|\bmachine[- ]?readable\b|\bpars(?:e|ed|able|er)\b|"
        r"\bschema\b|\bkey[- ]value\b|\bmapping\b|\brecord\b|"
        r"\bobjeto\b|\bclaves?\b|\bcampos?\b|\bobjekt\b|\bschlüssel\b|\bfeldern?\b|"
        r"\bobjet\b|\bclés?\b|\bchamps\b",
        re.I,
    ),
    phrasings=(
        "Reply with a JSON object that has these keys.",
        "Return the result as a machine-readable object of key-value pairs.",
        "Format your output as a structured object with the following fields.",
        "Your answer must be an object whose properties are listed here, nothing else.",
        "I will parse your response with a program, so send a valid object.",
    ),
    contrasts=(
        "Be clear, precise and complete.",
        "Write your answer in a tidy, well organised and professional way.",
        "Answer in plain text, in one short sentence.",
        "The customer lost the key to the meeting room.",
        "Explain to a beginner what an object in a programming language is.",
        "Summarise the message for the support team.",
        "Present the main points as a bulleted list.",
    ),
    floor=0.5,
    margin=0.1,
)
# "Output format: {"name": ...}", "reply like this: {"a": 1}" - a format header or a verb of
# answering with "with/like/as/in", then an object with a key and a colon. "Tool output: {...}"
# (data pasted in) and "{question}" placeholders are not templates.
_OBJECT_TEMPLATE = re.compile(
    r"(?:\b(?:format|schema|template|shape|structure)\b|\blike\s+this\b|"
    r"\b(?:reply|respond|answer|return|output|send|give)\s+(?:\w+\s+){0,3}?(?:with|like|as|in)\b)"
    r"[^\n{}]{0,40}\{\s*[\"'`]?\w+[\"'`]?\s*:",
    re.I,
)


def asks_for_json_output(instructions: str) -> bool:
    """True if the instructions ask for a JSON (machine-readable key-value) object as output.

    Either an output template ("Output format: {"name": "..."}") or a sentence recognised as
    the JSON_OUTPUT concept (module docstring). Mentioning JSON is not enough on its own
    here; the caller (prompt.asks_for_json) keeps the literal mention as its own rule.
    """
    if _OBJECT_TEMPLATE.search(instructions):
        return True
    return evidence(JSON_OUTPUT, instructions) is not None


# --- Leave personal data out -------------------------------------------------------------

PERSONAL_DATA = Concept(
    name="leave_out_personal_data",
    topic=re.compile(
        r"\bpersonal\b|\bprivate\b|\bprivacy\b|\bconfidential\b|\bpii\b|\bidentif\w*|"
        r"\banonym\w*|\bcontacts?\b|\be-?mails?\b|\bmail\s+address\w*|\baddress(?:es)?\b|"
        r"\bphones?\b|\btelephone\b|\bmobile\b|\bnumbers?\b|\bsensitive\b|\bredact\w*|"
        r"\bdatos\b|\bcorreos?\b|\bteléfonos?\b|\bpersonales\b|\bdaten\b|\btelefon\w*|"
        r"\bpersönlich\w*|\bpersonenbezogen\w*|\bdonnées\b|\bcourriels?\b|\btéléphone\b",
        re.I,
    ),
    # The data must not appear: a removal verb, "keep/leave ... out", a negated verb of
    # including or showing, "no"/"without" + the data, or a privacy word.
    polarity=re.compile(
        r"\b(?:omit\w*|remov\w*|strip\w*|scrub\w*|redact\w*|mask\w*|hid(?:e|ing)|exclud\w*|"
        r"drop|delete|replac\w*|substitut\w*|swap|placeholders?|anonym\w*|censor\w*|"
        r"confidential|private|privacy|(?:leave|keep)\s+(?:\S+\s+){0,6}?out)\b|"
        r"\b(?:not|don'?t|never|nobody'?s?|no\s+one'?s?|cannot|can'?t|mustn'?t|shouldn'?t)\b"
        r"[^.;\n]{0,50}?\b(?:includ\w*|put|puts|mention\w*|show\w*|shar\w*|appear\w*|"
        r"reveal\w*|list\w*|add|writ\w*|copy\w*|contain\w*|end\w*\s+up|expos\w*|giv\w*|"
        r"repeat\w*|quot\w*|leak\w*|be\s+(?:in|shown|visible))\b|"
        r"\b(?:no|without|sin|sans|ohne|kein\w*|ni)\b",
        re.I,
    ),
    phrasings=(
        "Leave personal data such as e-mail addresses and phone numbers out of your answer.",
        "Do not include anyone's contact details in what you write.",
        "Remove or mask every e-mail address, phone number and other personal information.",
        "Keep the text anonymous so that no person can be identified or contacted.",
        "Private details are confidential, so redact them.",
        "Swap each contact detail for a placeholder such as [email].",
        "Keep it anonymous.",
    ),
    contrasts=(
        "Be careful, accurate and professional.",
        "Answer the customer's question about their phone contract.",
        "Please delete my account and all the data you hold about me.",
        "Summarise the message in a few sentences.",
        "Do not add anything that is not in the message.",
    ),
    floor=0.5,
    margin=0.0,  # the polarity gate already keeps out facts about contact details
)


def asks_to_leave_out_personal_data(instructions: str) -> bool:
    """True if the instructions ask to omit, mask or redact personal or contact data."""
    return evidence(PERSONAL_DATA, instructions) is not None


# --- Cite the passages -------------------------------------------------------------------

CITATIONS = Concept(
    name="citations",
    topic=re.compile(
        r"\bsources?\b|\bpassages?\b|\bdocuments?\b|\bdocs?\b|\bexcerpts?\b|\bchunks?\b|"
        r"\breferenc\w*|\bcit\w*|\bids?\b|\btags?\b|\blabels?\b|\bbrackets?\b|\bbracketed\b|"
        r"\bmarkers?\b|\bfootnotes?\b|\bprovenance\b|\battribut\w*|\[|"
        r"\bfuentes?\b|\bpasajes?\b|\bcorchetes\b|\bquellen?\b|\bklammern\b|\bcrochets\b",
        re.I,
    ),
    phrasings=(
        "Cite the id of the passage you used in square brackets.",
        "Say which source each fact comes from by giving its bracketed number.",
        "Add a reference to the supporting document after every claim.",
        "Mark each sentence with the tag of the passage it is based on.",
    ),
    contrasts=(
        "Answer the question using only the passages below.",
        "If the passages do not contain the answer, say you don't know.",
        "Be precise and trustworthy; never guess.",
        "Keep the answer short and professional.",
        "The passages below come from the company handbook.",
        "Grade the answer by comparing it with the reference answer.",
    ),
    floor=0.5,
    margin=0.0,  # the polarity gate already keeps out "use only the passages"
    # A citation rule asks to name or mark something; "use only the documents" does neither.
    polarity=re.compile(
        r"\bcit\w*|\breferenc\w*|\bmention\w*|\bname\b|\bgive\b|\btell\b|\bshow\b|"
        r"\bsay\b|\bstate\b|\bindica\w*|\bmark\w*|\btags?\b|\blabels?\b|\bids?\b|"
        r"\bnumbers?\b|\bnúmero\b|\bnummer\b|\bnuméro\b|\bbracket\w*|\[|\bfootnotes?\b|"
        r"\battribut\w*|\bpoint\w*|\bquot\w*|\bwhich\b|\bwhere\b|\bcorchetes\b|"
        r"\bklammern\b|\bcrochets\b|\bnenne\b|\bgib\b|\bback\s+up\b|\bsupport\w*",
        re.I,
    ),
)
# "[n]", "[1]", "[number]", "[id]", "[source]": the shape of a citation, shown as a template.
_CITE_TEMPLATE = re.compile(
    r"\[\s*(?:n|\d{1,2}|number|num|no|id|source|passage|doc|ref|label|tag|x|#)\s*\]", re.I
)


def asks_for_citations(instructions: str) -> bool:
    """True if the instructions ask to say which passage supports the answer.

    The CITATIONS concept (module docstring), or an instruction-shaped sentence about
    sources/passages that shows the citation's form as a template ("[n]", "[1]", "[id]").
    """
    return _cites(instructions)


@lru_cache(maxsize=4096)
def _cites(instructions: str) -> bool:
    for sentence in CITATIONS.candidates(instructions):
        if _CITE_TEMPLATE.search(sentence) or CITATIONS.matches(sentence):
            return True
    return False
