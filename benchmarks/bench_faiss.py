"""faiss index trade-offs on the handbook's vectors and on a scaled-up synthetic set.

Every number is reported next to exact search (Flat) measured in the same run, as a ratio,
because absolute latency depends on the machine:
  * recall      : recall@10 against Flat's top 10 (Flat = 1.0);
  * latency     : p50 ms per query (one query at a time, one thread) / Flat's p50;
  * memory      : serialised index bytes / Flat's bytes.

Two sets:
  * real   : the shipped MiniLM vectors of the handbook's paragraph chunks, queried with the
             dev-split questions. A few thousand vectors: exact search is already fast, so
             the approximate indexes have little to win here, which is itself the lesson.
  * scaled : the same vectors plus synthetic ones drawn around them (sweep.scale_up) up to
             --scaled-n vectors, same queries. It shows the mechanism (how nprobe, ef_search
             and PQ move recall, latency and memory), not a property of the corpus.

Usage:  .venv/bin/python benchmarks/bench_faiss.py [--scaled-n 50000] [--queries 200]
Writes benchmarks/results/faiss.json as well as printing the tables. About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from course.data.handbook import load_qa
from course.retrieval import HNSW, IVF, IVFPQ, PrecomputedEmbeddings, faiss_sweep, pareto_front
from course.retrieval.sweep import scale_up

ROOT = Path(__file__).resolve().parents[1]


def real_configs(n: int) -> list:
    nlist = max(8, int(np.sqrt(n)))  # ~sqrt(n) cells: each holds ~sqrt(n) vectors
    return [
        *(HNSW(M=16, ef_construction=100, ef_search=ef) for ef in (8, 16, 32, 64)),
        *(IVF(nlist=nlist, nprobe=p) for p in (1, 4, 16)),
        *(IVFPQ(nlist=nlist, m=m, nbits=8, nprobe=16) for m in (16, 48)),
    ]


def scaled_configs() -> list:
    return [
        *(HNSW(M=16, ef_construction=64, ef_search=ef) for ef in (8, 16, 32, 64, 128)),
        *(IVF(nlist=256, nprobe=p) for p in (1, 4, 16, 64)),
        *(IVFPQ(nlist=256, m=m, nbits=8, nprobe=p) for m in (16, 48) for p in (4, 16)),
    ]


def with_ratios(table: pd.DataFrame) -> pd.DataFrame:
    flat = table.iloc[0]
    return table.assign(
        latency_ratio=table["latency"] / flat["latency"],
        memory_ratio=table["memory_bytes"] / flat["memory_bytes"],
        pareto=table.index.isin(pareto_front(table).index),
    )


def show(name: str, table: pd.DataFrame, n: int, seconds: float) -> None:
    print(f"\n{name}: {n} vectors, {seconds:.1f} s  (ratios to exact Flat in this run)")
    print(f"  {'config':<52} {'recall@10':>9} {'latency':>8} {'memory':>7} {'build s':>8}")
    for row in table.itertuples():
        mark = "*" if row.pareto else " "
        print(
            f" {mark}{row.config:<52} {row.recall:>9.3f} {row.latency_ratio:>7.2f}x"
            f" {row.memory_ratio:>6.2f}x {row.build_s:>8.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaled-n", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    chunks = PrecomputedEmbeddings.load("paragraph")
    questions = PrecomputedEmbeddings.load("questions")
    dev = [q.id for q in load_qa("dev")][: args.queries]
    queries = questions.lookup(dev)

    results = {}
    for name, vectors, configs in (
        ("real", chunks.vectors, real_configs(len(chunks.vectors))),
        ("scaled", scale_up(chunks.vectors, args.scaled_n), scaled_configs()),
    ):
        started = time.perf_counter()
        table = with_ratios(faiss_sweep(vectors, queries, configs, k=10))
        seconds = time.perf_counter() - started
        show(name, table, len(vectors), seconds)
        results[name] = {
            "n_vectors": len(vectors),
            "n_queries": len(queries),
            "seconds": seconds,
            "rows": table.to_dict(orient="records"),
        }
    print("\n* = on the recall/latency Pareto front")

    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "faiss.json").write_text(json.dumps(results, indent=2, default=_plain) + "\n")
    return 0


def _plain(value: object) -> object:
    """numpy scalars -> Python numbers for json."""
    return value.item() if isinstance(value, np.generic) else str(value)


if __name__ == "__main__":
    sys.exit(main())
