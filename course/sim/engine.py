"""The simulator: one chat-completion call in, one reproducible answer (or failure) out.

Everything random here is seeded from a hash of the request, so the same request gives the same
answer in any process, and from a trial counter, so repeating a request at temperature > 0 gives
a different but replayable answer each time. Faults come from the FaultPlan's own sequence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from course.errors import ConfigurationError
from course.models import ModelSpec, catalog
from course.sim.embeddings import DEFAULT_EMBEDDING_DIM, EMBEDDING_DIM_KNOB, model_embeddings
from course.sim.faults import (
    REFUSAL_TEXT,
    FaultPlan,
    SimRateLimit,
    SimServerError,
    SimTimeout,
    break_json,
)
from course.sim.reading.prompt import text_of
from course.sim.skills import Context, answer
from course.sim.skills.base import DEFAULT_KNOBS, seeded
from course.tokens import count_tokens

_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)  # the same pieces course.tokens counts
_JITTER_SIGMA = 0.25


@dataclass(frozen=True)
class SimRequest:
    """A chat-completions request in the OpenAI shape."""

    model: str
    messages: list[dict]
    temperature: float = 0.0
    seed: int | None = None
    max_tokens: int | None = None
    response_format: dict | None = None
    tools: list[dict] | None = None


@dataclass
class SimResult:
    """The answer, its usage and simulated latency, and which skill (and fault) produced it.

    `behaviours` lists documented behaviours that shaped the answer besides the skill, e.g.
    ("injected",) when it obeyed an instruction planted in the user's text. `skill` stays the
    bare skill name so code can branch on it; `skill_tag` joins both ("classify+injected"),
    which is what the HTTP server's x-sim-skill header shows.
    """

    content: str | None
    tool_calls: list[dict]
    finish_reason: str
    refusal: str | None
    input_tokens: int
    output_tokens: int
    latency_s: float
    skill: str
    request_id: str
    fault: str | None = None
    behaviours: tuple[str, ...] = ()

    @property
    def skill_tag(self) -> str:
        return "+".join((self.skill, *self.behaviours))


@dataclass
class EmbedResult:
    """Vectors for an embeddings request, with usage and simulated latency."""

    vectors: list[list[float]]
    input_tokens: int
    latency_s: float
    request_id: str


def request_key(request: SimRequest) -> str:
    """A stable hash of everything that determines the answer (max_tokens only cuts it)."""
    canonical = json.dumps(
        {
            "model": request.model,
            "messages": request.messages,
            "tools": request.tools,
            "response_format": request.response_format,
            "temperature": float(request.temperature),
            "seed": request.seed,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def truncate_to_tokens(text: str, limit: int) -> str:
    """The longest prefix of `text` that course.tokens counts as at most `limit` tokens."""
    used, end = 0, 0
    for piece in _PIECE.finditer(text):
        cost = max(1, -(-len(piece.group(0)) // 4))
        if used + cost > limit:
            break
        used, end = used + cost, piece.end()
    return text[:end]


@lru_cache(maxsize=8192)
def _cached_tokens(text: str) -> int:
    """`count_tokens` of a text the model reads, memoised: a system prompt, a tool list or a
    schema is sent again with every input, and counting is a regex pass over all of it."""
    return count_tokens(text)


def input_tokens(request: SimRequest) -> int:
    """Tokens the model reads: every message, earlier tool calls, tool schemas, the JSON schema."""
    total = 0
    for message in request.messages:
        total += _cached_tokens(text_of(message))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            total += count_tokens(function.get("name")) + count_tokens(function.get("arguments"))
    if request.tools:
        total += _cached_tokens(json.dumps(request.tools))
    schema = (request.response_format or {}).get("json_schema")
    if schema:
        total += _cached_tokens(json.dumps(schema))
    return total


def latency_model(spec: ModelSpec, tokens_in: int, tokens_out: int, rng: random.Random) -> float:
    """Seconds: a fixed cost plus per-token costs (output dominates), times lognormal jitter.

    The shape mirrors real APIs, where time to first token plus decoding speed explain most
    of the latency; the jitter gives the distribution a right tail, so p95 differs from p50.
    """
    knobs = {**DEFAULT_KNOBS, **spec.sim}
    base_ms = (
        knobs["latency_base_ms"]
        + knobs["latency_ms_per_input_token"] * tokens_in
        + knobs["latency_ms_per_output_token"] * tokens_out
    )
    return base_ms * rng.lognormvariate(0.0, _JITTER_SIGMA) / 1000


@dataclass
class _Answer:
    """The mutable draft of a result while faults and limits are applied to it."""

    content: str | None
    tool_calls: list[dict]
    finish_reason: str
    refusal: str | None = None
    fault: str | None = None
    extra_latency_s: float = 0.0
    behaviours: tuple[str, ...] = ()

    def output_tokens(self) -> int:
        if self.refusal:
            return count_tokens(self.refusal)
        args = sum(count_tokens(c["function"]["arguments"]) for c in self.tool_calls)
        return count_tokens(self.content) + args

    def cut(self, limit: int) -> None:
        """Keep at most `limit` output tokens, as a provider does when max_tokens is reached."""
        if self.content is not None:
            self.content = truncate_to_tokens(self.content, limit)
        for call in self.tool_calls:
            function = call["function"]
            function["arguments"] = truncate_to_tokens(function["arguments"], limit)
        self.finish_reason = "length"


class Simulator:
    """Answers chat-completion requests for the sim models in course/models.toml."""

    def __init__(self, faults: FaultPlan | None = None, real_time: bool = False) -> None:
        self.faults = faults
        self.real_time = real_time
        self._trials: dict[str, int] = {}
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def model_ids(self) -> list[str]:
        """The simulator's chat models: every catalogue entry of provider "sim" and kind chat."""
        return catalog().ids("sim")

    def embedding_model_ids(self) -> list[str]:
        """The simulator's embeddings models (kind = "embedding" in the catalogue)."""
        return catalog().ids("sim", kind="embedding")

    def served_model_ids(self) -> list[str]:
        """Every model the simulator serves, chat and embeddings: what GET /v1/models lists."""
        return sorted(self.model_ids() + self.embedding_model_ids())

    def _spec(self, model: str, kind: str = "chat") -> ModelSpec:
        spec = catalog().models.get(model)
        if spec is None or spec.provider != "sim":
            known = ", ".join(self.model_ids() if kind == "chat" else self.embedding_model_ids())
            what = "an unknown model" if spec is None else f"a {spec.provider} model"
            raise ConfigurationError(
                f"The simulator cannot answer for {model!r}: it is {what}.",
                hint=f"Use a simulator model ({known}), e.g. COURSE_MODEL=sim-small, or switch "
                "COURSE_PROVIDER to the provider that serves it.",
            )
        if spec.kind != kind:
            chats, embeds = ", ".join(self.model_ids()), ", ".join(self.embedding_model_ids())
            raise ConfigurationError(
                f"{model!r} is {'an embeddings' if kind == 'chat' else 'a chat'} model: it does "
                f"not serve {'chat completions' if kind == 'chat' else 'embeddings'}.",
                hint=f"Chat models: {chats}. Embeddings models: {embeds}.",
            )
        return spec

    def _count(self, table: dict[str, int], key: str) -> int:
        with self._lock:
            n = table.get(key, 0)
            table[key] = n + 1
            return n

    def complete(self, request: SimRequest) -> SimResult:
        """Answer one request, or raise the protocol fault the FaultPlan chose for this call."""
        spec = self._spec(request.model)
        if request.temperature is None:  # tolerate what JSON null would give us
            request = dataclasses.replace(request, temperature=0.0)
        if not request.messages:
            raise ValueError("A chat request needs at least one message.")
        key = request_key(request)
        call = self._count(self._calls, key)
        request_id = "sim-" + hashlib.sha256(f"{key}:{call}".encode()).hexdigest()[:24]
        fault = self.faults.next_fault() if self.faults else None
        self._raise_protocol_fault(fault, key, call)

        # Only answered calls are trials; at temperature 0 every trial is the same trial.
        trial = self._count(self._trials, key) if request.temperature > 0 else 0
        ctx = Context(request, spec.sim, seeded(key, trial, "skill"), seed=f"{key}:{trial}")
        skill, reply = answer(ctx)
        draft = _Answer(
            content=reply.content,
            tool_calls=reply.tool_calls,
            finish_reason="tool_calls" if reply.tool_calls else "stop",
            behaviours=tuple(reply.behaviours),
        )
        if fault is not None:
            self._apply_content_fault(draft, fault, seeded(key, trial, "fault"))
        limit = min(request.max_tokens or spec.max_output_tokens, spec.max_output_tokens)
        if draft.refusal is None and draft.output_tokens() > limit:
            draft.cut(limit)

        tokens_in, tokens_out = input_tokens(request), draft.output_tokens()
        jitter = seeded(key, trial, "latency")
        latency_s = latency_model(spec, tokens_in, tokens_out, jitter) + draft.extra_latency_s
        if self.real_time:
            time.sleep(latency_s)
        return SimResult(
            content=draft.content,
            tool_calls=draft.tool_calls,
            finish_reason=draft.finish_reason,
            refusal=draft.refusal,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            latency_s=latency_s,
            skill=skill,
            request_id=request_id,
            fault=draft.fault,
            behaviours=draft.behaviours,
        )

    def embed(self, model: str, texts: list[str], dimensions: int | None = None) -> EmbedResult:
        """Vectors for `texts` from an embeddings model, or the protocol fault the plan chose.

        Content faults (malformed JSON, truncation, refusals) do not apply to vectors: such a
        draw is used up and the call succeeds. The vectors come from the shipped static model
        (embeddings.py), so the same text always gets the same vector. A `dimensions` wider
        than the model raises ValueError before any fault or charge.
        """
        spec = self._spec(model, kind="embedding")
        dim = int(dimensions or spec.sim.get(EMBEDDING_DIM_KNOB, DEFAULT_EMBEDDING_DIM))
        model_embeddings([], dim)  # validates `dim` before anything is counted
        canonical = json.dumps({"model": model, "input": texts, "dimensions": dim}, sort_keys=True)
        key = hashlib.sha256(canonical.encode()).hexdigest()
        call = self._count(self._calls, key)
        request_id = "sim-" + hashlib.sha256(f"{key}:{call}".encode()).hexdigest()[:24]
        fault = self.faults.next_fault() if self.faults else None
        self._raise_protocol_fault(fault, key, call)
        tokens = sum(count_tokens(text) for text in texts)
        latency_s = latency_model(spec, tokens, 0, seeded(key, 0, "latency"))
        if fault == "latency_spike" and self.faults is not None:
            latency_s += self.faults.spike_s
        if self.real_time:
            time.sleep(latency_s)
        return EmbedResult(model_embeddings(texts, dim), tokens, latency_s, request_id)

    def _raise_protocol_fault(self, fault: str | None, key: str, call: int) -> None:
        plan = self.faults
        if plan is None or fault is None:
            return
        if fault == "rate_limit":
            raise SimRateLimit(plan.retry_after_s)
        if fault == "timeout":
            if self.real_time:
                time.sleep(plan.hang_s)
            raise SimTimeout(plan.hang_s)
        if fault == "server_error":
            status = seeded(key, call, "status").choice((500, 502, 503))
            raise SimServerError(status, plan.server_retry_after_s)

    def _apply_content_fault(self, draft: _Answer, fault: str, rng: random.Random) -> None:
        """Damage an otherwise good answer; the call still "succeeds", which is the trap."""
        plan = self.faults
        assert plan is not None
        draft.fault = fault
        if fault == "malformed_json":
            if draft.tool_calls:
                function = draft.tool_calls[0]["function"]
                function["arguments"] = break_json(function["arguments"], rng)
            else:
                draft.content = break_json(draft.content or "", rng)
        elif fault == "truncation":
            draft.cut(max(1, draft.output_tokens() // 2))
        elif fault == "refusal":
            draft.content, draft.tool_calls = None, []
            draft.refusal, draft.finish_reason = REFUSAL_TEXT, "stop"
            draft.behaviours = ()  # the refusal replaced whatever the answer had done
        elif fault == "latency_spike":
            draft.extra_latency_s = plan.spike_s
