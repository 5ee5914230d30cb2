"""Every module 2 notebook finishes when the provider fails every call, and says why.

A learner's first real-provider run often has a wrong key: every call comes back 401. The
notebook must still run to the end (no cell raises, nothing on stderr), tell the learner what
went wrong in the provider's own words, and never print the key. The provider here is the
course's OpenAI provider pointed at a local server that rejects every request, exactly what a
wrong key looks like on the wire.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from course.notebooks import run_notebook

pytestmark = pytest.mark.slow

SOURCE = Path(__file__).resolve().parents[1] / "autograder" / "source" / "module2_evals"
NOTEBOOKS = sorted(SOURCE.glob("*.ipynb"))
KEY = "sk-test-this-key-must-never-be-printed-0123456789"


class _RejectEverything(BaseHTTPRequestHandler):
    """Answers every request the way OpenAI answers a wrong key."""

    requests = 0

    def _reject(self) -> None:
        type(self).requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps(
            {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                       "code": "invalid_api_key"}}
        ).encode()  # fmt: skip
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET = _reject  # the names http.server dispatches to

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@contextmanager
def rejecting_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RejectEverything)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            for value in output.get("data", {}).values():
                parts.append(str(value))
    return "\n".join(parts)


def test_the_server_rejects_like_a_wrong_key(monkeypatch):
    from course.errors import CourseError
    from course.llm import Client

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with rejecting_server() as url:
        monkeypatch.setenv("COURSE_BASE_URL", url)
        client = Client("openai", "sim-small", cache=False, traces=False)
        with pytest.raises(CourseError, match="401") as caught:
            client.complete("hello")
    assert KEY not in str(caught.value), "the error message carries the key"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_finishes_when_every_call_fails(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with rejecting_server() as url:
        monkeypatch.setenv("COURSE_BASE_URL", url)
        result = run_notebook(path, {"provider": "openai", "model": "sim-small"}, tmp_path / "out")
    assert result.ok, f"{path.name} did not finish: {result.error}"
    assert not result.stderr_cells, f"{path.name} wrote to stderr in cells {result.stderr_cells}"
    shown = _outputs(tmp_path / "out" / path.name)
    assert KEY not in shown and KEY[:12] not in shown, f"{path.name} printed the API key"
    assert "401" in shown or "rejected the API key" in shown, (
        f"{path.name} never told the learner why the calls failed (no 401 in any output)"
    )
