"""What every skill receives and returns, so the engine can treat them alike.

A skill is a module in this package with `respond(ctx: Context) -> Reply | None` (the Skill
protocol): the reply, or None when the request is not its job, so the next entry of the
dispatch table in __init__.py gets it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from course.sim.engine import SimRequest
    from course.sim.reading.redo import Redo

# Used only when a sim model in a COURSE_MODELS_FILE leaves a knob out (close to sim-small).
DEFAULT_KNOBS = {
    "base_error_rate": 0.3,
    "malformed_json_rate": 0.15,
    "field_miss_rate": 0.12,
    "injection_compliance_rate": 0.6,
    "summary_miss_rate": 0.25,
    "pii_mask_rate": 0.6,
    "grounding_error_rate": 0.12,
    "context_dilution": 0.15,
    "abstain_when_allowed_rate": 0.7,
    "judge_false_pass_rate": 0.5,
    "judge_false_fail_rate": 0.1,
    "latency_base_ms": 200.0,
    "latency_ms_per_output_token": 10.0,
    "latency_ms_per_input_token": 0.05,
    # 1: close classification decisions are re-read by MiniLM itself (course.sim.reader)
    "second_reader": 0.0,
}


def seeded(*parts: object) -> random.Random:
    """A random stream derived from `parts` with sha256, identical in every process."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class Context:
    """The request, the tier's knobs, and the random stream seeded from the request's hash.

    `seed` is the request's hash (and trial number); `stream(name)` derives an independent
    stream from it, so one decision (say, whether to obey an injection) does not shift the
    random draws of another (which words the extraction garbles).

    `redo` is set when the last user turn asks to redo the previous answer (a repair turn,
    see reading/redo.py): `request.messages` then end at the task being redone, and `redo` keeps the
    correction (and any schema it carried).
    """

    request: SimRequest
    knobs: dict[str, float]
    rng: random.Random
    seed: str = ""
    redo: Redo | None = None
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, worked out once per request: a reading several skills ask for (the QA
        task is parsed once for the two question-answering entries of the dispatch table)."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def knob(self, name: str) -> float:
        return float(self.knobs.get(name, DEFAULT_KNOBS[name]))

    def stream(self, name: str) -> random.Random:
        return seeded(self.seed, name)

    @property
    def heat(self) -> float:
        """The factor (1 + 0.5 x temperature) by which temperature raises every error rate."""
        return 1 + 0.5 * max(0.0, self.request.temperature or 0.0)


@dataclass
class Reply:
    """A skill's answer: text, or tool calls in the OpenAI shape.

    `behaviours` names documented behaviours that shaped this answer beyond the skill itself
    (e.g. "injected": the answer obeyed an instruction planted in the user's text; the list
    is in docs/SIMULATOR.md).
    """

    content: str | None = None
    tool_calls: list[dict] = field(default_factory=list)
    behaviours: list[str] = field(default_factory=list)


class Skill(Protocol):
    """A skill's entry point: its reply to the request, or None when the request is not its job."""

    def __call__(self, ctx: Context) -> Reply | None: ...
