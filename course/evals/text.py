"""Text normalisation and word shingles, shared by the scorers and the dataset checks.

One definition of "the same text" for the whole library: if the scorers and the leakage
check normalised differently, an item could count as a duplicate but not as a correct answer.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from typing import Any

ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_ASCII_PUNCTUATION = frozenset(string.punctuation)


def _dropped(char: str) -> bool:
    """Punctuation (Unicode category P*), SQuAD's ASCII set, and invisible format characters."""
    category = unicodedata.category(char)
    return char in _ASCII_PUNCTUATION or category.startswith("P") or category == "Cf"


def normalise(text: str | None) -> str:
    """Text reduced to what a human grader would compare; None becomes "".

    Exactly these steps, in this order (SQuAD's normalisation, extended to Unicode):
      1. Unicode NFKC: compatibility forms fold together ("ﬁ" -> "fi", "Ａ" -> "A",
         a no-break space -> a space).
      2. casefold (a stronger lower(): "Straße" -> "strasse").
      3. delete punctuation: every character in Unicode category P* (.,;:!?'"-()[]{}«»“”。…)
         plus the ASCII symbols in string.punctuation ($%&*+/<=>@^_`|~#\\), and invisible
         format characters (category Cf: zero-width spaces, the byte-order mark). Deleted, not
         replaced by a space, as SQuAD does: "U.S." -> "us", "don't" -> "dont".
      4. delete the English articles "a", "an", "the" as whole words.
      5. collapse every run of whitespace to one space and strip the ends.
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = "".join(char for char in text if not _dropped(char))
    text = ARTICLES.sub(" ", text)
    return " ".join(text.split())


def words(text: str | None) -> list[str]:
    """The normalised text split on whitespace: the tokens of token F1 and of shingles."""
    return normalise(text).split()


def shingles(text: str | None, size: int) -> frozenset[tuple[str, ...]]:
    """The set of `size`-word windows of the normalised text.

    A text shorter than `size` words is one shingle (all its words), so short texts can
    still match; an empty text has no shingles.
    """
    tokens = words(text)
    if len(tokens) <= size:
        return frozenset([tuple(tokens)]) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def flatten_text(value: Any) -> str:
    """The words of an input, whatever its shape: strings as they are, dicts by their values
    (in key order, so field names shared by every item do not make items look alike)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(flatten_text(value[key]) for key in sorted(value, key=str))
    if isinstance(value, Iterable):
        return " ".join(flatten_text(part) for part in value)
    return str(value)
