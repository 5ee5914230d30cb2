"""Index trade-offs measured, not asserted: recall against exact search, latency, memory, build.

`faiss_sweep` builds each index config over the same vectors, runs the same queries one at a
time (one thread, as a request handler would), and reports per config:

* recall  : recall@k against exact search (Flat) in the same run: of the true top-k neighbours,
            the fraction the index returned. It measures the *index*, not the retriever: an
            exact index can still retrieve the wrong passages if the embedding is poor.
* latency : median (p50) milliseconds per query; latency_p95 the 95th percentile.
* memory_bytes : size of the serialised index.
* build_s : seconds to train and add the vectors (configs differing only in a query-time
            knob, ef_search or nprobe, share one build and report the same build time).

`pareto_front` keeps the configs no other config beats on both axes; `plot_pareto` draws them.

A few thousand chunk vectors are too few to show why IVF or PQ exist: exact search over them
takes well under a millisecond. `scale_up` adds synthetic vectors around the real ones so the
same sweep runs at 50k-100k vectors. Those numbers show the *mechanism* (how recall, latency
and memory move with nprobe, ef_search, m) and say nothing about this corpus.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import faiss
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from course.retrieval.dense import DenseIndex, Flat, IndexConfig, build_key, label
from course.retrieval.embeddings import l2_normalise

_WARMUP_QUERIES = 5


def faiss_sweep(
    vectors: np.ndarray,
    queries: np.ndarray,
    configs: Sequence[IndexConfig],
    k: int = 10,
) -> pd.DataFrame:
    """One row per config (exact Flat first, always measured as the baseline); see module doc."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    ids = [str(i) for i in range(len(vectors))]
    configs = [Flat(), *(c for c in configs if not isinstance(c, Flat))]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        truth: list[set[str]] = []
        rows = []
        built: dict[IndexConfig, DenseIndex] = {}
        for config in configs:
            key = build_key(config)
            if key not in built:
                built[key] = DenseIndex(key).build(vectors, ids)
            index = built[key]
            index.set_search_params(config)
            found, seconds = _timed_search(index, queries, k)
            if not truth:
                truth = found
            rows.append(
                {
                    "config": label(config),
                    "kind": config.kind,
                    "recall": _recall(found, truth),
                    "latency": 1000 * float(np.percentile(seconds, 50)),
                    "latency_p95": 1000 * float(np.percentile(seconds, 95)),
                    "memory_bytes": index.memory_bytes,
                    "build_s": index.build_seconds,
                }
            )
    finally:
        faiss.omp_set_num_threads(threads)
    return pd.DataFrame(rows)


def scale_up(vectors: np.ndarray, total: int, noise: float = 0.8, seed: int = 0) -> np.ndarray:
    """The real vectors plus synthetic ones, `total` rows in all, unit length.

    Each synthetic vector is a real vector picked at random plus isotropic Gaussian noise
    (per-dimension standard deviation noise / sqrt(dim), so the noise vector has length about
    `noise`), re-normalised. With noise 0.8 a copy keeps a cosine of about 0.78 with its parent:
    the clouds around different real vectors overlap, so nearest-neighbour search stays a real
    problem instead of "find the right clump".
    """
    vectors = l2_normalise(vectors)
    extra = total - len(vectors)
    if extra <= 0:
        return vectors[:total]
    rng = np.random.default_rng(seed)
    parents = vectors[rng.integers(0, len(vectors), size=extra)]
    scale = noise / np.sqrt(vectors.shape[1])
    jitter = rng.standard_normal(parents.shape).astype(np.float32) * scale
    return np.vstack([vectors, l2_normalise(parents + jitter)])


def pareto_front(df: pd.DataFrame, x: str = "latency", y: str = "recall") -> pd.DataFrame:
    """Rows not dominated on (lower `x`, higher `y`), sorted by `x`.

    A row is dominated when another is at least as good on both and better on one: there is
    never a reason to pick it. Of exact duplicates, the first is kept.
    """
    ordered = df.sort_values([x, y], ascending=[True, False], kind="stable")
    best = -np.inf
    keep = []
    for position, value in zip(ordered.index, ordered[y], strict=True):
        if value > best:
            keep.append(position)
            best = value
    return ordered.loc[keep]


def plot_pareto(
    df: pd.DataFrame,
    x: str = "latency",
    y: str = "recall",
    label_column: str = "config",
    title: str = "Recall vs latency",
) -> Figure:
    """All configs as grey points, the Pareto front as a labelled line: pick from the line."""
    front = pareto_front(df, x, y)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    dominated = df.drop(index=front.index)
    ax.scatter(dominated[x], dominated[y], color="#B0B0B0", label="dominated", zorder=2)
    ax.plot(front[x], front[y], "o-", color="#C44E52", label="Pareto front", zorder=3)
    for n, (_, row) in enumerate(front.iterrows()):
        ax.annotate(
            str(row[label_column]),
            (row[x], row[y]),
            textcoords="offset points",
            xytext=(4, -11 if n % 2 else 5),  # alternate below/above so neighbours stay legible
            fontsize=7,
        )
    if df[x].min() > 0 and df[x].max() / df[x].min() > 20:
        ax.set_xscale("log")
    ax.margins(x=0.12, y=0.08)  # room for the labels at the ends
    ax.set(title=title, xlabel=_AXIS_NAMES.get(x, x), ylabel=_AXIS_NAMES.get(y, y))
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


_AXIS_NAMES = {
    "latency": "p50 latency per query (ms)",
    "latency_p95": "p95 latency per query (ms)",
    "recall": "recall@k vs exact search",
    "memory_bytes": "index size (bytes)",
    "build_s": "build time (s)",
}


def _timed_search(
    index: DenseIndex, queries: np.ndarray, k: int
) -> tuple[list[set[str]], np.ndarray]:
    """Result id sets and per-query seconds, one query at a time after a short warm-up."""
    for query in queries[:_WARMUP_QUERIES]:
        index.search(query[None, :], k)
    found, seconds = [], np.empty(len(queries))
    for i, query in enumerate(queries):
        started = time.perf_counter()
        hits = index.search(query[None, :], k)[0]
        seconds[i] = time.perf_counter() - started
        found.append({hit.chunk_id for hit in hits})
    return found, seconds


def _recall(found: list[set[str]], truth: list[set[str]]) -> float:
    """Mean over queries of |returned ∩ true top-k| / |true top-k|."""
    return float(np.mean([len(f & t) / len(t) for f, t in zip(found, truth, strict=True)]))
