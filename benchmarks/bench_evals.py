"""Eval-harness throughput: items per second, cold vs cached, serial vs concurrent.

Baseline (ratio 1.0) is a cold, serial run in-process measured in the same run. The same
runs then go over HTTP to the simulator's OpenAI-compatible server through the openai
provider, and finally to a server that really sleeps its modelled latency (a few hundred ms
per call, like a hosted model), where threads overlap the waits. Every run scores handbook
dev questions with BM25 top-3 passages and a grounded-answer prompt.

Usage:  .venv/bin/python benchmarks/bench_evals.py [--items 128]
Writes benchmarks/results/evals.json as well as printing the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_solver(client, index, chunks_by_id):
    def solve(item):
        hits = index.search(item.input, k=3)
        context = "\n".join(f"[{h.chunk_id}] {chunks_by_id[h.chunk_id].text}" for h in hits)
        prompt = (
            "Answer the question from the context only, citing passage ids in brackets. "
            "If the context does not contain the answer, say you don't know.\n"
            f"<context>\n{context}\n</context>\nQuestion: {item.input}"
        )
        return client.complete(prompt, max_tokens=120)

    return solve


def timed_run(items, solver, concurrency: int) -> float:
    from course.evals import run_eval
    from course.evals.scorers import token_f1

    started = time.perf_counter()
    run_eval(items, solver, {"f1": token_f1}, concurrency=concurrency, progress=False)
    return len(items) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=128)
    parser.add_argument(
        "--slow-items", type=int, default=24, help="items for the real-latency runs"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COURSE_HOME"] = str(Path(tmp) / "home")
        from course.data.handbook import load_qa
        from course.evals import EvalItem
        from course.llm import Client, ResponseCache
        from course.retrieval import BM25Index, handbook_chunks
        from course.sim.server import serve_in_thread

        chunks = handbook_chunks("paragraph")
        index = BM25Index.build(chunks)
        by_id = {c.id: c for c in chunks}
        items = [
            EvalItem(id=q.id, input=q.question, expected=q.answer)
            for q in load_qa("dev")[: args.items]
        ]

        rates: dict[str, float] = {}
        for transport in ("in-process", "http", "http+latency"):
            subset = items if transport != "http+latency" else items[: args.slow_items]
            for concurrency in (1, 4):
                cache = ResponseCache(Path(tmp) / f"cache-{transport}-{concurrency}.sqlite")
                if transport.startswith("http"):
                    server = serve_in_thread(real_time=transport == "http+latency")
                    running = server.__enter__()
                    os.environ["COURSE_BASE_URL"] = running.base_url
                    client = Client("openai", "sim-small", cache=cache, traces=False)
                else:
                    client = Client("sim", "sim-small", cache=cache, traces=False)
                solver = build_solver(client, index, by_id)
                label = f"{transport}, {concurrency} thread(s)"
                rates[f"{label}, cold"] = timed_run(subset, solver, concurrency)
                rates[f"{label}, cached"] = timed_run(subset, solver, concurrency)
                if transport.startswith("http"):
                    server.__exit__(None, None, None)
                    os.environ.pop("COURSE_BASE_URL")

    base = rates["in-process, 1 thread(s), cold"]
    print(
        f"Eval harness throughput, {len(items)} items ({args.slow_items} with real latency); "
        "items/s and ratio to cold serial in-process"
    )
    for name, value in rates.items():
        print(f"  {name:<40} {value:>8.1f}   x{value / base:.3f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "evals.json").write_text(
        json.dumps({"items": len(items), "items_per_s": rates}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
