"""The second reader (course.sim.reader): the shipped ONNX MiniLM, and where the simulator uses it.

Sentences written for this file. The reader must be the shipped file the manifest describes,
give unit vectors that put paraphrases closer than unrelated text, and be asked only by tiers
with the `second_reader` knob, only for close decisions.
"""

import hashlib
import importlib
import random

import numpy as np
import pytest

from course.sim import reader
from course.sim.reading.prompt import LabelSpec

classify = importlib.import_module("course.sim.skills.classify")


def test_the_shipped_files_match_the_manifest() -> None:
    manifest = reader.manifest()
    for name, digest in manifest["files_sha256"].items():
        assert hashlib.sha256((reader.MODEL_DIR / name).read_bytes()).hexdigest() == digest
    assert manifest["teacher"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_shipped_weights_stay_within_the_40_mb_budget() -> None:
    from course.sim import meaning

    folders = (reader.MODEL_DIR, meaning.MODEL_DIR)
    total = sum(p.stat().st_size for d in folders for p in d.iterdir())
    assert total <= 40 * 1024 * 1024


def test_vectors_are_unit_length_and_read_paraphrases_as_close() -> None:
    rows = reader.embed(
        [
            "The heating in my flat stopped working last night",
            "My radiator has been cold since yesterday evening",
            "Which trains run to the airport on Sundays?",
        ]
    )
    assert rows.shape == (3, reader.DIM)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    assert rows[0] @ rows[1] > rows[0] @ rows[2] + 0.2


def test_empty_input_gives_an_empty_matrix() -> None:
    assert reader.embed([]).shape == (0, reader.DIM)


def test_a_missing_model_gives_a_clear_error(monkeypatch, tmp_path) -> None:
    from course.errors import CourseError

    monkeypatch.setattr(reader, "MODEL_DIR", tmp_path)
    reader._session.cache_clear()
    try:
        with pytest.raises(CourseError, match="export_sim_reader"):
            reader._session()
    finally:
        reader._session.cache_clear()


def test_only_close_decisions_are_re_read(monkeypatch) -> None:
    asked: list[str] = []
    real = reader.embed

    def spy(texts):
        asked.extend(texts)
        return real(texts)

    monkeypatch.setattr(reader, "embed", spy)
    spec = LabelSpec(
        labels=["garden", "kitchen"],
        definitions={"garden": "plants, lawns, hedges and flowers", "kitchen": "cooking and pans"},
    )
    clear = "The hedges and lawns need trimming before the tulips flower"
    classify.decide(clear, spec, 0.0, 0.0, random.Random(0), deep=True)
    assert clear not in asked  # the static reading was sure
    classify.decide("The kettle in the shed", spec, 0.0, 0.0, random.Random(0), deep=False)
    assert "The kettle in the shed" not in asked  # a tier without the knob never asks
