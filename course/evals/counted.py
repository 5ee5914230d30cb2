"""Counted clients: run someone else's function against the simulator and see every call it makes.

The graded assignments call a learner's function item by item. What they need around it is the
same each time, and not what the assignment teaches: a fresh client per run with a private trace
store and cache (no answer leaks in from another run), a cap on calls per item (an endless retry
loop stops the test instead of hanging it), the reply texts of those calls (was the answer the
model's?), and a meter on the simulator itself (a client the function built for itself is counted
too). The clause checks and their messages stay in the notebooks, where learners read them.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from course.llm.budget import Budget
from course.llm.cache import ResponseCache
from course.llm.client import Client
from course.llm.providers.sim import SimProvider
from course.llm.retry import RetryPolicy
from course.llm.types import LLMResponse
from course.models import catalog
from course.tracing import TraceStore


class Runaway(BaseException):
    """One item made more complete() calls than allowed.

    A BaseException, so that an ``except Exception`` in the code under test cannot swallow it.
    """


class CountedClient(Client):
    """A normal Client that counts complete() calls for the current item and keeps their texts."""

    max_calls: int = 10
    calls_this_item: int = 0
    replies_this_item: tuple[str, ...] = ()

    def new_item(self) -> None:
        """Start counting again: call before handing the client the next item."""
        self.calls_this_item, self.replies_this_item = 0, ()

    def complete(self, *args: Any, **kwargs: Any) -> LLMResponse:
        self.calls_this_item += 1
        if self.calls_this_item > self.max_calls:
            raise Runaway()
        response = super().complete(*args, **kwargs)
        self.replies_this_item += ((response.text or "").strip(),)
        return response


class PrivateClients:
    """Simulator clients on its default tier, each with its own trace store and cache.

    Everything lives in one temporary folder, removed when the object goes away.
    """

    def __init__(self, prefix: str, *, feature: str, max_calls: int = 10) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix=f"{prefix}-", ignore_cleanup_errors=True)
        self.model = catalog().default_for("sim")  # the grader's tier: the simulator's default
        self.feature = feature
        self.max_calls = max_calls

    def cache(self, name: str) -> ResponseCache:
        """A fresh, empty response cache, to share between clients on purpose."""
        return ResponseCache(Path(self.folder.name) / f"{name}-{uuid.uuid4().hex[:8]}.sqlite")

    def client(
        self,
        name: str,
        *,
        seed: int = 0,
        faults: Any = None,
        budget: Budget | float | None = None,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        provider_impl: Any = None,
    ) -> CountedClient:
        """A CountedClient with its own trace store and (unless given) its own cache."""
        folder = Path(self.folder.name) / f"{name}-{seed}-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        client = CountedClient(
            "sim",
            self.model,
            seed=seed,
            feature=self.feature,
            run_id=folder.name,
            faults=faults,
            budget=budget,
            retry=retry,
            provider_impl=provider_impl,
            traces=TraceStore(folder / "traces.sqlite"),
            cache=cache if cache is not None else ResponseCache(folder / "cache.sqlite"),
        )
        client.max_calls = self.max_calls
        return client


@contextmanager
def metered_simulator(own: Client | None = None) -> Iterator[dict[str, Any]]:
    """Count every request the in-process simulator serves while the block runs.

    The yielded dict holds ``sends`` (all requests), ``own`` (those sent by ``own``'s provider)
    and ``cost_usd`` (at list price), so the difference shows calls made by other clients.
    """
    meter: dict[str, Any] = {"sends": 0, "own": 0, "cost_usd": 0.0}
    own_provider = own.provider if own is not None else None
    original = SimProvider.send

    def send(provider: SimProvider, request: Any, timeout_s: float) -> Any:
        reply = original(provider, request, timeout_s)
        meter["sends"] += 1
        meter["own"] += provider is own_provider
        spec = catalog().get(request.model)
        meter["cost_usd"] += spec.cost_usd(reply.input_tokens, reply.output_tokens)
        return reply

    SimProvider.send = send  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        SimProvider.send = original  # type: ignore[method-assign]


class Recording:
    """Wraps a predictor (predict, predict_many, fit) and records every text it is asked about."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.texts = inner, []

    def fit(self, tickets: Any = ()) -> Recording:
        return self

    def predict(self, text: str) -> Any:
        self.texts.append(text)
        return self.inner.predict(text)

    def predict_many(self, texts: Any) -> list[Any]:
        return [self.predict(text) for text in texts]
