"""The support agent as a web service: versions behind a flag, a kill switch, a request log in
the trace store, a health endpoint and Prometheus metrics.

An agent in a notebook is a demo; an agent behind an endpoint is a product, and it needs what any
backend service needs, plus two things specific to LLM features:

- **versions behind a flag** (``course.flags``): a new prompt or model goes to a canary share of
  sessions first, chosen by a stable hash of the session id, and rolling back is one flag change,
  not a deploy;
- **a kill switch**: a second flag that, when engaged, makes the service answer every session
  with a safe fallback and HTTP 503 (a status clients and load balancers understand) without
  calling any model. A runaway cost, a bad prompt or a provider incident is stopped in seconds.

Every session is one row in the trace store's request log (``TraceStore.requests()``): version,
status, the verdict when one is known, cost, latency and the trajectory id that joins the model
and tool calls. ``/metrics`` exposes the same counts in Prometheus' text format.

The service serves a *simulated* world: a ``TaskSet`` from the task generator, so each request
names the task it replays and the service can judge the session by the shop it leaves behind
(``course.agents.shop.check``). A real service learns whether a session went well later, from
feedback, a reopened ticket or a review; a replay knows at once because its customers are
scripted. One request is one whole conversation: the customer's turns come with it and are
handed to the agent, in order, each time it replies (as ``Task.user`` does), because the loop
asks for the next turn synchronously.

    service = AgentService(task_set, {"v1": AgentVersion("v1")}, flags_path=...)
    with serve(create_app(service)) as running:
        httpx.post(f"{running.url}/v1/sessions", json={"task_id": ..., "turns": [...]})
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from pydantic import BaseModel, Field, field_validator

from course.agents.loop import Agent, AgentBudget
from course.agents.shop.checks import check, failure_kind
from course.agents.shop.policy import POLICY
from course.agents.shop.tasks import Task, TaskSet
from course.agents.shop.tools import shop_tools
from course.agents.tools import Tool
from course.agents.trajectory import StopReason
from course.config import state_dir
from course.errors import CourseError
from course.flags import FeatureFlag
from course.llm import Client
from course.llm.events import utc_now
from course.tracing import RequestRecord, TraceStore, default_store

# Prometheus' *_created series (a start time per counter) only add noise to a notebook's scrape.
disable_created_metrics()

FALLBACK_REPLY = (
    "Our assistant is paused right now. Your message has not been acted on; please try again "
    "later or write to support@shop.example and a colleague will answer."
)
STOPPED_REPLY = (
    "Sorry, I could not finish this request. Nothing more will be changed; a colleague will "
    "follow up."
)
SERVING, KILLED = "serve", "off"


@dataclass(frozen=True)
class AgentVersion:
    """One deployable configuration of the agent: what a flag chooses between.

    Anything that changes behaviour belongs here (prompt, model, temperature, tools, budget), so
    the request log's ``version`` column says exactly what ran.
    """

    name: str
    system: str = POLICY
    model: str | None = None  # None: the configured model
    temperature: float = 0.0
    edit_tools: Callable[[list[Tool]], list[Tool]] | None = None
    budget: AgentBudget | None = None
    note: str = ""


class KillSwitch:
    """An operator's off switch for the service, kept as a flag so flipping it needs no deploy
    and every flip is in the flag's history with its reason."""

    def __init__(self, name: str, path: Path | str | None = None) -> None:
        self.flag = FeatureFlag(f"{name}.kill", path, versions=(SERVING, KILLED))
        _start(self.flag, SERVING, "kill switch created (serving)")

    @property
    def engaged(self) -> bool:
        return self.flag.state().stable == KILLED

    def engage(self, reason: str) -> None:
        """Stop serving: every session gets the fallback until ``release``."""
        self.flag.set_rollout(KILLED, 100, reason)

    def release(self, reason: str) -> None:
        self.flag.set_rollout(SERVING, 100, reason)


class SessionRequest(BaseModel):
    """POST /v1/sessions: one conversation. ``turns[0]`` opens it; later turns are what the
    customer says each time the agent replies."""

    task_id: str = Field(min_length=1, max_length=100, description="the replayed task's id")
    turns: list[str] = Field(min_length=1, max_length=20)
    session_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="sticky bucketing: the same id always gets the same version",
    )

    @field_validator("turns")
    @classmethod
    def _turns_have_text(cls, turns: list[str]) -> list[str]:
        for number, turn in enumerate(turns):
            if not turn.strip():
                raise ValueError(f"turn {number} is empty; every turn needs the customer's words")
            if len(turn) > 4000:
                raise ValueError(f"turn {number} has {len(turn)} characters; the limit is 4000")
        return turns


class SessionReply(BaseModel):
    session_id: str
    status: str  # answered | stopped | killed
    reply: str
    version: str | None
    stop_reason: str | None = None
    model_turns: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0


class AgentService:
    """The agent behind the endpoints: picks a version, runs the session, judges it, logs it.

    ``versions`` by name; the flag ``name`` (in ``flags_path``) chooses between them and must
    start with a stable version (``set_rollout(name, 100)``); this constructor does that with
    the first version when the flag is new. ``traces`` receives both the model calls and the
    request log. ``provider`` and ``seed`` are handed to each version's ``Client``.
    """

    def __init__(
        self,
        task_set: TaskSet,
        versions: dict[str, AgentVersion],
        *,
        name: str = "shop-agent",
        flags_path: Path | str | None = None,
        traces: TraceStore | None = None,
        provider: str | None = None,
        seed: int = 0,
        feature: str = "agent-service",
        run_id: str | None = None,
    ) -> None:
        if not versions:
            raise CourseError(
                "AgentService needs at least one AgentVersion.",
                hint='Pass {"v1": AgentVersion("v1")}.',
            )
        for key, version in versions.items():
            if key != version.name:
                raise ValueError(f"versions[{key!r}] is named {version.name!r}; use one name")
        self.task_set = task_set
        self.tasks = {task.id: task for task in task_set.tasks}
        self.versions = versions
        self.name = name
        self.flag = FeatureFlag(name, flags_path, versions=versions)
        _start(self.flag, next(iter(versions)), "service created")
        self.kill_switch = KillSwitch(name, flags_path)
        self.traces = traces or default_store()
        self.feature = feature
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.metrics = ServiceMetrics(self)
        self._provider, self._seed = provider, seed
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()
        self.started = time.monotonic()

    def client(self, version: AgentVersion) -> Client:
        """One client per version, shared by the request threads (tests/test_agent_service.py
        checks that concurrent sessions get the verdicts of serial ones)."""
        with self._lock:
            if version.name not in self._clients:
                self._clients[version.name] = Client(
                    self._provider,
                    version.model,
                    seed=self._seed,
                    feature=self.feature,
                    run_id=self.run_id,
                    cache=False,
                    traces=self.traces,
                )
            return self._clients[version.name]

    def handle(self, request: SessionRequest) -> tuple[int, SessionReply]:
        """One session, start to finish: (HTTP status, reply). Never raises for the agent's
        mistakes; an unknown task is a 404 (``HTTPException``)."""
        started_at, clock = utc_now(), time.perf_counter()
        session_id = request.session_id or uuid.uuid4().hex[:16]
        task = self.tasks.get(request.task_id)
        if task is None:
            self._log(
                session_id,
                404,
                "rejected",
                started_at,
                clock,
                task_id=request.task_id,
                error_message=f"unknown task {request.task_id!r}",
            )
            example = f", such as {self.task_set.tasks[0].id!r}" if self.task_set.tasks else ""
            raise HTTPException(
                404,
                detail=f"No task {request.task_id!r} in this shop (seed {self.task_set.seed}); "
                f"send a task_id of the replayed task set{example}.",
            )
        if self.kill_switch.engaged:
            self._log(session_id, 503, "killed", started_at, clock, task_id=task.id)
            return 503, SessionReply(
                session_id=session_id, status="killed", reply=FALLBACK_REPLY, version=None
            )
        version = self.versions[self.flag.variant(session_id)]
        try:
            trajectory, outcome = self._run(version, task, request.turns)
        except Exception as exc:  # a bug or an outage below the agent: logged, then a 500
            self._log(
                session_id,
                500,
                "error",
                started_at,
                clock,
                task_id=task.id,
                version=version.name,
                error_message=f"{type(exc).__name__}: {exc}",
            )
            raise
        answered = trajectory.stop_reason == StopReason.ANSWERED
        status = "answered" if answered else "stopped"
        self._log(
            session_id,
            200,
            status,
            started_at,
            clock,
            task_id=task.id,
            version=version.name,
            trajectory_id=trajectory.id,
            stop_reason=str(trajectory.stop_reason),
            success=outcome.success,
            failure=failure_kind(outcome, trajectory),
            model_turns=trajectory.model_turns,
            tool_calls=len(trajectory.tool_calls()),
            cost_usd=trajectory.cost_usd,
            latency_s=trajectory.latency_s,
        )
        return 200, SessionReply(
            session_id=session_id,
            status=status,
            reply=(trajectory.answer or STOPPED_REPLY) if answered else STOPPED_REPLY,
            version=version.name,
            stop_reason=str(trajectory.stop_reason),
            model_turns=trajectory.model_turns,
            cost_usd=trajectory.cost_usd,
            latency_s=trajectory.latency_s,
        )

    def _run(self, version: AgentVersion, task: Task, turns: list[str]):
        with self._lock:  # one SQLite connection is copied from; copies are private after
            shop = self.task_set.shop.copy()
            before = shop.copy()
        tools = shop_tools(shop)
        if version.edit_tools is not None:
            tools = version.edit_tools(tools)
        agent = Agent(
            self.client(version),
            tools,
            system=version.system,
            budget=version.budget,
            temperature=version.temperature,
            feature=self.feature,
        )
        follow_ups = list(turns[1:])
        trajectory = agent.run(
            turns[0],
            user=lambda _messages: follow_ups.pop(0) if follow_ups else None,
            seed=self._seed,
        )
        return trajectory, check(task, before, shop, trajectory)

    def _log(
        self,
        session_id: str,
        http_status: int,
        status: str,
        started_at: str,
        clock: float,
        **fields: Any,
    ) -> None:
        record = RequestRecord(
            run_id=self.run_id,
            service=self.name,
            session_id=session_id,
            http_status=http_status,
            status=status,
            wall_s=time.perf_counter() - clock,
            started_at=started_at,
            ended_at=utc_now(),
            **fields,
        )
        self.traces.write_request(record)
        self.metrics.observe(record)

    def health(self) -> dict[str, Any]:
        rollout = self.flag.state()
        return {
            "status": "killed" if self.kill_switch.engaged else "ok",
            "service": self.name,
            "stable": rollout.stable,
            "canary": rollout.canary,
            "canary_percent": rollout.percent,
            "versions": sorted(self.versions),
            "uptime_s": round(time.monotonic() - self.started, 3),
        }


class ServiceMetrics:
    """Prometheus metrics in a registry of the service's own (several services can live in one
    process, as in a notebook or a test, without their counters colliding)."""

    def __init__(self, service: AgentService) -> None:
        self.registry = CollectorRegistry()
        self.sessions = Counter(
            "agent_sessions",
            "Sessions by version and status.",
            ["version", "status"],
            registry=self.registry,
        )
        self.solved = Counter(
            "agent_sessions_solved",
            "Sessions judged solved, by version.",
            ["version"],
            registry=self.registry,
        )
        self.cost = Counter(
            "agent_cost_usd",
            "Model spend in US dollars, by version.",
            ["version"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "agent_session_latency_seconds",
            "The agent's time per session (model calls and tools), by version.",
            ["version"],
            buckets=(0.5, 1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )
        self.http = Counter(
            "agent_http_responses",
            "HTTP responses by path and status code.",
            ["path", "code"],
            registry=self.registry,
        )
        killed = Gauge(
            "agent_kill_switch_engaged", "1 while the kill switch is on.", registry=self.registry
        )
        killed.set_function(lambda: float(service.kill_switch.engaged))
        canary = Gauge(
            "agent_canary_percent",
            "Share of sessions sent to the canary version.",
            registry=self.registry,
        )
        canary.set_function(lambda: service.flag.state().percent)

    def observe(self, record: RequestRecord) -> None:
        version = record.version or "none"
        self.sessions.labels(version, record.status).inc()
        if record.success:
            self.solved.labels(version).inc()
        if record.status in ("answered", "stopped"):
            self.cost.labels(version).inc(record.cost_usd)
            self.latency.labels(version).observe(record.latency_s)

    def text(self) -> bytes:
        return generate_latest(self.registry)


def create_app(service: AgentService) -> FastAPI:
    """The HTTP face of ``service``: POST /v1/sessions, GET /health, GET /metrics."""
    app = FastAPI(title=f"{service.name} (course agent service)", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def count_responses(request: Request, call_next):
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        service.metrics.http.labels(path, str(response.status_code)).inc()
        return response

    @app.exception_handler(RequestValidationError)
    async def explain_bad_request(_request: Request, exc: RequestValidationError):
        problems = [
            f"{'.'.join(str(p) for p in error['loc'] if p != 'body') or 'body'}: {error['msg']}"
            for error in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "detail": "; ".join(problems),
                "hint": 'Send JSON like {"task_id": "T-7-001", "turns": ["Where is my order?"]}.',
                "errors": jsonable_encoder(exc.errors()),
            },
        )

    @app.post("/v1/sessions", response_model=SessionReply)
    def sessions(body: SessionRequest, response: Response) -> SessionReply:
        code, reply = service.handle(body)
        response.status_code = code
        if code == 503:
            response.headers["Retry-After"] = "60"
        return reply

    @app.get("/health")
    def health() -> dict[str, Any]:
        return service.health()

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(service.metrics.text(), media_type=CONTENT_TYPE_LATEST)

    return app


@dataclass
class RunningService:
    """A server started by ``serve``: its base URL, and ``stop()``."""

    url: str
    server: Any
    thread: threading.Thread
    log_file: Path
    stopped: bool = field(default=False)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.stopped:
            return
        self.server.should_exit = True
        self.thread.join(timeout_s)
        self.stopped = True
        if self.thread.is_alive():
            raise CourseError(
                f"The server at {self.url} did not stop within {timeout_s:g} s.",
                hint=f"Its log is {self.log_file}.",
            )


@contextmanager
def serve(
    app: FastAPI,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_file: Path | str | None = None,
    timeout_s: float = 10.0,
) -> Iterator[RunningService]:
    """Run ``app`` under uvicorn in a background thread for the block, on a free port of
    ``host`` (port 0) unless one is given; stopped cleanly after it.

    uvicorn's own logs (start-up, errors with tracebacks, one access line per request) go to
    ``log_file`` (default: service.log in the course state folder), never to the terminal: a
    notebook stays silent and the log is there when something breaks.
    """
    import uvicorn

    log_path = Path(log_file) if log_file is not None else state_dir() / "service.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP, and without it every response (headers, then body) waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    url = f"http://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        app,
        log_config=_log_config(log_path),
        lifespan="off",
        timeout_graceful_shutdown=int(timeout_s),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn {url}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise CourseError(
                f"The server at {url} did not start.", hint=f"Read its log: {log_path}."
            )
        time.sleep(0.01)
    running = RunningService(url, server, thread, log_path)
    try:
        yield running
    finally:
        running.stop(timeout_s)
        sock.close()


def _start(flag: FeatureFlag, version: str, reason: str) -> None:
    """Give a new flag its first stable version; a flag with a history keeps it."""
    try:
        flag.state()
    except CourseError:
        flag.set_rollout(version, 100, reason)


def _log_config(path: Path) -> dict[str, Any]:
    """uvicorn's loggers to one file and nowhere else (propagate off: the root logger, which a
    notebook prints to stderr, never sees them)."""
    handler = {"class": "logging.FileHandler", "filename": str(path), "formatter": "plain"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"file": handler},
        "loggers": {
            name: {"handlers": ["file"], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


__all__ = [
    "FALLBACK_REPLY",
    "STOPPED_REPLY",
    "AgentService",
    "AgentVersion",
    "KillSwitch",
    "RunningService",
    "ServiceMetrics",
    "SessionReply",
    "SessionRequest",
    "create_app",
    "serve",
]
