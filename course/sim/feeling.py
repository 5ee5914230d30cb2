"""How positive or negative a text sounds: the reading a static embedding model lacks.

A static model averages word vectors, and "love" and "hate" sit close together (both are strong
feelings about something), so "the best pizza I've had" reads as neutral to it. Valence is a
separate, well-studied signal: VADER (Hutto & Gilbert, 2014) scores a text from a public lexicon
of about 7,500 words rated by people, with rules for negation ("not good"), intensifiers ("very"),
"but" and capitals. The simulator asks it only how a text *feels*, in [-1, 1]; what a text is
about still comes from `course.sim.meaning`.

    from course.sim import feeling
    feeling.valence("Honestly the best pizza I've had")  # about +0.6
"""

from __future__ import annotations

from functools import lru_cache

_CACHE_SIZE = 16_384


@lru_cache(maxsize=1)
def _analyzer():  # -> vaderSentiment's SentimentIntensityAnalyzer (loads its lexicon once)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=_CACHE_SIZE)
def valence(text: str) -> float:
    """VADER's compound score of `text`: -1 very negative, 0 neutral or unknown, +1 positive."""
    if not text.strip():
        return 0.0
    return float(_analyzer().polarity_scores(text)["compound"])


@lru_cache(maxsize=_CACHE_SIZE)
def share(text: str) -> float:
    """The share of `text`'s words that carry a clear feeling in the lexicon (|rating| >= 1.5
    on VADER's -4..4 scale): "insults, threats, slurs" is mostly feeling, "errors, crashes,
    pages that do not load" hardly."""
    words = [w.strip(".,;:!?()\"'").lower() for w in text.split()]
    words = [w for w in words if len(w) > 2]
    if not words:
        return 0.0
    lexicon = _analyzer().lexicon
    return sum(abs(lexicon.get(w, 0.0)) >= 1.5 for w in words) / len(words)
