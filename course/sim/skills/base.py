"""What every skill receives and returns, so the engine can treat them alike."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from course.sim.engine import SimRequest

# Used only when a sim model in a COURSE_MODELS_FILE leaves a knob out.
DEFAULT_KNOBS = {
    "base_error_rate": 0.3,
    "malformed_json_rate": 0.15,
    "field_miss_rate": 0.12,
    "latency_base_ms": 200.0,
    "latency_ms_per_output_token": 10.0,
    "latency_ms_per_input_token": 0.05,
}


@dataclass
class Context:
    """The request, the tier's knobs, and the random stream seeded from the request's hash."""

    request: SimRequest
    knobs: dict[str, float]
    rng: random.Random

    def knob(self, name: str) -> float:
        return float(self.knobs.get(name, DEFAULT_KNOBS[name]))


@dataclass
class Reply:
    """A skill's answer: text, or tool calls in the OpenAI shape."""

    content: str | None = None
    tool_calls: list[dict] = field(default_factory=list)
