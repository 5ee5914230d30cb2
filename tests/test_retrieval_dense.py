"""faiss indexes against brute force, the sweep's table, and the Pareto front."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from course.errors import CourseError
from course.retrieval.dense import (
    HNSW,
    IVF,
    IVFPQ,
    DenseIndex,
    Flat,
    build_key,
    index_config,
    label,
)
from course.retrieval.embeddings import l2_normalise
from course.retrieval.sweep import faiss_sweep, pareto_front, plot_pareto, scale_up


def clustered(n: int = 2000, dim: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    points = centres[rng.integers(0, clusters, n)] + 0.3 * rng.standard_normal((n, dim))
    return l2_normalise(points)


VECTORS = clustered()
QUERIES = clustered(n=50, seed=1)
IDS = [f"c{i}" for i in range(len(VECTORS))]


def brute_force(queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = queries @ VECTORS.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return top, np.take_along_axis(scores, top, axis=1)


def recall_vs_exact(index: DenseIndex, k: int = 10) -> float:
    exact, _ = brute_force(QUERIES, k)
    found = index.search(QUERIES, k)
    return float(
        np.mean(
            [
                len({IDS[i] for i in row} & {h.chunk_id for h in hits}) / k
                for row, hits in zip(exact, found, strict=True)
            ]
        )
    )


def test_flat_equals_brute_force_top_k() -> None:
    index = DenseIndex("Flat").build(VECTORS, IDS)
    exact_rows, exact_scores = brute_force(QUERIES, 10)
    for hits, rows, scores in zip(index.search(QUERIES, 10), exact_rows, exact_scores, strict=True):
        assert [h.score for h in hits] == pytest.approx(scores.tolist(), abs=1e-5)
        assert [h.chunk_id for h in hits] == [IDS[i] for i in rows]
        assert [h.rank for h in hits] == list(range(1, 11))


@pytest.mark.parametrize(
    "config",
    [HNSW(M=16, ef_construction=100, ef_search=128), IVF(nlist=20, nprobe=10)],
    ids=label,
)
def test_approximate_indexes_reach_high_recall_with_generous_settings(config) -> None:
    index = DenseIndex(config).build(VECTORS, IDS)
    assert recall_vs_exact(index) >= 0.95


def test_ivf_pq_compresses_and_still_finds_neighbours() -> None:
    flat = DenseIndex(Flat()).build(VECTORS, IDS)
    pq = DenseIndex(IVFPQ(nlist=16, m=8, nbits=6, nprobe=16)).build(VECTORS, IDS)
    assert pq.memory_bytes < flat.memory_bytes / 4
    assert recall_vs_exact(pq) >= 0.5


def test_query_time_knobs_change_without_rebuilding() -> None:
    index = DenseIndex(IVF(nlist=40, nprobe=1)).build(VECTORS, IDS)
    narrow = recall_vs_exact(index)
    index.set_search_params(IVF(nlist=40, nprobe=40))
    assert recall_vs_exact(index) == pytest.approx(1.0)
    assert narrow < 1.0
    with pytest.raises(ValueError, match="needs its own build"):
        index.set_search_params(IVF(nlist=80, nprobe=4))
    assert build_key(HNSW(ef_search=16)) == build_key(HNSW(ef_search=256))


def test_sizes_errors_and_small_inputs() -> None:
    flat = DenseIndex("Flat").build(VECTORS, IDS)
    assert flat.memory_bytes >= VECTORS.size * 4
    assert flat.build_seconds >= 0
    assert len(flat.search(QUERIES[0], k=5)[0]) == 5  # a single 1-D query works
    tiny = DenseIndex("Flat").build(VECTORS[:3], IDS[:3])
    assert len(tiny.search(QUERIES[:1], k=10)[0]) == 3  # k larger than the index
    with pytest.raises(CourseError, match="needs at least 256 vectors"):
        DenseIndex(IVF(nlist=256)).build(VECTORS[:100], IDS[:100])
    with pytest.raises(CourseError, match="m to divide"):
        DenseIndex(IVFPQ(nlist=4, m=5)).build(VECTORS, IDS)
    with pytest.raises(CourseError, match=r"Call \.build"):
        DenseIndex("HNSW").search(QUERIES, 3)
    with pytest.raises(CourseError, match="Unknown index kind"):
        index_config("Annoy")
    assert index_config("IVF-PQ", m=8) == IVFPQ(m=8)


def test_faiss_sweep_reports_recall_latency_memory_and_build() -> None:
    configs = [
        HNSW(M=8, ef_search=8),
        HNSW(M=8, ef_search=64),
        IVF(nlist=20, nprobe=1),
        IVF(nlist=20, nprobe=20),
    ]
    table = faiss_sweep(VECTORS, QUERIES, configs, k=10)
    assert list(table["kind"]) == ["Flat", "HNSW", "HNSW", "IVF", "IVF"]
    assert set(table.columns) >= {
        "config",
        "recall",
        "latency",
        "latency_p95",
        "memory_bytes",
        "build_s",
    }
    assert table.loc[0, "recall"] == 1.0
    assert table.loc[4, "recall"] == pytest.approx(1.0)  # every cell probed
    assert (table["latency_p95"] >= table["latency"]).all()
    assert table.loc[1, "build_s"] == table.loc[2, "build_s"]  # one build, two ef_search values


def test_pareto_front_on_a_toy_table() -> None:
    table = pd.DataFrame(
        {
            "config": ["A", "B", "C", "D", "E", "F"],
            "latency": [1.0, 2.0, 2.0, 3.0, 4.0, 1.0],
            "recall": [0.50, 0.80, 0.70, 0.80, 0.99, 0.50],
        }
    )
    # C is beaten by B; D ties B on recall but is slower; F duplicates A
    assert list(pareto_front(table)["config"]) == ["A", "B", "E"]
    memory = pareto_front(table.assign(memory_bytes=[5, 1, 9, 9, 9, 9]), x="memory_bytes")
    assert list(memory["config"]) == ["B", "E"]


def test_plot_pareto_returns_a_figure_with_the_front_drawn() -> None:
    table = pd.DataFrame(
        {"config": ["A", "B", "C"], "latency": [1.0, 2.0, 3.0], "recall": [0.9, 0.8, 0.95]}
    )
    fig = plot_pareto(table)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    front_line = ax.get_lines()[0]
    assert list(front_line.get_xdata()) == [1.0, 3.0]
    assert [t.get_text() for t in ax.texts] == ["A", "C"]


def test_scale_up_adds_unit_vectors_around_the_real_ones() -> None:
    scaled = scale_up(VECTORS[:100], 1000, seed=3)
    assert scaled.shape == (1000, VECTORS.shape[1]) and scaled.dtype == np.float32
    assert np.allclose(np.linalg.norm(scaled, axis=1), 1.0, atol=1e-5)
    assert np.allclose(scaled[:100], VECTORS[:100], atol=1e-6)
    assert np.array_equal(scaled, scale_up(VECTORS[:100], 1000, seed=3))
    nearest_real = (scaled[100:] @ VECTORS[:100].T).max(axis=1)
    assert nearest_real.mean() > 0.6  # each synthetic vector stays near a real one
