"""BM25 on a toy corpus: exact matches first, stopwords ignored, batch equals single search."""

from __future__ import annotations

from course.retrieval.bm25 import BM25Index
from course.retrieval.chunking import Chunk


def toy_chunks() -> list[Chunk]:
    texts = {
        "refunds": "Refunds for annual plans are issued within 30 days of the request.",
        "deploys": "Deploys are frozen on Fridays; roll back with the deploy tool.",
        "oncall": "The on-call engineer answers pages within 15 minutes.",
        "errors": "Error NW-4101 means the payment provider timed out; retry the charge.",
        "billing": "Invoices are emailed on the first day of each month.",
    }
    return [Chunk(cid, cid, text, 0, len(text), ()) for cid, text in texts.items()]


def test_exact_match_ranks_first() -> None:
    index = BM25Index.build(toy_chunks())
    assert len(index) == 5
    assert index.search("what does error NW-4101 mean", k=3)[0].chunk_id == "errors"
    assert index.search("roll back a deploy", k=3)[0].chunk_id == "deploys"
    hits = index.search("refunds annual plans", k=5)
    assert hits[0].chunk_id == "refunds"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_no_shared_word_means_no_hit() -> None:
    index = BM25Index.build(toy_chunks())
    assert index.search("the of and", k=5) == []  # stopwords only
    assert index.search("kubernetes", k=5) == []


def test_batch_search_equals_single_search_and_k_is_capped() -> None:
    index = BM25Index.build(toy_chunks())
    queries = ["payment timed out", "invoice email", "pages"]
    assert index.search_many(queries, k=50) == [index.search(q, k=50) for q in queries]
    assert index.search_many([], k=3) == []


def test_tokenisation_is_stated_and_stemming_optional() -> None:
    index = BM25Index.build(toy_chunks())
    assert index.tokenize(["The Refunds are issued"]) == [["refunds", "issued"]]
    plural = index.search("refund", k=5)  # no stemmer: "refund" does not match "Refunds"
    assert plural == []
    crude = BM25Index.build(toy_chunks(), stemmer=lambda words: [w.rstrip("s") for w in words])
    assert crude.search("refund", k=5)[0].chunk_id == "refunds"


def test_titles_are_indexed_with_the_text() -> None:
    chunks = [
        Chunk("messaging", "d1", "The tech lead is Ana Ruiz.", 0, 26, (), title="Messaging team"),
        Chunk("payments", "d2", "The tech lead is Bo Chen.", 0, 25, (), title="Payments team"),
    ]
    assert BM25Index.build(chunks).search("messaging tech lead", k=2)[0].chunk_id == "messaging"
