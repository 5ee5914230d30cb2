"""The handbook dataset (course.data.handbook) in the shapes the retrieval library works with.

Three jobs, kept here so the rest of the library knows nothing about the dataset's schema:
* documents -> `SourceDocument`s whose spans locate every gold passage in the body;
* questions -> gold passage sets, with each question's alternate passages (another page that
  states the same single-hop fact) counted as finding the supporting passage;
* scoring a retriever's hits on a QA split, one row per question (metrics.py defines the numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from course.data.handbook import Document, QAItem, load_corpus, split_passages
from course.retrieval.chunking import Chunk, Chunker, SourceDocument, Span, chunk_documents
from course.retrieval.hits import Hit
from course.retrieval.metrics import score_queries, to_passages


def source_document(doc: Document) -> SourceDocument:
    """The document body with the position of each of its gold passages."""
    spans, cursor = [], 0
    for passage in split_passages(doc):
        start = doc.body.index(passage.text, cursor)
        cursor = start + len(passage.text)
        spans.append(Span(passage.id, start, cursor))
    return SourceDocument(id=doc.id, text=doc.body, passages=tuple(spans), title=doc.title)


def source_documents(docs: Iterable[Document] | None = None) -> list[SourceDocument]:
    """Every handbook document (or the given ones), ready to chunk."""
    return [source_document(doc) for doc in (load_corpus() if docs is None else docs)]


def handbook_chunks(
    strategy: str | Chunker = "paragraph", docs: Iterable[Document] | None = None
) -> list[Chunk]:
    """The handbook chunked by a preset name from chunking.STRATEGIES or any chunker."""
    return chunk_documents(source_documents(docs), strategy)


def aliases(question: QAItem) -> dict[str, str]:
    """Alternate passage -> the supporting passage it stands in for (single-hop questions).

    For a multi-hop question it is not stated which hop an alternate replaces, so none is used.
    """
    if len(question.supporting_passage_ids) != 1:
        return {}
    (supporting,) = question.supporting_passage_ids
    return {alternate: supporting for alternate in question.alternate_passage_ids}


def score_retriever(
    questions: Sequence[QAItem],
    results: Sequence[Sequence[Hit]],
    chunks: Sequence[Chunk],
    ks: Sequence[int] = (1, 5, 10),
) -> pd.DataFrame:
    """Per-question metrics for `results[i]`, the hits for `questions[i]`.

    Columns: query_id, answerable, hit@k, recall@k and ndcg@k per k, rr, plus the question's
    type and split, so `df.groupby("type")` shows where a retriever fails.
    Summarise with `metrics.summarise(df)`.
    """
    if len(questions) != len(results):
        raise ValueError(f"{len(questions)} questions but {len(results)} result lists")
    chunk_passages: Mapping[str, Sequence[str]] = {c.id: c.passage_ids for c in chunks}
    rankings = {
        q.id: to_passages(hits, chunk_passages, aliases(q))
        for q, hits in zip(questions, results, strict=True)
    }
    gold = {q.id: tuple(q.supporting_passage_ids) for q in questions}
    scores = score_queries(rankings, gold, ks)
    scores["type"] = [q.type for q in questions]
    scores["split"] = [q.split for q in questions]
    return scores
