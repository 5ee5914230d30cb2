"""Which failure, if any, the next call suffers: by probability or by a scripted sequence.

Real providers fail in a handful of recognisable ways. Retries, timeouts and fallbacks can only
be tested if those failures can be produced on demand, so a FaultPlan decides them from its own
seeded random sequence: the same plan replays the same failures, independent of the content.
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from dataclasses import dataclass, field

FAULT_KINDS = (
    "rate_limit",
    "timeout",
    "server_error",
    "malformed_json",
    "truncation",
    "refusal",
    "latency_spike",
)
# Protocol faults stop the call (an exception, or an HTTP error status over the wire);
# content faults let the call "succeed" with a damaged answer, which is the harder case to catch.
PROTOCOL_FAULTS = ("rate_limit", "timeout", "server_error")
CONTENT_FAULTS = ("malformed_json", "truncation", "refusal", "latency_spike")
NO_FAULT = "ok"
REFUSAL_TEXT = "I can't help with that request."  # what a refusal fault says, on every provider


class SimFault(Exception):
    """A failure the simulator injected on purpose."""

    kind: str = "fault"


class SimRateLimit(SimFault):
    """HTTP 429: too many requests; the provider says when to come back."""

    kind = "rate_limit"

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"Rate limit exceeded (simulated); retry after {retry_after_s:g} s.")
        self.retry_after_s = retry_after_s


class SimTimeout(SimFault):
    """The request hangs for hang_s seconds: only a client-side timeout saves the caller."""

    kind = "timeout"

    def __init__(self, hang_s: float) -> None:
        super().__init__(f"The request hung for {hang_s:g} s without an answer (simulated).")
        self.hang_s = hang_s


class SimServerError(SimFault):
    """HTTP 500, 502 or 503: the provider failed, not the request."""

    kind = "server_error"

    def __init__(self, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(f"The server failed with HTTP {status} (simulated).")
        self.status = status
        self.retry_after_s = retry_after_s


def _valid_kinds_text() -> str:
    return ", ".join(FAULT_KINDS)


@dataclass
class FaultPlan:
    """Per-call fault probabilities plus an optional script that is played first.

    `script` entries are fault kinds or "ok" (no fault) and are consumed one per call, so a test
    can say "fail twice with 429, then succeed". After the script, every call makes exactly one
    draw from random.Random(seed), so the sequence of faults is reproducible.
    """

    rates: dict[str, float] = field(default_factory=dict)
    script: list[str] = field(default_factory=list)
    seed: int = 0
    retry_after_s: float = 1.0
    # When set, 5xx replies say when to come back too (as a 503 may): the client waits that long
    # instead of its own backoff. A test of a provider that is down sets 0 to skip the waits.
    server_retry_after_s: float | None = None
    spike_s: float = 8.0
    hang_s: float = 30.0
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _queue: deque[str] = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            if kind not in FAULT_KINDS:
                raise ValueError(
                    f"Unknown fault kind {kind!r}; valid kinds: {_valid_kinds_text()}."
                )
            if not 0.0 <= float(rate) <= 1.0:
                raise ValueError(f"Fault rate for {kind!r} must be between 0 and 1, got {rate}.")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("Fault rates add up to more than 1; a call suffers at most one fault.")
        for kind in self.script:
            if kind not in (*FAULT_KINDS, NO_FAULT):
                raise ValueError(
                    f"Unknown scripted fault {kind!r}; use {NO_FAULT!r} or one of: "
                    f"{_valid_kinds_text()}."
                )
        self._rng = random.Random(self.seed)
        self._queue = deque(self.script)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str, **kw: object) -> FaultPlan:
        """Build a plan from "rate_limit=0.2,timeout=0.05"; other fields come from keywords."""
        rates: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            kind, sep, number = (s.strip() for s in part.partition("="))
            if kind not in FAULT_KINDS:
                raise ValueError(
                    f"Unknown fault kind {kind!r} in {spec!r}; valid kinds: {_valid_kinds_text()}."
                )
            if not sep:
                raise ValueError(f"Missing '=rate' after {kind!r} in {spec!r}, e.g. {kind}=0.1.")
            try:
                rates[kind] = float(number)
            except ValueError:
                raise ValueError(
                    f"Fault rate {number!r} for {kind!r} is not a number; write e.g. {kind}=0.1. "
                    f"Valid kinds: {_valid_kinds_text()}."
                ) from None
        return cls(rates=rates, **kw)  # type: ignore[arg-type]

    def next_fault(self) -> str | None:
        """The fault for the next call, or None. Thread-safe: the server calls it concurrently."""
        with self._lock:
            if self._queue:
                kind = self._queue.popleft()
                return None if kind == NO_FAULT else kind
            draw = self._rng.random()  # exactly one draw per call keeps the sequence replayable
        cumulative = 0.0
        for kind in FAULT_KINDS:
            cumulative += self.rates.get(kind, 0.0)
            if draw < cumulative:
                return kind
        return None


def break_json(text: str, rng: random.Random) -> str:
    """Damage JSON the way chat models do when JSON is only asked for in prose."""
    breakers = (
        lambda t: "Sure! Here is the JSON you asked for:\n" + t,
        lambda t: t + "\n\nLet me know if you need anything else.",
        lambda t: t.replace('"', "'"),
        lambda t: t.rstrip()[:-1] if t.rstrip().endswith(("}", "]")) else t + " {",
        lambda t: "```json\n" + t + "\n```",
    )
    broken = rng.choice(breakers)(text)
    try:
        json.loads(broken)
    except ValueError:
        return broken
    return "Here is the JSON:\n" + broken  # the chosen damage happened to leave it valid
