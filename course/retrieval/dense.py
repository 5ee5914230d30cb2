"""Vector indexes over faiss: exact search and three approximate ones, with their costs.

All four rank by inner product; with unit-length vectors (embeddings.py) that is cosine
similarity. What each trades:

* `Flat`: compares the query with every vector. Exact, memory = n * dim * 4 bytes, time grows
  linearly with n. The ground truth the others are measured against.
* `HNSW(M, ef_construction, ef_search)`: a navigable graph with M links per node. Larger
  ef_search explores more of the graph per query: higher recall, slower queries. Costs extra
  memory for the links and a slow build; no training.
* `IVF(nlist, nprobe)`: k-means splits the vectors into nlist cells; a query scans only the
  nprobe nearest cells. nprobe / nlist is roughly the fraction of the data scanned.
* `IVFPQ(nlist, m, nbits, nprobe)`: IVF whose vectors are compressed by product quantisation
  to m codes of nbits each (m bytes per vector at nbits=8, instead of dim * 4): a large
  memory saving paid for in recall, since distances become approximate.

ef_search and nprobe are query-time knobs: `set_search_params` changes them on a built index,
which is how a sweep walks the recall/latency curve without rebuilding.

IVF and PQ learn their centroids from the indexed vectors (training). faiss suggests about 39
training vectors per centroid (nlist for IVF, 2**nbits for PQ); below that the centroids are
noisy and recall shows it. Its console warning is switched off because notebooks must stay free
of stderr; the numbers tell the story.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import faiss
import numpy as np

from course.errors import CourseError
from course.retrieval.hits import Hit


@dataclass(frozen=True)
class Flat:
    """Exact inner-product search."""

    kind: ClassVar[str] = "Flat"
    search_params: ClassVar[tuple[str, ...]] = ()

    def make(self, dim: int) -> faiss.Index:
        return faiss.IndexFlatIP(dim)


@dataclass(frozen=True)
class HNSW:
    """Graph search: M links per node, ef_construction at build time, ef_search per query."""

    M: int = 32
    ef_construction: int = 200
    ef_search: int = 64
    kind: ClassVar[str] = "HNSW"
    search_params: ClassVar[tuple[str, ...]] = ("ef_search",)

    def make(self, dim: int) -> faiss.Index:
        index = faiss.IndexHNSWFlat(dim, self.M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        return index


@dataclass(frozen=True)
class IVF:
    """Inverted file: nlist k-means cells, nprobe cells scanned per query."""

    nlist: int = 256
    nprobe: int = 8
    kind: ClassVar[str] = "IVF"
    search_params: ClassVar[tuple[str, ...]] = ("nprobe",)

    def make(self, dim: int) -> faiss.Index:
        quantizer = faiss.IndexFlatIP(dim)
        return faiss.IndexIVFFlat(quantizer, dim, self.nlist, faiss.METRIC_INNER_PRODUCT)


@dataclass(frozen=True)
class IVFPQ:
    """Inverted file with product-quantised vectors: m sub-vectors of nbits each."""

    nlist: int = 256
    m: int = 16
    nbits: int = 8
    nprobe: int = 8
    kind: ClassVar[str] = "IVF-PQ"
    search_params: ClassVar[tuple[str, ...]] = ("nprobe",)

    def make(self, dim: int) -> faiss.Index:
        if dim % self.m:
            raise CourseError(
                f"IVF-PQ needs m to divide the dimension: {dim} % {self.m} != 0.",
                hint="Pick m from the divisors of dim (for 384: 8, 12, 16, 24, 32, 48, 64, 96).",
            )
        quantizer = faiss.IndexFlatIP(dim)
        return faiss.IndexIVFPQ(
            quantizer, dim, self.nlist, self.m, self.nbits, faiss.METRIC_INNER_PRODUCT
        )


IndexConfig = Flat | HNSW | IVF | IVFPQ
_KINDS: dict[str, type] = {"Flat": Flat, "HNSW": HNSW, "IVF": IVF, "IVF-PQ": IVFPQ}


def index_config(kind: str, **params: int) -> IndexConfig:
    """A config by name: index_config("HNSW", M=16, ef_search=32)."""
    try:
        return _KINDS[kind](**params)
    except KeyError:
        raise CourseError(
            f"Unknown index kind {kind!r}.", hint=f"Use one of {list(_KINDS)}."
        ) from None


def label(config: IndexConfig) -> str:
    """A short name in the style of faiss's index_factory strings, plus the query-time knob:
    "Flat", "HNSW32 efC=200 ef=64", "IVF256 nprobe=8", "IVF256,PQ16x8 nprobe=8"."""
    match config:
        case HNSW():
            return f"HNSW{config.M} efC={config.ef_construction} ef={config.ef_search}"
        case IVF():
            return f"IVF{config.nlist} nprobe={config.nprobe}"
        case IVFPQ():
            return f"IVF{config.nlist},PQ{config.m}x{config.nbits} nprobe={config.nprobe}"
        case Flat():
            return "Flat"


def build_key(config: IndexConfig) -> IndexConfig:
    """The config with its query-time knobs reset: equal keys can share one built index."""
    defaults = type(config)()
    return dataclasses.replace(config, **{p: getattr(defaults, p) for p in config.search_params})


class DenseIndex:
    """A faiss index plus the string ids of its rows, its build time and its size."""

    def __init__(self, config: IndexConfig | str = "Flat", **params: int) -> None:
        self.config = index_config(config, **params) if isinstance(config, str) else config
        self.build_seconds = 0.0
        self._ids: list[str] = []
        self._index: faiss.Index | None = None

    def build(self, vectors: np.ndarray, ids: Sequence[str]) -> DenseIndex:
        """Train if the kind needs it, then add `vectors` (one row per id). Returns self."""
        vectors = _as_rows(vectors)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(ids)} ids")
        _check_trainable(self.config, len(vectors))
        started = time.perf_counter()
        index = self.config.make(vectors.shape[1])
        _quiet_training(index)
        if not index.is_trained:
            index.train(vectors)
        index.add(vectors)
        self.build_seconds = time.perf_counter() - started
        self._index, self._ids = index, list(ids)
        self.set_search_params(self.config)
        return self

    def set_search_params(self, config: IndexConfig) -> None:
        """Apply the query-time knobs (ef_search, nprobe) of `config` to the built index.

        Only configs that differ from the built one in those knobs are accepted: anything else
        (M, nlist, m, nbits) changes the structure and needs a new build.
        """
        if build_key(config) != build_key(self.config):
            raise ValueError(
                f"{label(config)} needs its own build; this index is {label(self.config)}"
            )
        index = self._built()
        if isinstance(config, HNSW):
            index.hnsw.efSearch = config.ef_search
        elif isinstance(config, IVF | IVFPQ):
            index.nprobe = config.nprobe
        self.config = config

    def search(self, query_vectors: np.ndarray, k: int = 10) -> list[list[Hit]]:
        """Top-`k` hits per query row (fewer when the index holds fewer, or an approximate
        index finds fewer in the cells it scanned)."""
        index = self._built()
        queries = _as_rows(query_vectors)
        k = min(k, index.ntotal)
        if k < 1:
            return [[] for _ in queries]
        scores, rows = index.search(queries, k)
        return [
            [Hit(self._ids[r], float(s), rank) for rank, (r, s) in enumerate(_found(rs, ss), 1)]
            for rs, ss in zip(rows, scores, strict=True)
        ]

    @property
    def memory_bytes(self) -> int:
        """Size of the serialised index: what it costs to keep in RAM or ship to a replica."""
        return int(faiss.serialize_index(self._built()).size)

    def __len__(self) -> int:
        return len(self._ids)

    def _built(self) -> faiss.Index:
        if self._index is None:
            raise CourseError("The index is empty.", hint="Call .build(vectors, ids) first.")
        return self._index


def _as_rows(vectors: np.ndarray) -> np.ndarray:
    """float32, C-contiguous, two-dimensional: the only layout faiss accepts."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return vectors.reshape(1, -1) if vectors.ndim == 1 else vectors


def _found(rows: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
    """faiss pads missing results with row -1; drop them."""
    return [(int(r), float(s)) for r, s in zip(rows, scores, strict=True) if r >= 0]


def _check_trainable(config: IndexConfig, n: int) -> None:
    """k-means cannot make more centroids than it has points: say so before faiss aborts."""
    if isinstance(config, IVFPQ):
        needed = max(config.nlist, 2**config.nbits)
    elif isinstance(config, IVF):
        needed = config.nlist
    else:
        needed = 0
    if n < needed:
        raise CourseError(
            f"{label(config)} needs at least {needed} vectors to train, got {n}.",
            hint="Use fewer cells (nlist), fewer PQ bits (nbits), or Flat for a set this small.",
        )


def _quiet_training(index: faiss.Index) -> None:
    """Stop faiss printing its too-few-training-points warning to stderr (see module doc)."""
    if isinstance(index, faiss.IndexIVF):
        index.cp.min_points_per_centroid = 1
    if isinstance(index, faiss.IndexIVFPQ):
        index.pq.cp.min_points_per_centroid = 1
