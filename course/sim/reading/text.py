"""Word-level text tools: the simulator's whole "understanding" is word overlap.

That is deliberate. A learner can predict what the simulator will do from what the prompt
literally says, which is exactly why label definitions, examples and clear tool descriptions
change its behaviour: they put the right words in front of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

_STOPWORD_TEXT = """a about above after again against all am an and any are as at be because been
    before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    please also get got let lets i'm im it's dont don't can't cannot via per etc"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
# Ends a sentence only before whitespace, so "€12.50", "ana@example.com" and "v2.1" stay whole.
_PROSE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_LETTERS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ELISION = re.compile(r"^(?:c|d|j|l|m|n|qu|s|t)'(?=[^\W\d_]{2})")  # French l'annulation
# Longest first, so "ingly" wins over "ing"; a stem must keep at least three letters.
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "ed", "es", "s")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Crude suffix stripping ("charge", "charged", "charging" -> "charg"): good enough to match.

    Cached: the same few thousand words are stemmed over and over, request after request."""
    for suffix in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        base = word[: -len(suffix)]
        if suffix == "s" and base[-1] in "siu":
            return word  # "access", "analysis", "status" are not plurals
        if suffix in ("ies", "ied"):
            return base + "y"
        if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiouls":
            return base[:-1]  # "shipped" -> "shipp" -> "ship"
        return base.removesuffix("e") if len(base) >= 4 else base
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word


def words(text: str | None) -> list[str]:
    """Lowercased, stemmed content words, stopwords removed, in order."""
    if not text:
        return []
    return [stem(w) for w in _WORD.findall(text.lower().replace("_", " ")) if w not in STOPWORDS]


def identifier_words(name: str) -> str:
    """Split "get_weather" or "getWeather" into "get weather" so it can be matched as words."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r"[_\-.]+", " ", spaced).lower()


def sentences(text: str | None) -> list[str]:
    """Non-empty sentences (or lines), stripped."""
    if not text:
        return []
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def prose_sentences(text: str | None) -> list[str]:
    """Sentences split only at ". " / "! " / "? " and line breaks, each copied verbatim.

    `sentences` splits at every full stop, which is fine for matching words but would cut an
    amount or an e-mail address in two; a summary copies sentences, so it needs them whole.
    """
    if not text:
        return []
    return [s.strip() for s in _PROSE_BREAK.split(text) if s and s.strip()]


def letter_tokens(text: str | None) -> list[str]:
    """Lowercased words of any alphabet ("Rückerstattung", "reembolso"), unstemmed, in order."""
    return list(_letter_tokens(text or ""))


@lru_cache(maxsize=8192)
def _letter_tokens(text: str) -> tuple[str, ...]:
    """`letter_tokens`, cached per text (a prompt's sentences are read by several skills)."""
    found = _LETTERS.findall(text.lower().replace("’", "'"))
    return tuple(_ELISION.sub("", token) for token in found)


def first_words(text: str | None, n: int) -> str:
    """The first n whitespace-separated words, with an ellipsis if more were cut."""
    parts = (text or "").split()
    return " ".join(parts[:n]) + ("…" if len(parts) > n else "")


def weighted_scores(
    query: Iterable[str], profiles: Sequence[Iterable[str] | Mapping[str, float]]
) -> list[float]:
    """Overlap of the query words with each profile, a shared word weighted 1/(profiles using it).

    The weighting is what makes a distinctive word ("refund") count for more than a word every
    profile mentions ("order"), in the spirit of IDF. A profile may weight its own words (a
    mapping word -> weight); a plain list of words weighs each 1.
    """
    weighted = [p if isinstance(p, Mapping) else dict.fromkeys(p, 1.0) for p in profiles]
    query_set = set(query)
    scores = []
    for profile in weighted:
        score = 0.0
        for word in query_set & profile.keys():
            score += profile[word] / sum(word in other for other in weighted)
        scores.append(score)
    return scores


# --- Lemmas and content tokens (for the meaning-based readers) ---------------------------------


def content_tokens(text: str | None, keep_stopwords: bool = False) -> list[str]:
    """Lowercased words of any alphabet, unstemmed, in order; stopwords and 1-letter words out.

    These are what the embedding model is asked about one by one ("charged", "parcel"), so
    they keep their real spelling, unlike `words`, whose crude stems the model would not know.
    """
    tokens = letter_tokens((text or "").replace("_", " "))
    if keep_stopwords:
        return tokens
    return [t for t in tokens if len(t) > 1 and t not in STOPWORDS]


@lru_cache(maxsize=65_536)
def lemma(word: str) -> str:
    """The dictionary form of an English word with simplemma ("charged" -> "charge")."""
    import simplemma

    return simplemma.lemmatize(word, lang="en").lower()


def content_lemmas(text: str | None) -> list[str]:
    """Lemmas of the content words of `text`, in order: inflections match ("refunds" ~ "refund")."""
    found = []
    for token in content_tokens(text):
        base = lemma(token)
        if base not in STOPWORDS and len(base) > 1:
            found.append(base)
    return found
