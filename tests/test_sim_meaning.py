"""The simulator's embedding model: shipped intact, and it reads meaning beyond shared words."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from course.sim import meaning


def test_shipped_files_match_the_manifest():
    recorded = meaning.manifest()["files_sha256"]
    for name, digest in recorded.items():
        actual = hashlib.sha256((meaning.MODEL_DIR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} differs from manifest.json: rerun the distill script"
    size = sum((meaning.MODEL_DIR / name).stat().st_size for name in recorded)
    assert size < 40e6, f"the shipped model must stay under 40 MB, is {size / 1e6:.1f} MB"


def test_rows_are_unit_length_and_deterministic():
    rows = meaning.embed(["a first sentence", "another, rather different one", ""])
    assert rows.shape == (3, meaning.DIM) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows[:2], axis=1), 1.0, atol=1e-5)
    assert np.array_equal(rows[0], meaning.embed(["a first sentence"])[0])


@pytest.mark.parametrize(
    ("text", "related", "unrelated"),
    [
        ("my card got billed two times", "payments and invoices", "hiking boots and tents"),
        ("the courier never dropped off my box", "parcel delivery", "password reset"),
        ("will it pour down in Oslo tonight", "weather forecast", "currency exchange rates"),
        ("the screen freezes and the app quits", "software crash", "a birthday party"),
    ],
)
def test_related_meaning_beats_unrelated_without_shared_words(text, related, unrelated):
    assert meaning.similarity(text, related) > meaning.similarity(text, unrelated) + 0.05


def test_closest_sentence_finds_the_sentence_that_carries_the_idea():
    text = "Thanks for the quick reply. The blender arrived with a cracked jug. Best, Ann"
    score, sentence = meaning.closest_sentence(text, ["the product was damaged on arrival"])
    assert sentence == "The blender arrived with a cracked jug."
    assert score > 0.2
