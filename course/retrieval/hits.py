"""The one result type every retriever returns, so BM25, dense and fused rankings compare."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk: its id, the retriever's score (higher is better) and its 1-based rank.

    Scores are only comparable within one ranking: a BM25 score and a cosine similarity live
    on different scales, which is why hybrid.py fuses ranks or normalised scores, never raw ones.
    """

    chunk_id: str
    score: float
    rank: int


def ranked(scored: list[tuple[str, float]], k: int | None = None) -> list[Hit]:
    """Hits sorted by descending score, ties broken by id so equal scores rank reproducibly."""
    ordered = sorted(scored, key=lambda pair: (-pair[1], pair[0]))
    if k is not None:
        ordered = ordered[:k]
    return [Hit(chunk_id, float(score), rank) for rank, (chunk_id, score) in enumerate(ordered, 1)]
