"""The HTTP server, driven by the official openai SDK exactly as a notebook would drive it."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from pydantic import BaseModel

from course.errors import ConfigurationError
from course.sim import FaultPlan
from course.sim.server import SimServer, check_host, serve_in_thread, start_server

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "city name"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def client(server: SimServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sim", max_retries=0, timeout=5)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_plain_completion_with_usage_and_headers(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="sim-small", messages=user("What is a p95 latency?")
    )
    completion = raw.parse()
    message = completion.choices[0].message
    assert message.content.startswith("[sim-small] I am the course simulator.")
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "sim-small"
    usage = completion.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert raw.headers["x-sim-skill"] == "plain"
    assert raw.headers["x-request-id"].startswith("sim-")
    assert int(raw.headers["x-sim-latency-ms"]) > 0


def test_same_request_same_answer_over_http(client: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "Labels: billing, shipping, other"},
        {"role": "user", "content": "parcel still not here"},
    ]
    answers = {
        client.chat.completions.create(model="sim-large", messages=messages, seed=4)
        .choices[0]
        .message.content
        for _ in range(3)
    }
    assert len(answers) == 1 and answers <= {"billing", "shipping", "other"}


class Contact(BaseModel):
    name: str
    email: str


def test_json_schema_through_sdk_parse(client: openai.OpenAI) -> None:
    completion = client.chat.completions.parse(
        model="sim-large",
        messages=user("Hello, I'm Kim Lee and my address is kim.lee@example.org"),
        response_format=Contact,
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Contact)
    assert parsed.email == "kim.lee@example.org"


def test_tool_call_through_sdk(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sim-small", messages=user("What's the weather in Oslo?"), tools=TOOLS
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)


def test_tool_choice_none_answers_in_text(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sim-small", messages=user("Weather in Oslo?"), tools=TOOLS, tool_choice="none"
    )
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].message.content


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert ids == ["sim-embed", "sim-large", "sim-small"]  # embeddings models are listed too
    assert client.models.retrieve("sim-small").owned_by == "course-sim"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o-mini")


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="no-such-model", messages=user("hi"))
    assert info.value.code == "model_not_found"
    assert "sim-small" in info.value.message


def test_max_tokens_reports_length(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sim-small", messages=user("Describe circuit breakers in depth"), max_tokens=4
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens <= 4


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"messages": [{"role": "user", "content": "hi"}]}', "'model' is required"),
        (b'{"model": "sim-small", "messages": []}', "non-empty list"),
        (b'{"model": "sim-small", "messages": [{"role": "robot", "content": "x"}]}', "role"),
        (b'{"model": "sim-small", "stream": true, "messages": [{"role": "user"}]}', "stream"),
        (b'{"model": "sim-small", "n": 2, "messages": [{"role": "user"}]}', "n=1"),
        (b'{"model": "sim-small", "temperature": 5, "messages": [{"role": "user"}]}', "between"),
    ],
)
def test_bad_bodies_are_400_with_a_reason(server: SimServer, body: bytes, fragment: str) -> None:
    response = httpx.post(
        server.base_url + "/chat/completions",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_sdk_bad_request_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="sim-small", messages=user("x"), stream=True)


def test_keep_alive_connection_is_reused(server: SimServer) -> None:
    with httpx.Client(base_url=server.base_url) as http:
        body = {"model": "sim-small", "messages": user("one")}
        first = http.post("/chat/completions", json=body)
        second = http.post("/chat/completions", json=body)
        assert first.status_code == second.status_code == 200
        assert first.headers["content-length"] == str(len(first.content))
        assert first.http_version == "HTTP/1.1"
        assert "close" not in first.headers.get("connection", "")


# --- faults over HTTP --------------------------------------------------------------------------


def test_rate_limit_is_429_with_retry_after() -> None:
    plan = FaultPlan(script=["rate_limit"], retry_after_s=3)
    with serve_in_thread(faults=plan) as running:
        sdk = openai.OpenAI(base_url=running.base_url, api_key="sim", max_retries=0)
        with pytest.raises(openai.RateLimitError) as info:
            sdk.chat.completions.create(model="sim-small", messages=user("hi"))
        assert info.value.response.headers["retry-after"] == "3"
        assert info.value.code == "rate_limit_exceeded"
        # The script is used up: the next call succeeds.
        assert sdk.chat.completions.create(model="sim-small", messages=user("hi")).choices


def test_server_error_is_internal_server_error() -> None:
    with serve_in_thread(faults=FaultPlan(script=["server_error"])) as running:
        sdk = openai.OpenAI(base_url=running.base_url, api_key="sim", max_retries=0)
        with pytest.raises(openai.InternalServerError) as info:
            sdk.chat.completions.create(model="sim-small", messages=user("hi"))
        assert info.value.status_code in (500, 502, 503)


def test_timeout_hangs_until_the_client_gives_up() -> None:
    with serve_in_thread(faults=FaultPlan(script=["timeout"]), hang_s=1.0) as running:
        sdk = openai.OpenAI(base_url=running.base_url, api_key="sim", max_retries=0, timeout=0.2)
        started = time.perf_counter()
        with pytest.raises(openai.APITimeoutError):
            sdk.chat.completions.create(model="sim-small", messages=user("hi"))
        assert 0.15 < time.perf_counter() - started < 1.0


def test_timeout_answers_504_to_a_patient_client() -> None:
    with serve_in_thread(faults=FaultPlan(script=["timeout"]), hang_s=0.2) as running:
        response = httpx.post(
            running.base_url + "/chat/completions",
            json={"model": "sim-small", "messages": user("hi")},
            timeout=5,
        )
    assert response.status_code == 504


def test_content_faults_arrive_as_200_with_a_header() -> None:
    with serve_in_thread(faults=FaultPlan(script=["refusal", "truncation"])) as running:
        sdk = openai.OpenAI(base_url=running.base_url, api_key="sim", max_retries=0)
        raw = sdk.chat.completions.with_raw_response.create(
            model="sim-small", messages=user("tell me about queues")
        )
        refused = raw.parse().choices[0].message
        cut = sdk.chat.completions.create(model="sim-small", messages=user("tell me about queues"))
    assert raw.headers["x-sim-fault"] == "refusal"
    assert refused.content is None and refused.refusal
    assert cut.choices[0].finish_reason == "length"


def test_stop_is_prompt_even_with_a_request_hanging() -> None:
    running = start_server(faults=FaultPlan(script=["timeout"]), hang_s=30.0)
    sdk = openai.OpenAI(base_url=running.base_url, api_key="sim", max_retries=0, timeout=0.1)
    with pytest.raises(openai.APITimeoutError):
        sdk.chat.completions.create(model="sim-small", messages=user("hi"))
    started = time.perf_counter()
    running.stop()
    assert time.perf_counter() - started < 2.0


# --- safety and logging ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ConfigurationError, match="Refusing"):
        check_host(host)
    check_host(host, allow_remote=True)  # an explicit opt-in is allowed


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_hosts_are_allowed(host: str) -> None:
    check_host(host)


def test_quiet_by_default_and_verbose_never_logs_the_key(capfd: pytest.CaptureFixture) -> None:
    with serve_in_thread() as quiet:
        openai.OpenAI(base_url=quiet.base_url, api_key="sk-secret-123", max_retries=0).models.list()
    assert capfd.readouterr().err == ""
    with serve_in_thread(verbose=True) as loud:
        sdk = openai.OpenAI(base_url=loud.base_url, api_key="sk-secret-123", max_retries=0)
        sdk.chat.completions.create(model="sim-small", messages=user("hi"))
    err = capfd.readouterr().err
    assert "POST /v1/chat/completions 200" in err
    assert "sk-secret-123" not in err and "Bearer" not in err


# --- command line ------------------------------------------------------------------------------


def test_cli_serves_on_the_port_it_prints() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "course.sim", "serve", "--port", "0", "--script", "rate_limit"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base_url = re.search(r"http://\S+/v1", line).group(0)
        sdk = openai.OpenAI(base_url=base_url, api_key="sim", max_retries=0)
        with pytest.raises(openai.RateLimitError):
            sdk.chat.completions.create(model="sim-small", messages=user("hi"))
        assert sdk.chat.completions.create(model="sim-small", messages=user("hi")).choices
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--faults", "explode=0.1"], "valid kinds: rate_limit"),
        (["--host", "0.0.0.0"], "Refusing"),
    ],
)
def test_cli_rejects_bad_options(args: list[str], fragment: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "course.sim", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert fragment in done.stderr


def test_bad_content_length_gets_a_400_not_a_dropped_socket(server: SimServer) -> None:
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n"
        b"Content-Type: application/json\r\n\r\n{}"
    )
    with socket.create_connection((server.host, server.port), timeout=5) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(4096):  # the server closes the connection after answering
            chunks.append(chunk)
    reply = b"".join(chunks).decode()
    assert reply.startswith("HTTP/1.1 400")
    assert "Content-Length is not a number" in reply


def test_a_simulator_bug_is_a_500_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_in_thread() as running:

        def broken(request: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(running.simulator, "complete", broken)
        sdk = openai.OpenAI(base_url=running.base_url, api_key="sim", max_retries=0)
        with pytest.raises(openai.InternalServerError) as info:
            sdk.chat.completions.create(model="sim-small", messages=user("hi"))
    assert "RuntimeError: boom" in info.value.message
