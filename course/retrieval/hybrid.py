"""Combining rankings: lexical (BM25) and dense retrievers fail on different questions.

BM25 finds exact identifiers, error codes and rare words; an embedding finds paraphrases.
Their raw scores cannot be added (a BM25 score of 12 and a cosine of 0.6 share no scale), so
fusion works on ranks or on normalised scores.

Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009):

    RRF(d) = sum over rankings r of  w_r / (k + rank_r(d))

rank_r(d) is d's 1-based rank in ranking r; a ranking that does not contain d adds nothing.
k = 60 is the paper's default: it damps the head of each list, so a document ranked 1st
by one retriever and absent from the other does not automatically beat one ranked 3rd by both.
RRF needs no tuning and ignores score scales entirely, which is why it is the usual default.

Weighted score fusion:

    fused(d) = sum over rankings r of  w_r * (s_r(d) - min_r) / (max_r - min_r)

Each ranking's scores are min-max normalised to [0, 1] over the hits it returned (all equal
scores normalise to 1); a ranking that does not contain d contributes 0. It keeps the size of
score gaps that RRF throws away, at the price of a weight to tune on a dev split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from course.retrieval.hits import Hit, ranked

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hit]],
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Fuse rankings by RRF (formula above); the fused Hit.score is the RRF score."""
    weights = _weights(rankings, weights)
    fused: dict[str, float] = defaultdict(float)
    for hits, weight in zip(rankings, weights, strict=True):
        for hit in hits:
            fused[hit.chunk_id] += weight / (k + hit.rank)
    return ranked(list(fused.items()), limit)


def weighted_score_fusion(
    rankings: Sequence[Sequence[Hit]],
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Fuse rankings by the weighted sum of min-max normalised scores (formula above)."""
    weights = _weights(rankings, weights)
    fused: dict[str, float] = defaultdict(float)
    for hits, weight in zip(rankings, weights, strict=True):
        for chunk_id, score in min_max_normalise(hits).items():
            fused[chunk_id] += weight * score
    return ranked(list(fused.items()), limit)


def min_max_normalise(hits: Sequence[Hit]) -> dict[str, float]:
    """Scores mapped to [0, 1] within one ranking: best -> 1, worst -> 0, all equal -> 1."""
    if not hits:
        return {}
    low = min(hit.score for hit in hits)
    high = max(hit.score for hit in hits)
    span = high - low
    return {hit.chunk_id: (hit.score - low) / span if span > 0 else 1.0 for hit in hits}


def _weights(rankings: Sequence[Sequence[Hit]], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    return list(weights)
