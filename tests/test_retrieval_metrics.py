"""Passage-level metrics against hand-worked examples and scikit-learn, and rank fusion."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from course.retrieval.hits import Hit
from course.retrieval.hybrid import (
    min_max_normalise,
    reciprocal_rank_fusion,
    weighted_score_fusion,
)
from course.retrieval.metrics import (
    hit_at_k,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    score_queries,
    summarise,
    to_passages,
)

LOG2_3 = math.log2(3)


def hits(*ids: str, scores: list[float] | None = None) -> list[Hit]:
    scores = scores or [float(len(ids) - i) for i in range(len(ids))]
    return [
        Hit(chunk_id, score, rank)
        for rank, (chunk_id, score) in enumerate(zip(ids, scores, strict=True), 1)
    ]


def test_recall_and_hit_by_hand() -> None:
    ranking = [("a",), ("x",), ("b",), ("a",)]
    gold = {"a", "b", "c"}
    assert recall_at_k(ranking, gold, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, gold, 3) == pytest.approx(2 / 3)
    assert recall_at_k(ranking, gold, 50) == pytest.approx(2 / 3)  # k beyond the results
    assert hit_at_k([("x",), ("b",)], gold, 1) == 0.0
    assert hit_at_k([("x",), ("b",)], gold, 2) == 1.0
    assert hit_at_k([], gold, 5) == 0.0


def test_reciprocal_rank_by_hand() -> None:
    assert reciprocal_rank([("x",), ("y",), ("b",)], {"b"}) == pytest.approx(1 / 3)
    assert reciprocal_rank([("x",), ("y",), ("b",)], {"b"}, k=2) == 0.0
    assert reciprocal_rank([(), ("b", "x")], {"b"}) == 0.5


def test_ndcg_by_hand_binary_duplicates_and_graded() -> None:
    # gains 0, 1, 1 at ranks 1..3; ideal 1, 1, 1
    assert ndcg_at_k(["x", "a", "b"], {"a", "b", "c"}, 3) == pytest.approx(
        (1 / LOG2_3 + 1 / 2) / (1 + 1 / LOG2_3 + 1 / 2)
    )
    # a repeated passage earns nothing the second time
    assert ndcg_at_k(["a", "a", "b"], {"a", "b"}, 3) == pytest.approx(
        (1 + 1 / 2) / (1 + 1 / LOG2_3)
    )
    # graded: grade 3 found second, grade 1 first
    assert ndcg_at_k(["b", "a"], {"a", "b"}, 2, grades={"a": 3, "b": 1}) == pytest.approx(
        (1 + 3 / LOG2_3) / (3 + 1 / LOG2_3)
    )
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 2) == pytest.approx(1.0)


def test_one_chunk_covering_two_gold_passages_fills_one_rank() -> None:
    ranking = [("a", "b")]
    assert recall_at_k(ranking, {"a", "b"}, 1) == 1.0
    assert ndcg_at_k(ranking, {"a", "b"}, 1) == pytest.approx(1.0)
    assert ndcg_at_k(ranking, {"a", "b"}, 2) == pytest.approx(1 / (1 + 1 / LOG2_3))


def test_ndcg_matches_scikit_learn() -> None:
    rng = random.Random(3)
    for _ in range(200):
        candidates = [f"p{i}" for i in range(12)]
        ranking = rng.sample(candidates, rng.randint(3, 12))
        grades = {p: rng.choice([1, 2, 3]) for p in rng.sample(candidates, rng.randint(1, 6))}
        k = rng.randint(1, len(ranking))
        # scikit-learn scores every candidate: retrieved ones by rank, the rest below them all
        score = {p: len(candidates) - i for i, p in enumerate(ranking)}
        y_score = [score.get(p, -i) for i, p in enumerate(candidates)]
        y_true = [grades.get(p, 0) for p in candidates]
        expected = ndcg_score(np.array([y_true]), np.array([y_score]), k=k)
        assert ndcg_at_k(ranking, set(grades), k, grades=grades) == pytest.approx(expected)


def test_unanswerable_queries_are_nan_and_reported_apart() -> None:
    assert math.isnan(recall_at_k([("a",)], set(), 5))
    assert math.isnan(ndcg_at_k([("a",)], set(), 5))
    per_query = score_queries(
        {"q1": [("a",)], "q2": [("x",), ("b",)], "q3": [("a",)]},
        {"q1": {"a"}, "q2": {"b"}, "q3": set()},
        ks=(1, 5),
    )
    summary = summarise(per_query)
    assert summary["n_answerable"] == 2 and summary["n_unanswerable"] == 1
    assert summary["hit@1"] == 0.5
    assert summary["recall@5"] == 1.0
    assert summary["mrr"] == pytest.approx((1 + 1 / 2) / 2)


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError):
        recall_at_k([("a",)], {"a"}, 0)


def test_to_passages_maps_chunks_and_aliases() -> None:
    chunk_passages = {"c1": ("d#p1", "d#p2"), "c2": ("e#p7",)}
    assert to_passages(hits("c2", "c1", "unknown"), chunk_passages, {"e#p7": "d#p2"}) == [
        ("d#p2",),
        ("d#p1", "d#p2"),
        (),
    ]


def test_reciprocal_rank_fusion_worked_example() -> None:
    bm25 = hits("d1", "d2", "d3")
    dense = hits("d3", "d1", "d4")
    fused = reciprocal_rank_fusion([bm25, dense])  # k = 60
    assert [h.chunk_id for h in fused] == ["d1", "d3", "d2", "d4"]
    assert [h.rank for h in fused] == [1, 2, 3, 4]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1].score == pytest.approx(1 / 63 + 1 / 61)
    assert fused[3].score == pytest.approx(1 / 63)
    assert [h.chunk_id for h in reciprocal_rank_fusion([bm25, dense], limit=2)] == ["d1", "d3"]
    weighted = reciprocal_rank_fusion([bm25, dense], weights=[0.0, 1.0])
    assert [h.chunk_id for h in weighted][:3] == ["d3", "d1", "d4"]


def test_weighted_score_fusion_worked_example() -> None:
    bm25 = hits("d1", "d2", "d3", scores=[10.0, 5.0, 0.0])
    dense = hits("d3", "d1", "d4", scores=[0.9, 0.5, 0.1])
    fused = weighted_score_fusion([bm25, dense], weights=[0.3, 0.7])
    assert [h.chunk_id for h in fused] == ["d3", "d1", "d2", "d4"]
    assert [h.score for h in fused] == pytest.approx([0.7, 0.65, 0.15, 0.0])


def test_min_max_normalise_edge_cases() -> None:
    assert min_max_normalise([]) == {}
    assert min_max_normalise(hits("a", "b", scores=[2.0, 2.0])) == {"a": 1.0, "b": 1.0}
