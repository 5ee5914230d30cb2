"""A trajectory: every step one agent run took, readable as a table or as a page.

Reading trajectories is most of the work of improving an agent (which tool it chose, what it
sent, what came back, where it went wrong), so each step keeps all of it, and a notebook can
show one run as HTML and many runs as one pandas table.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd


class StopReason(StrEnum):
    """Why a run ended. Only ``ANSWERED`` means the agent finished on its own terms."""

    ANSWERED = "answered"
    BUDGET = "budget"  # steps, tokens, cost or time ran out
    LOOP = "loop_detected"  # the same tool call with the same arguments again and again
    TOOL_ERRORS = "tool_error_limit"  # too many tool errors in a row
    REFUSED = "refused"
    MODEL_ERROR = "model_error"  # the model call failed after the client's retries


@dataclass(frozen=True)
class Step:
    """One step: a model turn (``kind="model"``) or one tool call (``kind="tool"``)."""

    index: int
    kind: str
    text: str | None = None  # what the model said, or what the tool returned
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    error: str | None = None
    idempotency_key: str | None = None
    replayed: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0


@dataclass
class Trajectory:
    """One agent run from the user's goal to its stop reason."""

    id: str
    goal: str
    steps: list[Step] = field(default_factory=list)
    stop_reason: StopReason | None = None
    stop_detail: str = ""
    answer: str | None = None

    @property
    def cost_usd(self) -> float:
        return sum(s.cost_usd for s in self.steps)

    @property
    def tokens(self) -> int:
        return sum(s.input_tokens + s.output_tokens for s in self.steps)

    @property
    def latency_s(self) -> float:
        return sum(s.latency_s for s in self.steps)

    @property
    def model_turns(self) -> int:
        return sum(s.kind == "model" for s in self.steps)

    def tool_calls(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "tool"]

    def to_frame(self) -> pd.DataFrame:
        """One row per step."""
        rows = [asdict(s) for s in self.steps]
        frame = pd.DataFrame(rows, columns=[f for f in Step.__dataclass_fields__])
        frame.insert(0, "trajectory_id", self.id)
        return frame

    def summary(self) -> dict[str, Any]:
        tools = self.tool_calls()
        return {
            "trajectory_id": self.id,
            "goal": self.goal,
            "stop_reason": str(self.stop_reason) if self.stop_reason else None,
            "model_turns": self.model_turns,
            "tool_calls": len(tools),
            "tool_errors": sum(s.error is not None for s in tools),
            "tools_used": ", ".join(dict.fromkeys(s.tool or "" for s in tools)),
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "latency_s": self.latency_s,
        }

    def _repr_html_(self) -> str:
        """One run as a page: the goal, each step (escaped), and how it ended."""
        rows = []
        for step in self.steps:
            if step.kind == "tool":
                call = f"{step.tool}({_compact(step.arguments)})"
                badge = " <em>(replayed)</em>" if step.replayed else ""
                status = f"<b>error</b>: {html.escape(step.error)}" if step.error else "ok"
                what = f"<code>{html.escape(call)}</code>{badge} → {status}"
                body = html.escape(_clip(step.text or ""))
            else:
                what = "model"
                body = html.escape(_clip(step.text or "(tool calls)"))
            rows.append(
                f"<tr><td>{step.index}</td><td>{what}</td><td><pre style='white-space:pre-wrap;"
                f"margin:0'>{body}</pre></td><td>{step.latency_s:.2f} s</td>"
                f"<td>${step.cost_usd:.6f}</td></tr>"
            )
        head = (
            f"<p><b>Trajectory {html.escape(self.id)}</b>: {html.escape(self.goal)}<br>"
            f"stopped: <b>{html.escape(str(self.stop_reason))}</b> "
            f"{html.escape(self.stop_detail)} · {self.model_turns} model turns · "
            f"{len(self.tool_calls())} tool calls · {self.tokens} tokens · ${self.cost_usd:.6f}</p>"
        )
        table = (
            "<table><tr><th>#</th><th>step</th><th>content</th><th>latency</th><th>cost</th></tr>"
            + "".join(rows)
            + "</table>"
        )
        return head + table


def trajectories_frame(trajectories: list[Trajectory]) -> pd.DataFrame:
    """Many runs, one row each: the table a failure analysis starts from."""
    return pd.DataFrame([t.summary() for t in trajectories])


def _compact(arguments: dict[str, Any] | None) -> str:
    return json.dumps(arguments or {}, ensure_ascii=False, default=str)[:200]


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + " …"
