"""What a text means, as far as the simulator can tell: a small real embedding model, offline.

Word overlap only understands the words it was written for: "I was charged twice" shares no word
with "billing: invoices, refunds". So wherever the simulator decides what a text means (which
label, which tool, which passage, is this sentence an instruction to the assistant) it asks this
module instead. The model is all-MiniLM-L6-v2 distilled into static token vectors with model2vec
(`scripts/distill_sim_model.py`): 29,525 tokens x 256 dimensions in float16, 15 MB, numpy only at
run time, about 50 microseconds per short text. A static model averages token vectors, so it knows
that "charged" is close to "charges" and "parcel" to "delivery", but not word order or negation:
it is a small, imperfect reader, which is what the simulator is meant to be.

    from course.sim import meaning
    meaning.similarity("Do I need an umbrella?", "Get the weather forecast for a city")  # ~0.3
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from course.errors import CourseError

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "sim_model"
MODEL_NAME = "sim-embed (all-MiniLM-L6-v2 distilled with model2vec, 256 dims)"
DIM = 256
_CACHE_SIZE = 16_384
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=1)
def _model():  # -> model2vec.StaticModel (imported lazily: chat calls that never need it skip it)
    from model2vec import StaticModel

    if not (MODEL_DIR / "model.safetensors").is_file():
        raise CourseError(
            f"The simulator's embedding model is missing from {MODEL_DIR}.",
            hint="Restore it with `git checkout -- course/data/sim_model` or reinstall the course "
            "with `make setup`; `python scripts/distill_sim_model.py` rebuilds it.",
        )
    return StaticModel.from_pretrained(str(MODEL_DIR))


def manifest() -> dict:
    """How the shipped model was made (teacher, tool, dimensions, file hashes)."""
    return json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=_CACHE_SIZE)
def _vector(text: str) -> np.ndarray:
    row = _model().encode([text])[0].astype(np.float32)
    norm = float(np.linalg.norm(row))
    row = row / norm if norm > 0 else row
    row.setflags(write=False)
    return row


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 rows, shape (len(texts), 256); a text with no known token is zero."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([_vector(text) for text in texts])


def similarity(a: str, b: str) -> float:
    """Cosine similarity of two texts, in [-1, 1]; about 0.1 for unrelated short texts."""
    return float(_vector(a) @ _vector(b))


def similarities(text: str, others: Sequence[str]) -> np.ndarray:
    """Cosine similarity of `text` to each of `others` (float32, one per other)."""
    if not others:
        return np.zeros(0, dtype=np.float32)
    return embed(others) @ _vector(text)


def sentences(text: str) -> list[str]:
    """`text` cut into sentences and lines, the unit the simulator reads intent from."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def closest_sentence(text: str, description: Sequence[str]) -> tuple[float, str]:
    """The sentence of `text` most like any of `description`'s phrasings, and that similarity.

    A concept such as "an instruction addressed to the assistant" is described by a few
    sentences; a text expresses it if one of its sentences is close to one of them.
    """
    parts = sentences(text)
    if not parts or not description:
        return 0.0, ""
    grid = embed(parts) @ embed(list(description)).T
    row, _ = np.unravel_index(int(grid.argmax()), grid.shape)
    return float(grid.max()), parts[int(row)]


# --- Helpers added for tool choice (course/sim/skills/tools.py); functions above unchanged.


@lru_cache(maxsize=_CACHE_SIZE)
def word_weight(word: str) -> float:
    """How informative a word is to the model: the mean norm of its token vectors.

    model2vec scales each token vector by how rare the token is, so "umbrella" (about 6.5)
    outweighs "need" (about 3) and "the" (about 2). A word with no known token weighs 0.
    """
    model = _model()
    ids = model.tokenizer.encode(word, add_special_tokens=False).ids
    if not ids:
        return 0.0
    return float(np.mean(np.linalg.norm(model.embedding[ids].astype(np.float32), axis=1)))


# --- Helpers added for classification (course/sim/skills/classify.py); functions above unchanged.


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[np.ndarray, list[str]]:
    """Unit token vectors of the whole words in the model's vocabulary, and those words."""
    model = _model()
    vocab = model.tokenizer.get_vocab()
    by_id = sorted(vocab.items(), key=lambda item: item[1])
    keep = [i for token, i in by_id if token.isascii() and token.isalpha() and len(token) > 2]
    matrix = model.embedding[keep].astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    names = {i: token for token, i in vocab.items()}
    return matrix, [names[i] for i in keep]


def associations(names: Sequence[str], k: int = 15, floor: float = 0.4) -> list[list[str]]:
    """For each name, the vocabulary words the model links to it more than to the other names.

    A word counts for a name when its similarity to that name is at least `floor` and beats
    its similarity to every other name by more than 0.05; the `k` with the biggest lead come
    first. This is the model's own prior about a bare label ("sports" -> athletes, rugby...):
    as good or as poor as a small static model's knowledge.
    """
    if not names:
        return []
    matrix, words = _vocabulary()
    grid = matrix @ embed(list(names)).T
    found = []
    for j in range(len(names)):
        others = np.delete(grid, j, axis=1).max(axis=1) if len(names) > 1 else 0.0
        lead = np.where(grid[:, j] >= floor, grid[:, j] - others, -1.0)
        order = np.argsort(-lead)[:k]
        found.append([words[i] for i in order if lead[i] > 0.05])
    return found


_BATCH_CACHE: dict[str, np.ndarray] = {}


def embed_many(texts: Sequence[str]) -> np.ndarray:
    """Like `embed`, but texts not seen before are encoded in one batch, not one by one.

    model2vec's per-call overhead (about 1 ms) dominates for short texts such as the words of
    a long input, so a batch of 50 new words costs about as much as one. Same vectors as
    `embed` (unit length, float32); kept in a cache of its own, cleared when it grows large.
    """
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    # Rows are gathered into a local dict, so another thread clearing the cache meanwhile
    # (the sim server is threaded) cannot make a row vanish between lookup and use.
    found = {text: _BATCH_CACHE.get(text) for text in texts}
    missing = [text for text, row in found.items() if row is None]
    if missing:
        if len(_BATCH_CACHE) + len(missing) > _CACHE_SIZE:
            _BATCH_CACHE.clear()
        rows = _encode_fast(missing).astype(np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = np.where(norms > 0, rows / np.where(norms > 0, norms, 1.0), rows)
        for text, row in zip(missing, rows, strict=True):
            row.setflags(write=False)
            _BATCH_CACHE[text] = found[text] = row
    return np.stack([found[t] for t in texts])


def _encode_fast(texts: list[str]) -> np.ndarray:
    """model2vec's batch encoder without `encode`'s dispatch and progress-bar set-up, which
    cost more than the encoding itself for a few short texts (same vectors); falls back to
    `encode` if this private entry point changes."""
    model = _model()
    try:
        return model._encode_batch(texts, normalize=False)
    except (AttributeError, TypeError):
        return model.encode(texts)
