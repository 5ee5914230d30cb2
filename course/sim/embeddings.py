"""Embeddings for the simulator's /v1/embeddings: the shipped static model, `sim-embed`.

`sim-embed` serves the same vectors the simulator itself reads meaning with (course.sim.meaning:
all-MiniLM-L6-v2 distilled into 256-dimensional static token vectors with model2vec). Texts that
mean the same are close even without a shared word ("refund" and "money back"), so dense
retrieval works for any query a learner types, offline. It is a small static model: it ignores
word order and is weaker than the transformer it came from (module 2 compares the two).

The dimensions come out of PCA ordered by variance, so a request for fewer `dimensions` keeps
the leading ones and rescales to unit length, the way Matryoshka-trained models shorten.
"""

from __future__ import annotations

import numpy as np

from course.sim import meaning

EMBEDDING_DIM_KNOB = "embedding_dim"  # the vector width when a request names no `dimensions`
DEFAULT_EMBEDDING_DIM = meaning.DIM


def model_embeddings(texts: list[str], dim: int) -> list[list[float]]:
    """Unit-length rows (as Python floats), one per text; a text with no known token is zero.

    Raises ValueError when `dim` is wider than the model (the server answers 400).
    """
    if not 1 <= dim <= meaning.DIM:
        raise ValueError(
            f"sim-embed has {meaning.DIM} dimensions; `dimensions` must be 1..{meaning.DIM}, "
            f"got {dim}."
        )
    rows = meaning.embed(texts)[:, :dim]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms == 0, 1.0, norms)).tolist()
