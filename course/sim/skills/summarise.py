"""Summarise the user's text by copying its most central sentences (an extractive summary).

How it reads the text:
- greeting lines ("Hi team,"), sign-off lines ("Thanks,", "Best regards, Ana") and everything
  after a sign-off line (the signature), quoted replies (lines starting with ">", and
  everything after "On ... wrote:") and header lines ("From:", "Subject:") are not
  candidates; the subject's words still count as evidence of the topic;
- each remaining sentence scores the sum, over its distinct content words (e-mails, phone
  numbers and links do not count), of how many other sentences (and the subject) share it,
  divided by the square root of its number of content words: the sentence that shares most
  with the rest of the ticket is the most central, and a long one is not favoured just for
  being long;
- the best sentences, in their original order, are the summary: as many as the prompt asks
  ("in one sentence", "in 2 sentences", "tl;dr" = one), within a word limit if it gives one
  ("in 25 words", "under 30 words": the best sentences that fit, or the best one cut to the
  limit), else a third of the sentences (one to three).

Errors: with probability summary_miss_rate x (1 + 0.5 x temperature), one picked sentence is
swapped: half the time for a greeting, quoted or signature line (if the text has one), else the
key sentence for the next-best one. Sentences are copied verbatim, so an e-mail address or phone
number in them lands in the summary. Only if the instructions say to leave personal data out
(the documented wordings in NO_PII, or any instruction recognised by meaning by
cues.asks_to_leave_out_personal_data: "no contact details of anyone", "redact e-mails") is
each one masked ("[email]", "[phone]", "[card]"), each with probability pii_mask_rate
(its miss chance, 1 - pii_mask_rate, grows with temperature like every error).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

from course.sim.behaviours import injection
from course.sim.reading import cues, finders
from course.sim.reading.prompt import delimited_spans, instructions_text, last_user_text, payload
from course.sim.reading.text import letter_tokens, prose_sentences, stem, words
from course.sim.skills.base import Context, Reply

_NUMBER_WORDS = {"one": 1, "a": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_NUMBER_WORDS |= {"una": 1, "dos": 2, "tres": 3, "einem": 1, "zwei": 2, "drei": 3}
_NUMBER_WORDS |= {"une": 1, "deux": 2, "trois": 3}
_COUNT = r"(\d+|one|a|single|two|three|four|five|una|dos|tres|einem|zwei|drei|une|deux|trois)"

ASK = re.compile(
    r"\bsummari[sz](?:e|es|ed|ing|ation)\b|\bsummary\b|\bsum\s+(?:it\s+|this\s+)?up\b"
    r"|\btl;?\s?dr\b|\brecap\b|\bgist\b|\bcondense\b"
    r"|\bin\s+(?:one|a\s+single|1)\s+sentence\b|\bone[-\s]sentence\b"
    r"|\bresum(?:ir|en|elo|ela|a)\b|\bresume\s+(?:el|la|este|esta|los|las|en)\b"
    r"|\bzusammenfass\w*|\bfass\w*\b[^.\n]{0,40}\bzusammen\b|\bkurzfassung\b"
    r"|\brésum(?:e|ez|er|é)\b|\bsynthèse\b"
    r"|\ben\s+una\s+(?:sola\s+)?(?:frase|oración)\b|\bin\s+einem\s+(?:einzigen\s+)?satz\b"
    r"|\ben\s+une\s+(?:seule\s+)?phrase\b",
    re.I,
)
_ONE_SENTENCE = re.compile(
    r"\bin\s+(?:one|a\s+single|1|single)\s+sentence\b|\bone[-\s]sentence\b|\btl;?\s?dr\b"
    r"|\ben\s+una\s+(?:sola\s+)?(?:frase|oración)\b|\bin\s+einem\s+(?:einzigen\s+)?satz\b"
    r"|\ben\s+une\s+(?:seule\s+)?phrase\b",
    re.I,
)
_N_SENTENCES = re.compile(
    rf"\b(?:in|en|at\s+most|no\s+more\s+than|max(?:imum)?|up\s+to)\s+{_COUNT}\s+"
    r"(?:sentences|frases|oraciones|sätzen|phrases)\b",
    re.I,
)
_STRICT_WORDS = re.compile(
    r"\b(?:under|fewer\s+than|less\s+than|below|menos\s+de|unter|weniger\s+als|moins\s+de)\s+"
    r"(\d+)\s+(?:words|palabras|wörter|wörtern|mots)\b",
    re.I,
)
_MAX_WORDS = re.compile(
    r"\b(?:in|within|at\s+most|no\s+more\s+than|max(?:imum)?|up\s+to|en|como\s+máximo|máximo|"
    r"höchstens|maximal|au\s+plus|in\s+höchstens)\s+(\d+)\s+(?:words|palabras|wörtern|mots)\b",
    re.I,
)
NO_PII = re.compile(
    r"\b(?:do\s+not|don't|never|without|no|avoid|exclude|excluding|omit|remove|redact|mask|"
    r"strip|hide|leave\s+out|sin|ohne|keine|sans)\b[^.\n]{0,60}?"
    r"\b(?:personal\s+(?:data|information|details|info)|pii|personally\s+identifiable|"
    r"contact\s+(?:details|information|info)|e-?mail(?:\s+address(?:es)?)?s?|phone\s+numbers?|"
    r"datos\s+personales|personenbezogenen?\s+daten|persönlichen?\s+daten|"
    r"données\s+personnelles)"
    r"|\banonymi[sz]e\b|\bredact\b",
    re.I,
)
# A greeting line: the greeting and at most three more words, no full stop ("Hi team,").
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|greetings|to\s+whom|hola|"
    r"buenos\s+días|buenas(?:\s+tardes)?|estimad[oa]s?|hallo|guten\s+(?:tag|morgen|abend)|"
    r"sehr\s+geehrte[rs]?|liebe[rs]?|bonjour|bonsoir|salut|cher|chère|madame|monsieur)\b"
    r"(?:[\s,]+[\w'-]+){0,3}\s*[,!:]?$",
    re.I,
)
# A sign-off line: the phrase alone, or followed by a name of up to three capitalised words.
_SIGN_OFF = re.compile(
    r"^(?:thanks|thank\s+you|many\s+thanks|thx|best|best\s+regards|kind\s+regards|regards|"
    r"cheers|sincerely|yours(?:\s+truly|\s+sincerely)?|saludos|un\s+saludo|atentamente|gracias|"
    r"muchas\s+gracias|mit\s+freundlichen\s+grüßen|viele\s+grüße|beste\s+grüße|grüße|danke|"
    r"vielen\s+dank|cordialement|bien\s+à\s+vous|merci(?:\s+d'avance)?)"
    r"(?:\s+(?:in\s+advance|for\s+your\s+help))?"
    r"(?:[\s,.!]*|[\s,]+(?-i:[A-ZÀ-Ý][\w.'-]*(?:\s+[A-ZÀ-Ý][\w.'-]*){0,2})[.!]?)$",
    re.I,
)
_QUOTE_HEADER = re.compile(r"^(?:on\s.{0,80}\swrote:|-{2,}\s*original\s+message\s*-{2,})", re.I)
_HEADER = re.compile(
    r"^(subject|from|to|cc|date|sent|re|asunto|betreff|objet|de|para|an|von)\s*:\s*(.*)$", re.I
)
# Function words of the four languages: they say nothing about what a ticket is about.
_FUNCTION_TEXT = """de la el en y que los las del se por un una con para es al lo como más o
    pero mi me le su no si ya muy der die das und ist ich nicht ein eine zu mit den dem von
    auf für es sie wir mein meine bei auch noch aber oder le les des et un une du en est je pas
    pour dans que qui ce il elle mon ma mes sur au avec vous nous"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


@dataclass
class Material:
    """The text cut into candidate sentences, lines no summary should copy, and the subject."""

    candidates: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    subject: str = ""


@dataclass(frozen=True)
class Length:
    """What the prompt allows: a number of sentences and/or a number of words (None = free)."""

    sentences: int | None
    words: int | None


def wants_summary(messages: list[dict]) -> bool:
    """True when the instructions (not the delimited data) ask for a summary."""
    return bool(ASK.search(instructions_text(messages)))


def wants_pii_left_out(instructions: str) -> bool:
    """True if the instructions ask to leave personal data out: the documented wordings
    (NO_PII), or in other words by meaning (cues.asks_to_leave_out_personal_data)."""
    return bool(NO_PII.search(instructions)) or cues.asks_to_leave_out_personal_data(instructions)


def length_of(instructions: str) -> Length:
    """Read "in one sentence", "in 3 sentences", "in 20 words", "under 30 words" (en/es/de/fr)."""
    sentences = None
    if _ONE_SENTENCE.search(instructions):
        sentences = 1
    elif match := _N_SENTENCES.search(instructions):
        sentences = _count(match.group(1))
    limit = None
    if match := _STRICT_WORDS.search(instructions):
        limit = max(1, int(match.group(1)) - 1)
    elif match := _MAX_WORDS.search(instructions):
        limit = int(match.group(1))
    return Length(sentences, limit)


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw.lower(), 1)


def material(text: str) -> Material:
    """Cut the text into candidates and noise (rules in the module docstring)."""
    found = Material()
    tail_is_noise = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if tail_is_noise or stripped.startswith(">") or _QUOTE_HEADER.match(stripped):
            tail_is_noise = tail_is_noise or not stripped.startswith(">")
            found.noise.extend(prose_sentences(stripped))
            continue
        if stripped in ("--", "-- ") or _SIGN_OFF.match(stripped):
            tail_is_noise = True
            found.noise.extend(prose_sentences(stripped))
            continue
        header = _HEADER.match(stripped)
        if header:
            if header.group(1).lower() in ("subject", "asunto", "betreff", "objet", "re"):
                found.subject = header.group(2)
            continue
        for sentence in prose_sentences(stripped):
            if _GREETING.match(sentence) or _SIGN_OFF.match(sentence):
                found.noise.append(sentence)
            else:
                found.candidates.append(sentence)
    return found


def _content(sentence: str) -> set[str]:
    """Content words of a sentence; contact details and links say nothing about the topic."""
    for pattern in (finders.EMAIL, finders.URL, finders.PHONE, finders.CARD):
        sentence = pattern.sub(" ", sentence)
    ascii_words = set(words(sentence))
    other = {stem(t) for t in letter_tokens(sentence) if not t.isascii()}
    return {w for w in ascii_words | other if w not in _FUNCTION_WORDS and len(w) > 1}


def ranking(found: Material) -> list[int]:
    """Candidate indices, most central first (earlier first on a tie)."""
    bags = [_content(s) for s in found.candidates]
    subject = _content(found.subject)
    scores = []
    for i, bag in enumerate(bags):
        shared = sum(sum(w in other for j, other in enumerate(bags) if j != i) for w in bag)
        shared += len(bag & subject)
        scores.append(shared / math.sqrt(len(bag)) if bag else 0.0)
    return sorted(range(len(bags)), key=lambda i: (-scores[i], i))


def choose(found: Material, order: list[int], length: Length) -> list[int]:
    """Which candidates to keep: by count, then greedily within the word limit."""
    count = length.sentences or min(3, max(1, round(len(order) / 3)))
    if length.words is None:
        return order[:count]
    picked, used = [], 0
    for index in order:
        size = len(found.candidates[index].split())
        if len(picked) < count and used + size <= length.words:
            picked.append(index)
            used += size
    return picked or order[:1]


def _fit(text: str, limit: int | None) -> str:
    parts = text.split()
    if limit is None or len(parts) <= limit:
        return text
    return " ".join(parts[:limit]).rstrip(",;:") + "…"


def _err(found: Material, ranked: list[int], picked: list[int], ctx: Context) -> list[str]:
    """The picked sentences in text order, one possibly swapped (see module docstring)."""
    chosen = sorted(picked)
    if ctx.rng.random() >= min(1.0, ctx.knob("summary_miss_rate") * ctx.heat):
        return [found.candidates[i] for i in chosen]
    spare = [i for i in ranked if i not in picked]
    if found.noise and (ctx.rng.random() < 0.5 or not spare):
        weakest = max(picked, key=ranked.index)  # with one sentence, that is the key sentence
        line = ctx.rng.choice(found.noise)
        return [line if i == weakest else found.candidates[i] for i in chosen]
    if spare:
        key = min(picked, key=ranked.index)
        return [found.candidates[spare[0] if i == key else i] for i in chosen]
    return [found.candidates[i] for i in chosen]


def mask_pii(text: str, rate: float, rng: random.Random) -> str:
    """Replace each card number, e-mail address and phone number with a tag, each with `rate`."""
    for pattern, tag in (
        (finders.CARD, "[card]"),
        (finders.EMAIL, "[email]"),
        (finders.PHONE, "[phone]"),
    ):
        text = pattern.sub(lambda m, t=tag: t if rng.random() < rate else m.group(0), text)
    return text


def source_text(messages: list[dict]) -> str:
    """The text to summarise: the last delimited block, else the user turn minus the request
    (the lines asking for a summary, keeping what follows "Summarise this:" on the same line)."""
    user = last_user_text(messages)
    if delimited_spans(user):
        return payload(user, few_shot=False)
    kept = []
    for line in user.splitlines():
        head, colon, tail = line.partition(":")
        if not ASK.search(line):
            kept.append(line)
        elif colon and ASK.search(_last_sentence(head)) and tail.strip():
            kept.append(tail.strip())  # "Summarise this: <the text>", not "... Keep it short:"
    text = "\n".join(kept)
    return text if text.strip() else user


def _last_sentence(text: str) -> str:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return parts[-1] if parts else text


def summarise(ctx: Context) -> Reply:
    """An extractive summary of the user's text, or the planted order's text if it is obeyed."""
    messages = ctx.request.messages
    planted = injection.obeyed(ctx)
    if planted is not None:
        return Reply(content=injection.demanded_text(planted, messages), behaviours=["injected"])
    instructions = instructions_text(messages)
    source = source_text(messages)
    found = material(source)
    if not found.candidates:  # nothing but a greeting and a signature: copy what there is
        kept = [s for s in found.noise if not s.startswith(">")] or [found.subject]
        found.candidates = [s for s in kept if s] or [" ".join(source.split()[:30])]
    length = length_of(instructions)
    ranked = ranking(found)
    chosen = _err(found, ranked, choose(found, ranked, length), ctx)
    text = _fit(" ".join(s for s in chosen if s), length.words)
    if wants_pii_left_out(instructions):
        miss = min(1.0, (1 - ctx.knob("pii_mask_rate")) * ctx.heat)
        text = mask_pii(text, 1 - miss, ctx.rng)
    return Reply(content=text.strip())


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): instructions that ask for a summary."""
    return summarise(ctx) if wants_summary(ctx.request.messages) else None
