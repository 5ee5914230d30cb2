"""A circuit breaker: stop calling a provider that is plainly down.

Retries with backoff are right for a blip. Against a provider that answers every attempt with
a 5xx, or not at all, they turn every call into ``max_attempts`` waits, and a notebook of 300
calls into an hour of waiting for errors. A breaker watches the attempts that failed on the
provider's side (5xx, timeout, unreachable; not 429, which means the provider is up and busy):

- **closed** (normal): attempts go through; ``failures_to_open`` such failures in a row open it;
- **open**: attempts fail at once with ``ProviderUnavailable``, nothing is sent, for
  ``cooldown_s`` seconds;
- **half-open**: after the cooldown one trial attempt goes through; if it succeeds the breaker
  closes, if it fails the breaker opens for another cooldown.

Every client of the same provider endpoint in a process shares one breaker (``breaker_for``):
the outage is the provider's, not one client's. Clients of simulated providers, whose waits
are virtual, get none unless they ask for one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from course.llm.errors import LLMError, ProviderTimeout, ProviderUnreachable, ServerError

PROVIDER_DOWN = (ServerError, ProviderTimeout, ProviderUnreachable)


class ProviderUnavailable(LLMError):
    """The breaker is open: the provider failed too often in a row, so no request was sent."""


class CircuitBreaker:
    """Closed, open or half-open, from the outcomes of attempts (see the module docstring)."""

    def __init__(
        self,
        name: str = "provider",
        *,
        failures_to_open: int = 8,
        cooldown_s: float = 30.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures_to_open < 1 or cooldown_s < 0:
            raise ValueError("failures_to_open must be at least 1 and cooldown_s at least 0.")
        self.name = name
        self.failures_to_open = failures_to_open
        self.cooldown_s = cooldown_s
        self._now = now
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        """ "closed", "open" or "half-open" (the cooldown is over; the next attempt is a trial)."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self._cooled_down() else "open"

    def before_attempt(self) -> None:
        """Let an attempt through, or raise ``ProviderUnavailable`` if the breaker is open."""
        with self._lock:
            if self._opened_at is None:
                return
            if self._cooled_down() and not self._trial_running:
                self._trial_running = True  # this attempt is the one trial
                return
            left = max(0.0, self._opened_at + self.cooldown_s - self._now())
        raise ProviderUnavailable(
            f"{self.name} failed {self.failures_to_open} attempts in a row, so calls to it stop "
            f"for {self.cooldown_s:.0f} s (about {left:.0f} s left); nothing was sent.",
            hint="Check the provider's status page and your COURSE_BASE_URL or key, or run on the "
            "simulator (COURSE_PROVIDER=sim). The next call after the pause is a trial.",
        )

    def record(self, error: BaseException | None) -> None:
        """The outcome of an attempt that went through: ``None`` for a reply."""
        with self._lock:
            self._trial_running = False
            if error is None:
                self._failures, self._opened_at = 0, None
            elif isinstance(error, PROVIDER_DOWN):
                self._failures += 1
                if self._opened_at is not None or self._failures >= self.failures_to_open:
                    self._opened_at = self._now()  # (re)open: a failed trial starts a new pause

    def _cooled_down(self) -> bool:
        return self._opened_at is not None and self._now() - self._opened_at >= self.cooldown_s


_SHARED: dict[str, CircuitBreaker] = {}
_SHARED_LOCK = threading.Lock()


def breaker_for(endpoint: str) -> CircuitBreaker:
    """The process's breaker for one provider endpoint (made on first use)."""
    with _SHARED_LOCK:
        if endpoint not in _SHARED:
            _SHARED[endpoint] = CircuitBreaker(endpoint)
        return _SHARED[endpoint]


def reset_breakers() -> None:
    """Forget every shared breaker (a fresh process's state; tests start from it)."""
    with _SHARED_LOCK:
        _SHARED.clear()
