"""BM25: the lexical baseline every retrieval system should beat before it adds an embedding.

A thin wrapper over the `bm25s` library (sparse matrices, no server). Its scoring, the
"lucene" variant, for a query q and a chunk d:

    score(q, d) = sum over query terms t of  idf(t) * tf(t, d) / (tf(t, d) + k1 * norm(d))
    norm(d)     = 1 - b + b * |d| / avgdl
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

tf(t, d) is how often t occurs in d, |d| the chunk's length in tokens, avgdl the mean length,
N the number of chunks and df(t) how many contain t. Defaults: k1 = 1.5 (how fast repeated
terms saturate: 0 ignores repetition) and b = 0.75 (how strongly long chunks are penalised:
0 not at all, 1 fully).

Tokenisation (bm25s's, the same as scikit-learn's CountVectorizer): lower-case, words of two or
more letters or digits (`\\b\\w\\w+\\b`), English stopwords removed (bm25s's list). No stemming
by default, so the results do not depend on an optional package: "refunds" does not match
"refund". To stem, `pip install PyStemmer` and pass `stemmer=Stemmer.Stemmer("english")`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import bm25s
import numpy as np

from course.retrieval.chunking import Chunk
from course.retrieval.hits import Hit

Stemmer = Callable[[list[str]], list[str]]


class BM25Index:
    """A BM25 index over chunks. Build once with `BM25Index.build(chunks)`, then search."""

    def __init__(
        self,
        k1: float = 1.5,
        b: float = 0.75,
        stopwords: str | list[str] | None = "english",
        stemmer: Stemmer | None = None,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.stopwords = stopwords or []
        self.stemmer = stemmer
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self._ids: list[str] = []

    @classmethod
    def build(
        cls,
        chunks: Sequence[Chunk],
        k1: float = 1.5,
        b: float = 0.75,
        stopwords: str | list[str] | None = "english",
        stemmer: Stemmer | None = None,
    ) -> BM25Index:
        """Index each chunk's `search_text` (title + text); hits name chunks by `Chunk.id`."""
        index = cls(k1=k1, b=b, stopwords=stopwords, stemmer=stemmer)
        index._ids = [chunk.id for chunk in chunks]
        tokens = index.tokenize([chunk.search_text for chunk in chunks])
        index._bm25.index(tokens, show_progress=False)
        return index

    def tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        """The tokens BM25 sees: useful for explaining why a query did or did not match."""
        return bm25s.tokenize(
            list(texts),
            stopwords=self.stopwords,
            stemmer=self.stemmer,
            return_ids=False,
            show_progress=False,
        )

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The top `k` chunks for one query. Chunks scoring 0 (no query term) are left out."""
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int = 10) -> list[list[Hit]]:
        """Top-`k` hits for each query, in one vectorised pass over the index."""
        if not queries:
            return []
        k = min(k, len(self._ids))
        if k < 1:
            return [[] for _ in queries]
        indices, scores = self._bm25.retrieve(self.tokenize(queries), k=k, show_progress=False)
        return [self._hits(ids, row) for ids, row in zip(indices, scores, strict=True)]

    def _hits(self, row_ids: np.ndarray, row_scores: np.ndarray) -> list[Hit]:
        kept = [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if s > 0]
        return [Hit(self._ids[i], score, rank) for rank, (i, score) in enumerate(kept, 1)]

    def __len__(self) -> int:
        return len(self._ids)
