"""run_eval: run a solver over a dataset, score every output, and keep the evidence.

The harness is deliberately boring: threads for concurrency, results in item order, every
failure recorded rather than swallowed, and a progress bar on stdout (nbgrader scores any
stderr as 0).
"""

from __future__ import annotations

import math
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel
from tqdm import tqdm

from course.errors import CourseError
from course.evals.datasets import EvalItem
from course.evals.runs import EvalRun, current_commit
from course.evals.scorers import Score
from course.llm.types import LLMResponse

if TYPE_CHECKING:
    from course.evals.history import EvalHistory

ErrorPolicy = Literal["score_as_wrong", "fail", "retry"]
Solver = Callable[[EvalItem], Any]
Scorer = Callable[..., Score]

ERROR_POLICIES = ("score_as_wrong", "fail", "retry")
RESERVED_COLUMNS = {"id", "output", "expected", "error", "attempts", "latency_s", "cost_usd"}
SOLVER_FAILED = Score.verdict(False, "the solver raised; see the error column")


def run_eval(
    items: Sequence[EvalItem],
    solver: Solver,
    scorers: Mapping[str, Scorer] | Sequence[Scorer],
    *,
    concurrency: int = 4,
    error_policy: ErrorPolicy = "score_as_wrong",
    retries: int = 1,
    progress: bool = True,
    name: str = "eval",
    config: Mapping[str, Any] | None = None,
    history: EvalHistory | None = None,
) -> EvalRun:
    """Call `solver(item)` for every item, score each output with every scorer, return an EvalRun.

    Items run in `concurrency` threads (a model call mostly waits on the network, so threads
    overlap the waits); results keep item order whatever order calls finish in. When the
    solver raises, `error_policy` decides:
      "score_as_wrong"  record the error and score the item as failed (value 0) on every
                        scorer: a crash is a wrong answer to the user, so it costs the metric;
      "retry"           call the solver up to `retries` more times, then score as wrong
                        (the client already retries transient errors; this is for the rest);
      "fail"            stop the run and raise, for debugging.
    A scorer that raises is a bug in the scorer, and always stops the run.

    A scorer is `scorer(output, expected) -> Score`, or has `score_item(output, item)` when
    it needs the whole item (LLMJudge reads the input). Pass a dict to name the columns;
    in a list each scorer is named by its `name` or `__name__`. When the solver returns an
    LLMResponse, the output is its parsed object (as a dict) if it has one, else its text,
    and its cost and latency are recorded; the client's cache makes a rerun free.
    `config` (model, prompt version, seed, ...) is stored with the run; `history`, when
    given, gets the run appended.
    """
    named = _named(scorers)
    _check(items, error_policy, concurrency, retries)
    started = _now()
    rows: list[dict[str, Any]] = [{} for _ in items]
    with (
        ThreadPoolExecutor(max_workers=concurrency) as pool,
        tqdm(total=len(items), desc=name, file=sys.stdout, disable=not progress) as bar,
    ):
        futures = {
            pool.submit(_evaluate, item, solver, named, error_policy, retries): position
            for position, item in enumerate(items)
        }
        try:
            for future in as_completed(futures):
                rows[futures[future]] = future.result()
                bar.update()
        except BaseException:
            pool.shutdown(cancel_futures=True)  # do not start the items still queued
            raise
    run = EvalRun(
        run_id=uuid.uuid4().hex[:12],
        name=name,
        started_at=started,
        finished_at=_now(),
        config=dict(config or {}),
        scorers=list(named),
        results=pd.DataFrame(rows),
        git_commit=current_commit(),
    )
    if history is not None:
        history.append(run)
    return run


def _evaluate(
    item: EvalItem,
    solver: Solver,
    scorers: dict[str, Scorer],
    policy: ErrorPolicy,
    retries: int,
) -> dict[str, Any]:
    """One item's row: solve, unpack, score."""
    raw, error, attempts, seconds = _solve(item, solver, policy, retries)
    output, cost, latency = _unpack(raw, seconds)
    row: dict[str, Any] = {"id": item.id, "output": output, "expected": item.expected}
    for name, scorer in scorers.items():
        score = SOLVER_FAILED if error else _score(name, scorer, output, item)
        row[name] = score.value
        row[f"{name}_passed"] = score.passed
        row[f"{name}_error"] = score.error
        row[f"{name}_detail"] = score.detail
    row.update(error=error, attempts=attempts, latency_s=latency, cost_usd=cost)
    return row


def _solve(
    item: EvalItem, solver: Solver, policy: ErrorPolicy, retries: int
) -> tuple[Any, str | None, int, float]:
    """(output, error message, attempts made, wall-clock seconds of the successful call)."""
    tries = 1 + (retries if policy == "retry" else 0)
    message = None
    for attempt in range(1, tries + 1):
        started = time.perf_counter()
        try:
            return solver(item), None, attempt, time.perf_counter() - started
        except Exception as error:
            if policy == "fail":
                error.add_note(f"While solving item {item.id!r} (error_policy='fail').")
                raise
            message = f"{type(error).__name__}: {error}"
    return None, message, tries, math.nan


def _unpack(raw: Any, seconds: float) -> tuple[Any, float, float]:
    """(output, cost, latency). A response reports its own latency: virtual on the simulator."""
    if not isinstance(raw, LLMResponse):
        return raw, math.nan, seconds
    parsed = raw.parsed
    if isinstance(parsed, BaseModel):
        parsed = parsed.model_dump(mode="json")
    return (raw.text if parsed is None else parsed), raw.cost_usd, raw.latency_s


def _score(name: str, scorer: Scorer, output: Any, item: EvalItem) -> Score:
    score_item = getattr(scorer, "score_item", None)
    try:
        score = score_item(output, item) if score_item else scorer(output, item.expected)
    except Exception as error:
        error.add_note(f"In scorer {name!r} on item {item.id!r}: scorers should not raise.")
        raise
    if not isinstance(score, Score):
        raise CourseError(
            f"Scorer {name!r} returned {type(score).__name__}, not a Score.",
            hint="Return Score(value, passed, error, detail), e.g. Score.verdict(ok, why).",
        )
    return score


def _named(scorers: Mapping[str, Scorer] | Sequence[Scorer]) -> dict[str, Scorer]:
    if isinstance(scorers, Mapping):
        named = dict(scorers)
    else:
        named = {}
        for scorer in scorers:
            label = getattr(scorer, "name", None) or getattr(scorer, "__name__", "<unnamed>")
            if label.startswith("<") or label in named:
                raise CourseError(
                    f"Cannot name scorer {label!r} uniquely from a list.",
                    hint='Pass a dict instead: scorers={"exact": exact, "f1": my_lambda}.',
                )
            named[label] = scorer
    if not named:
        raise CourseError("run_eval needs at least one scorer.", hint="e.g. scorers=[exact].")
    clashes = RESERVED_COLUMNS.intersection(named)
    if clashes:
        raise CourseError(
            f"Scorer name(s) {sorted(clashes)} clash with result columns.",
            hint="Rename them in the scorers dict.",
        )
    return named


def _check(items: Sequence[EvalItem], policy: str, concurrency: int, retries: int) -> None:
    if policy not in ERROR_POLICIES:
        raise CourseError(
            f"Unknown error_policy {policy!r}.", hint=f"Use one of {', '.join(ERROR_POLICIES)}."
        )
    if concurrency < 1 or retries < 0:
        raise CourseError("concurrency must be >= 1 and retries >= 0.")
    if not items:
        raise CourseError("There are no items to evaluate.", hint="Check the dataset loaded.")
    counts = Counter(item.id for item in items)
    repeated = sorted(item_id for item_id, count in counts.items() if count > 1)
    if repeated:
        raise CourseError(
            f"Item ids must be unique; repeated: {repeated[:5]}.",
            hint="Runs are compared item by item, so each id must name one item.",
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
