"""A second, slower reader for the texts the static model is unsure about: MiniLM itself.

`course.sim.meaning` averages static word vectors: fast (about 50 microseconds a text) but blind
to how words combine. This module runs the transformer those vectors were distilled from,
all-MiniLM-L6-v2, exported to ONNX with int8 weights (`scripts/export_sim_reader.py`, 23 MB),
with onnxruntime and the `tokenizers` package: no torch. About 1-3 ms for a short text on one
thread, so the simulator asks it only where the static reading leaves a decision close
(course/sim/skills/classify.py), and caches every vector.

    from course.sim import reader
    reader.embed(["I was charged twice", "billing: charges, invoices, refunds"])  # (2, 384)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from course.errors import CourseError

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "sim_reader"
DIM = 384
MAX_TOKENS = 128
_CACHE: dict[str, np.ndarray] = {}
_CACHE_SIZE = 16_384


@lru_cache(maxsize=1)
def _session():  # -> (onnxruntime.InferenceSession, tokenizers.Tokenizer), loaded on first use
    import onnxruntime
    from tokenizers import Tokenizer

    if not (MODEL_DIR / "model.onnx").is_file():
        raise CourseError(
            f"The simulator's second reader is missing from {MODEL_DIR}.",
            hint="Restore it with `git checkout -- course/data/sim_reader` or reinstall the "
            "course with `make setup`; `python scripts/export_sim_reader.py` rebuilds it.",
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # tiny inputs: threads cost more than they save
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(MODEL_DIR / "model.onnx"), options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return session, tokenizer


def manifest() -> dict:
    """How the shipped reader was made (teacher, tools, file hashes)."""
    return json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))


def _encode(texts: list[str]) -> np.ndarray:
    """Mean-pooled, unit-length MiniLM vectors, one text per run (no padding to slow it down)."""
    session, tokenizer = _session()
    rows = []
    for encoding in tokenizer.encode_batch(texts):
        ids = np.asarray([encoding.ids], dtype=np.int64)
        mask = np.asarray([encoding.attention_mask], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = session.run(None, feed)[0][0]
        row = tokens.mean(axis=0)
        rows.append(row / max(float(np.linalg.norm(row)), 1e-9))
    return np.asarray(rows, dtype=np.float32)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 rows, shape (len(texts), 384); each text is encoded once and cached."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    found = {text: _CACHE.get(text) for text in texts}  # local: safe if another thread clears
    missing = [text for text, row in found.items() if row is None]
    if missing:
        if len(_CACHE) + len(missing) > _CACHE_SIZE:
            _CACHE.clear()
        for text, row in zip(missing, _encode(missing), strict=True):
            row.setflags(write=False)
            _CACHE[text] = found[text] = row
    return np.stack([found[t] for t in texts])
