"""A spending cap that stops a run *before* a call could take it over budget.

The check uses a worst-case estimate (the prompt's tokens plus max_tokens of output), so a
run can never overshoot; the actual cost is charged after the call returns.
"""

from __future__ import annotations

import threading

from course.llm.errors import BudgetExceeded


class Budget:
    """Thread-safe running total against a limit in USD."""

    def __init__(self, limit_usd: float) -> None:
        if limit_usd < 0:
            raise ValueError("A budget cannot be negative.")
        self.limit_usd = limit_usd
        self.spent_usd = 0.0
        self._lock = threading.Lock()

    @property
    def remaining_usd(self) -> float:
        return self.limit_usd - self.spent_usd

    def reserve(self, worst_case_usd: float) -> None:
        """Refuse a call whose worst case would exceed the limit."""
        with self._lock:
            if self.spent_usd + worst_case_usd > self.limit_usd:
                raise BudgetExceeded(
                    f"Budget stop: spent ${self.spent_usd:.6f} of ${self.limit_usd:.6f}; the next "
                    f"call could cost up to ${worst_case_usd:.6f}.",
                    hint="Raise the budget, lower max_tokens, or use a cheaper model.",
                )

    def charge(self, cost_usd: float) -> None:
        with self._lock:
            self.spent_usd += cost_usd

    def __repr__(self) -> str:
        return f"Budget(spent=${self.spent_usd:.6f} of ${self.limit_usd:.6f})"
