"""An OpenAI-compatible HTTP server for the simulator, built on the standard library.

With it, the official openai SDK (or curl, or any OpenAI-compatible client) runs unchanged on
localhost - chat completions, embeddings, the model list - and the simulator's faults become
real HTTP: 429 with Retry-After, 5xx, and requests that hang until the client's timeout fires.
That is what the hardening lessons need: retry and timeout code exercised over a real socket,
not mocked.

    with serve_in_thread() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sim", max_retries=0)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from course.errors import ConfigurationError
from course.sim.engine import SimRequest, SimResult, Simulator
from course.sim.faults import FaultPlan, SimRateLimit, SimServerError, SimTimeout
from course.sim.wire import (
    BadRequest,
    EmbeddingRequest,
    chat_request,
    completion_body,
    embedding_body,
    embedding_request,
    error_body,
)

MODEL_CREATED = 1_700_000_000  # a fixed timestamp keeps /v1/models output reproducible


def _retry_after_headers(seconds: float) -> dict[str, str]:
    """Retry-After in seconds, and OpenAI's retry-after-ms, which its SDK reads first."""
    return {"Retry-After": f"{seconds:g}", "retry-after-ms": f"{seconds * 1000:.0f}"}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator, verbose: bool) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.simulator = simulator
        self.verbose = verbose
        self.stopping = threading.Event()
        self.completions_received = 0  # every POST /v1/chat/completions, faulted or not
        self._count_lock = threading.Lock()

    def count_completion(self) -> None:
        with self._count_lock:
            self.completions_received += 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client hanging up mid-answer is routine here (that is what timeouts do)."""
        if self.verbose and not isinstance(sys.exc_info()[1], ConnectionError):
            traceback.print_exc(file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx (inside the openai SDK) expects
    # Headers and body go out in separate writes; with Nagle's algorithm on, the second write
    # waits for the client's delayed ACK (~40 ms) and caps a keep-alive client at ~25 calls/s.
    disable_nagle_algorithm = True
    server_version = "course-sim/1.0"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
        """Silence the default per-request log; notebooks must not get stray stderr."""

    def _log(self, status: int, started: float, note: str = "") -> None:
        # Method, path, status and timing only: headers (and so Authorization) are never logged.
        if self.server.verbose:
            elapsed_ms = (time.perf_counter() - started) * 1000
            sys.stderr.write(
                f"{self.command} {urlsplit(self.path).path} {status} {elapsed_ms:.0f}ms {note}\n"
            )

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    def _error(self, status: int, message: str, kind: str, code: str | None, **headers: str) -> int:
        self._send(status, error_body(message, kind, code), headers)
        return status

    def _read_body(self) -> bytes | None:
        """The body, or None if Content-Length is unusable (the connection is then closed)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def do_GET(self) -> None:
        started = time.perf_counter()
        path = urlsplit(self.path).path.rstrip("/")
        models = self.server.simulator.served_model_ids()
        if path == "/v1/models":
            data = [_model_object(m) for m in models]
            self._send(200, {"object": "list", "data": data})
            status = 200
        elif path.startswith("/v1/models/"):
            model = path.removeprefix("/v1/models/")
            if model in models:
                self._send(200, _model_object(model))
                status = 200
            else:
                status = self._not_found_model(model, models)
        elif path == "/health":
            self._send(200, {"status": "ok"})
            status = 200
        else:
            status = self._error(404, f"No route GET {path}.", "invalid_request_error", "not_found")
        self._log(status, started)

    def do_POST(self) -> None:
        started = time.perf_counter()
        path = urlsplit(self.path).path.rstrip("/")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            status = self._error(
                400,
                "Chunked request bodies are not supported; send Content-Length.",
                "invalid_request_error",
                "invalid_body",
            )
            return self._log(status, started)
        raw = self._read_body()
        if raw is None:
            status = self._error(
                400, "Content-Length is not a number.", "invalid_request_error", "invalid_body"
            )
            return self._log(status, started)
        if path == "/v1/embeddings":
            try:
                status, note = self._embed(embedding_request(raw))
            except BadRequest as exc:
                status, note = (
                    self._error(400, str(exc), "invalid_request_error", "invalid_request"),
                    "",
                )
            return self._log(status, started, note)
        if path != "/v1/chat/completions":
            status = self._error(
                404, f"No route POST {path}.", "invalid_request_error", "not_found"
            )
            return self._log(status, started)
        self.server.count_completion()
        try:
            request = chat_request(raw)
        except BadRequest as exc:
            status = self._error(400, str(exc), "invalid_request_error", "invalid_request")
            return self._log(status, started)
        status, note = self._complete(request)
        self._log(status, started, note)
        return None

    def _not_found_model(self, model: str, models: list[str]) -> int:
        return self._error(
            404,
            f"The model {model!r} does not exist on the course simulator. "
            f"It serves: {', '.join(models)}.",
            "invalid_request_error",
            "model_not_found",
        )

    def _wrong_model(self, model: str, error: ConfigurationError) -> int:
        """404 for an unknown model; for a known one of the wrong kind, 404 saying so (as
        OpenAI answers "This is not a chat model" on /v1/chat/completions)."""
        models = self.server.simulator.served_model_ids()
        if model not in models:
            return self._not_found_model(model, models)
        return self._error(404, str(error), "invalid_request_error", "model_not_supported")

    def _embed(self, request: EmbeddingRequest) -> tuple[int, str]:
        """POST /v1/embeddings: protocol faults apply as for chat; content faults do not."""
        try:
            result = self.server.simulator.embed(request.model, request.inputs, request.dimensions)
        except ConfigurationError as exc:
            return self._wrong_model(request.model, exc), ""
        except (SimRateLimit, SimServerError, SimTimeout) as exc:
            return self._protocol_fault(exc)
        except ValueError as exc:  # e.g. more `dimensions` than the model has
            return self._error(400, str(exc), "invalid_request_error", "invalid_value"), ""
        except Exception as exc:  # a simulator bug must still get an answer
            message = f"The simulator failed on this request ({type(exc).__name__}: {exc})."
            return self._error(500, message, "server_error", "internal_error"), "error"
        headers = {
            "x-request-id": result.request_id,
            "x-sim-latency-ms": f"{result.latency_s * 1000:.0f}",
        }
        self._send(200, embedding_body(request, result), headers)
        return 200, f"embeddings={len(result.vectors)}"

    def _protocol_fault(self, exc: Exception) -> tuple[int, str]:
        """The HTTP answer to a 429, 5xx or timeout fault."""
        simulator = self.server.simulator
        if isinstance(exc, SimRateLimit):
            retry = _retry_after_headers(exc.retry_after_s)
            status = self._error(429, str(exc), "rate_limit_error", "rate_limit_exceeded", **retry)
            return status, "fault=rate_limit"
        if isinstance(exc, SimServerError):
            retry = {} if exc.retry_after_s is None else _retry_after_headers(exc.retry_after_s)
            status = self._error(exc.status, str(exc), "server_error", "server_error", **retry)
            return status, "fault=server_error"
        assert isinstance(exc, SimTimeout)
        if not simulator.real_time:  # a real-time simulator already slept through the hang
            self.server.stopping.wait(exc.hang_s)
        return self._error(504, str(exc), "timeout", "timeout"), "fault=timeout"

    def _complete(self, request: SimRequest) -> tuple[int, str]:
        simulator = self.server.simulator
        try:
            result = simulator.complete(request)
        except ConfigurationError as exc:
            return self._wrong_model(request.model, exc), ""
        except (SimRateLimit, SimServerError, SimTimeout) as exc:
            return self._protocol_fault(exc)
        except ValueError as exc:
            return self._error(400, str(exc), "invalid_request_error", "invalid_request"), ""
        except Exception as exc:  # a simulator bug must still get an answer, not a dropped socket
            if self.server.verbose:
                traceback.print_exc(file=sys.stderr)
            message = f"The simulator failed on this request ({type(exc).__name__}: {exc})."
            return self._error(500, message, "server_error", "internal_error"), "error"
        self._send(200, completion_body(request, result), _result_headers(result))
        return 200, f"skill={result.skill_tag}" + (f" fault={result.fault}" if result.fault else "")


def _model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "course-sim"}


def _result_headers(result: SimResult) -> dict[str, str]:
    headers = {
        "x-request-id": result.request_id,
        "x-sim-skill": result.skill_tag,
        "x-sim-latency-ms": f"{result.latency_s * 1000:.0f}",
    }
    if result.fault:
        headers["x-sim-fault"] = result.fault
    return headers


def base_url(host: str, port: int) -> str:
    """The OpenAI-style base URL of a server on host:port (IPv6 hosts in brackets)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def check_host(host: str, allow_remote: bool = False) -> None:
    """Refuse non-loopback addresses: the server has no authentication at all."""
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigurationError(
            f"Refusing to listen on {host!r}: the simulator server has no authentication.",
            hint="Use 127.0.0.1 (the default). Pass --allow-remote only on a network you trust.",
        )


class SimServer:
    """A simulator server running in a background thread; stop() it, or use it in `with`."""

    def __init__(self, httpd: _HTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self.host, self.port = httpd.server_address[:2]

    @property
    def base_url(self) -> str:
        """What to give an OpenAI client as base_url, e.g. http://127.0.0.1:8765/v1."""
        return base_url(str(self.host), int(self.port))

    @property
    def simulator(self) -> Simulator:
        return self._httpd.simulator

    @property
    def completions_received(self) -> int:
        """How many chat-completion requests arrived: lets a test reconcile client-side logs."""
        return self._httpd.completions_received

    def stop(self) -> None:
        """Stop accepting requests, wake any request hanging in a timeout fault, close the port."""
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(
    faults: FaultPlan | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    real_time: bool = False,
    hang_s: float | None = None,
    allow_remote: bool = False,
    verbose: bool = False,
) -> _HTTPServer:
    """A bound, not yet serving, HTTP server. hang_s (if given) overrides the plan's hang_s."""
    check_host(host, allow_remote)
    if faults is not None and hang_s is not None:
        faults = dataclasses.replace(faults, hang_s=hang_s)
    simulator = Simulator(faults=faults, real_time=real_time)
    return _HTTPServer((host, port), simulator, verbose)


def start_server(
    faults: FaultPlan | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    real_time: bool = False,
    hang_s: float | None = None,
    allow_remote: bool = False,
    verbose: bool = False,
) -> SimServer:
    """Start a server in a daemon thread (port 0 picks a free port); call .stop() when done."""
    httpd = make_server(
        faults,
        host=host,
        port=port,
        real_time=real_time,
        hang_s=hang_s,
        allow_remote=allow_remote,
        verbose=verbose,
    )
    # A short poll interval makes stop() return in ~50 ms rather than the default 0.5 s.
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="course-sim", daemon=True
    )
    thread.start()
    return SimServer(httpd, thread)


@contextmanager
def serve_in_thread(
    faults: FaultPlan | None = None,
    port: int = 0,
    real_time: bool = False,
    hang_s: float | None = None,
    **options: Any,
) -> Iterator[SimServer]:
    """`with serve_in_thread() as server:` a running server for the block, stopped after it."""
    server = start_server(faults, port=port, real_time=real_time, hang_s=hang_s, **options)
    try:
        yield server
    finally:
        server.stop()
