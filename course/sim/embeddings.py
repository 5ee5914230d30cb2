"""Embeddings for the simulator's /v1/embeddings: a hashed bag of words, honestly lexical.

No neural model can be downloaded here, so `sim-embed` is course.retrieval's HashingEmbedder:
each lower-cased word is hashed to one of `dim` slots with a sign, the row holds the signed
counts, and rows are scaled to unit length. Two texts are close only when they share words:
"refund" and "money back" are unrelated, which a real embedding model would not say. It is
here so that code written for an OpenAI-compatible embeddings API (batching, caching, cost,
a vector index) runs offline; retrieval quality lessons need real vectors (the course ships
MiniLM vectors for the handbook, see course/retrieval/embeddings.py).
"""

from __future__ import annotations

EMBEDDING_DIM_KNOB = "embedding_dim"  # the vector width when a request names no `dimensions`
DEFAULT_EMBEDDING_DIM = 512


def hashed_embeddings(texts: list[str], dim: int) -> list[list[float]]:
    """Unit-length float32 rows (as Python floats), one per text; a text with no words is zero."""
    # Imported here: course.retrieval pulls in faiss and bm25s, which chat calls never need.
    from course.retrieval.embeddings import HashingEmbedder

    return HashingEmbedder(dim=dim).embed(texts).tolist()
