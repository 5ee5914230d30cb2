"""Retrieval for module 2: chunking, BM25, embeddings, faiss indexes, fusion and metrics.

A typical pipeline, each step in its own small module:

    chunks  = handbook_chunks("paragraph")                      # chunking.py, corpus.py
    bm25    = BM25Index.build(chunks)                           # bm25.py
    vectors = PrecomputedEmbeddings.load("paragraph")           # embeddings.py
    dense   = DenseIndex("HNSW").build(vectors.vectors, vectors.ids)   # dense.py
    fused   = reciprocal_rank_fusion([bm25_hits, dense_hits])   # hybrid.py
    scores  = score_retriever(questions, results, chunks)       # corpus.py -> metrics.py
    table   = faiss_sweep(vectors.vectors, queries, configs)    # sweep.py

Only corpus.py knows the handbook dataset's schema; everything else works on any text.
"""

from course.retrieval.bm25 import BM25Index
from course.retrieval.chunking import (
    STRATEGIES,
    Chunk,
    Chunker,
    SourceDocument,
    Span,
    chunk_documents,
    fixed_windows,
    paragraphs,
    sections,
    sentence_windows,
)
from course.retrieval.corpus import handbook_chunks, score_retriever, source_documents
from course.retrieval.dense import HNSW, IVF, IVFPQ, DenseIndex, Flat, IndexConfig, index_config
from course.retrieval.embeddings import (
    Embedder,
    HashingEmbedder,
    MiniLMEmbedder,
    PrecomputedEmbeddings,
    SimEmbedder,
    l2_normalise,
)
from course.retrieval.hits import Hit
from course.retrieval.hybrid import RRF_K, reciprocal_rank_fusion, weighted_score_fusion
from course.retrieval.metrics import (
    hit_at_k,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    score_queries,
    summarise,
    to_passages,
)
from course.retrieval.sweep import faiss_sweep, pareto_front, plot_pareto, scale_up

__all__ = [
    "HNSW",
    "IVF",
    "IVFPQ",
    "RRF_K",
    "STRATEGIES",
    "BM25Index",
    "Chunk",
    "Chunker",
    "DenseIndex",
    "Embedder",
    "Flat",
    "HashingEmbedder",
    "Hit",
    "IndexConfig",
    "MiniLMEmbedder",
    "PrecomputedEmbeddings",
    "SimEmbedder",
    "SourceDocument",
    "Span",
    "chunk_documents",
    "faiss_sweep",
    "fixed_windows",
    "handbook_chunks",
    "hit_at_k",
    "index_config",
    "l2_normalise",
    "ndcg_at_k",
    "paragraphs",
    "pareto_front",
    "plot_pareto",
    "recall_at_k",
    "reciprocal_rank",
    "reciprocal_rank_fusion",
    "scale_up",
    "score_queries",
    "score_retriever",
    "sections",
    "sentence_windows",
    "source_documents",
    "summarise",
    "to_passages",
    "weighted_score_fusion",
]
