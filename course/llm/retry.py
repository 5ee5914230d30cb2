"""Retries with exponential backoff and full jitter, honouring Retry-After.

Why full jitter: when many clients hit a 429 at once, waiting exactly 1, 2, 4 s makes them
retry in lock-step and collide again; a uniform draw in [0, cap] spreads them out.
Why honour Retry-After: the provider is telling us when capacity returns; retrying sooner
only burns quota and earns more 429s.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Protocol

from course.llm.errors import TransientError


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try, and how long to wait between tries."""

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    jitter: bool = True
    honor_retry_after: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (1 means: never retry).")

    def delay_s(self, attempt: int, error: TransientError, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if self.honor_retry_after and error.retry_after_s is not None:
            return min(max(error.retry_after_s, 0.0), self.max_delay_s)
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return rng.uniform(0.0, cap) if self.jitter else cap


NO_RETRY = RetryPolicy(max_attempts=1)


class Clock(Protocol):
    """Where waiting happens: real seconds for real providers, virtual ones for the simulator."""

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class VirtualClock:
    """Counts waits without sleeping, so simulated backoff costs no wall time."""

    def __init__(self) -> None:
        self.slept_s = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept_s += seconds
