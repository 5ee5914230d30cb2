"""Retrieval metrics at passage level, whatever the chunking.

The gold labels name passages ("doc-0123#p4"); retrievers return chunks. Each retrieved chunk
is mapped to the gold-passage ids it overlaps (`to_passages`), giving a *ranking*: one entry
per retrieved chunk, in rank order, each entry a tuple of passage ids (possibly empty). A
plain passage id per entry works too. k always counts retrieved chunks, i.e. what you would
paste into a prompt, so a strategy with bigger chunks covers more passages per slot and pays
for it in prompt tokens: compare chunkings at equal token budgets as well.

For one query with gold set G (|G| >= 1) and the first k entries of the ranking:

* recall@k = |gold passages covered by the top k| / |G|
* hit@k    = 1 if any gold passage is covered by the top k, else 0
* RR       = 1 / (rank of the first entry covering a gold passage), 0 if none; MRR is its mean
* nDCG@k   = DCG@k / IDCG@k, with a log2 discount:
      DCG@k  = sum_{i=1..k} gain_i / log2(i + 1)
      IDCG@k = sum_{i=1..min(k, |G|)} g_(i) / log2(i + 1), g_(1) >= g_(2) >= ... the gold grades
  gain_i is the largest grade among gold passages *first* covered at rank i. Binary gain by
  default (every gold passage has grade 1); pass `grades` for graded gain.

Duplicates: a gold passage counts once, at the first rank that covers it, so overlapping
chunks that repeat a passage earn nothing extra. k larger than the ranking simply means fewer
entries are looked at. A chunk covering several gold passages fills one rank, so with
multi-passage chunks nDCG can stay below 1 even for a perfect ranking.

Empty gold (an unanswerable question): there is nothing to recall, so every metric is NaN and
`summarise` leaves the query out of the means and reports how many there were.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence

import pandas as pd

from course.retrieval.hits import Hit

Ranking = Sequence[str | Sequence[str]]


def to_passages(
    hits: Sequence[Hit],
    chunk_passages: Mapping[str, Sequence[str]],
    aliases: Mapping[str, str] | None = None,
) -> list[tuple[str, ...]]:
    """The ranking a metric reads: for each hit, the gold-passage ids its chunk overlaps.

    `aliases` renames passages first: when another passage states the same fact as the gold
    one, mapping it to the gold id makes finding either count as finding the answer.
    """
    aliases = aliases or {}
    return [tuple(aliases.get(p, p) for p in chunk_passages.get(hit.chunk_id, ())) for hit in hits]


def recall_at_k(ranking: Ranking, gold: Collection[str], k: int) -> float:
    """Fraction of the gold passages covered by the top `k` entries (NaN for empty gold)."""
    if not gold:
        return math.nan
    found = {passage for _, passage in _first_covers(ranking, gold, k)}
    return len(found) / len(set(gold))


def hit_at_k(ranking: Ranking, gold: Collection[str], k: int) -> float:
    """1.0 if any gold passage is covered by the top `k` entries, else 0.0 (NaN for empty gold)."""
    if not gold:
        return math.nan
    return 1.0 if next(_first_covers(ranking, gold, k), None) else 0.0


def reciprocal_rank(ranking: Ranking, gold: Collection[str], k: int | None = None) -> float:
    """1 / rank of the first entry covering a gold passage; 0.0 if none in the top `k`."""
    if not gold:
        return math.nan
    first = next(_first_covers(ranking, gold, k), None)
    return 1.0 / first[0] if first else 0.0


def ndcg_at_k(
    ranking: Ranking,
    gold: Collection[str],
    k: int,
    grades: Mapping[str, float] | None = None,
) -> float:
    """nDCG@k with log2 discount; binary gain unless `grades` gives each gold passage's grade."""
    if not gold:
        return math.nan
    grade = {
        passage: 1.0 if grades is None else float(grades.get(passage, 1.0)) for passage in gold
    }
    gains: dict[int, float] = {}
    for rank, passage in _first_covers(ranking, gold, k):
        gains[rank] = max(gains.get(rank, 0.0), grade[passage])
    dcg = sum(gain / math.log2(rank + 1) for rank, gain in gains.items())
    ideal = sorted(grade.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def score_queries(
    rankings: Mapping[str, Ranking],
    gold: Mapping[str, Collection[str]],
    ks: Sequence[int] = (1, 5, 10),
) -> pd.DataFrame:
    """One row per query in `gold`: hit@k, recall@k and nDCG@k for each k, and RR.

    A query with no ranking counts as having retrieved nothing.
    """
    rows = []
    for query_id, gold_set in gold.items():
        ranking = rankings.get(query_id, [])
        row: dict[str, object] = {"query_id": query_id, "answerable": bool(gold_set)}
        for k in ks:
            row[f"hit@{k}"] = hit_at_k(ranking, gold_set, k)
            row[f"recall@{k}"] = recall_at_k(ranking, gold_set, k)
            row[f"ndcg@{k}"] = ndcg_at_k(ranking, gold_set, k)
        row["rr"] = reciprocal_rank(ranking, gold_set)
        rows.append(row)
    return pd.DataFrame(rows)


def summarise(per_query: pd.DataFrame) -> dict[str, float]:
    """Means over answerable queries (RR's mean is MRR), plus the answerable/unanswerable counts."""
    answerable = per_query[per_query["answerable"]]
    metrics = answerable.select_dtypes("number").columns  # hit@k, recall@k, ndcg@k, rr
    summary = {("mrr" if c == "rr" else c): float(answerable[c].mean()) for c in metrics}
    summary["n_answerable"] = len(answerable)
    summary["n_unanswerable"] = len(per_query) - len(answerable)
    return summary


def _first_covers(
    ranking: Ranking, gold: Collection[str], k: int | None
) -> Iterator[tuple[int, str]]:
    """(rank, passage) for each gold passage at the first rank covering it, in rank order."""
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    seen: set[str] = set()
    for rank, entry in enumerate(ranking[:k] if k is not None else ranking, 1):
        passages = (entry,) if isinstance(entry, str) else entry
        for passage in passages:
            if passage in gold and passage not in seen:
                seen.add(passage)
                yield rank, passage
