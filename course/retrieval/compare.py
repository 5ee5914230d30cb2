"""BM25 vs dense vs hybrid on a QA split: the baseline table module 2 starts from.

    .venv/bin/python -m course.retrieval.compare --split dev

For each shipped chunking strategy it runs
* BM25 (bm25.py defaults: k1 = 1.5, b = 0.75, English stopwords, no stemming);
* dense: exact inner-product search (Flat) over the shipped MiniLM chunk vectors, queried
  with the shipped MiniLM question vectors, so no torch is needed;
* hybrid: reciprocal rank fusion (k = 60) of the two top-`depth` lists;
* dense-sim / hybrid-sim: the same with `sim-embed` (the simulator's static model) embedding
  chunks and questions live, which works for any text without torch,
and prints hit@5, recall@10, MRR and nDCG@10 at passage level over the answerable questions
(metrics.py), with the number of unanswerable questions left out.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from course.data.handbook import QAItem, load_qa
from course.errors import CourseError
from course.retrieval.bm25 import BM25Index
from course.retrieval.chunking import Chunk
from course.retrieval.corpus import handbook_chunks, score_retriever
from course.retrieval.dense import DenseIndex
from course.retrieval.embeddings import Embedder, PrecomputedEmbeddings, SimEmbedder
from course.retrieval.hits import Hit
from course.retrieval.hybrid import reciprocal_rank_fusion
from course.retrieval.metrics import summarise
from course.retrieval.precompute import QUESTIONS, SHIPPED_STRATEGIES, stale_sets

COLUMNS = ["hit@5", "recall@10", "mrr", "ndcg@10"]


def compare(
    questions: Sequence[QAItem], strategy: str = "paragraph", depth: int = 50
) -> dict[str, dict[str, float]]:
    """Summaries (metrics.summarise) for bm25, dense, hybrid-rrf, dense-sim and hybrid-sim."""
    chunks = handbook_chunks(strategy)
    runs = {
        "bm25": bm25_results(chunks, questions, depth),
        "dense": dense_results(strategy, questions, depth),
        "dense-sim": live_dense_results(chunks, questions, depth, SimEmbedder()),
    }
    for dense, hybrid in (("dense", "hybrid-rrf"), ("dense-sim", "hybrid-sim")):
        runs[hybrid] = [
            reciprocal_rank_fusion(pair, limit=depth)
            for pair in zip(runs["bm25"], runs[dense], strict=True)
        ]
    return {
        name: summarise(score_retriever(questions, hits, chunks)) for name, hits in runs.items()
    }


def bm25_results(chunks: list[Chunk], questions: Sequence[QAItem], k: int) -> list[list[Hit]]:
    return BM25Index.build(chunks).search_many([q.question for q in questions], k)


def dense_results(strategy: str, questions: Sequence[QAItem], k: int) -> list[list[Hit]]:
    chunk_vectors = PrecomputedEmbeddings.load(strategy)
    query_vectors = PrecomputedEmbeddings.load(QUESTIONS).lookup([q.id for q in questions])
    index = DenseIndex("Flat").build(chunk_vectors.vectors, chunk_vectors.ids)
    return index.search(query_vectors, k)


def live_dense_results(
    chunks: list[Chunk], questions: Sequence[QAItem], k: int, embedder: Embedder
) -> list[list[Hit]]:
    """Exact dense search with `embedder` computing chunk and question vectors now."""
    vectors = embedder.embed([chunk.search_text for chunk in chunks])
    index = DenseIndex("Flat").build(vectors, [chunk.id for chunk in chunks])
    return index.search(embedder.embed([q.question for q in questions]), k)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    args = parser.parse_args(argv)
    stale = stale_sets()
    if stale:
        raise CourseError(
            f"The shipped embeddings are stale for: {', '.join(stale)}.",
            hint="Rebuild them as described in course/retrieval/precompute.py.",
        )
    questions = load_qa(args.split)
    rows = []
    for strategy in SHIPPED_STRATEGIES:
        for retriever, summary in compare(questions, strategy).items():
            rows.append({"strategy": strategy, "retriever": retriever, **summary})
    table = pd.DataFrame(rows).set_index(["strategy", "retriever"])
    print(
        f"{args.split} split: {int(table['n_answerable'].iloc[0])} answerable questions "
        f"({int(table['n_unanswerable'].iloc[0])} unanswerable left out)"
    )
    print(table[COLUMNS].round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
