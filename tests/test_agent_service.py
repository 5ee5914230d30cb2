"""The agent service (course.agents.service), its replay and dashboard (course.agents.replay) and
the canary decision (course.evals.canary), tested from the outside: over HTTP, through the
trace store and the flag file, with bad input as well as good."""

from __future__ import annotations

import dataclasses
import socket

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from course.agents.replay import dashboard_frame, draw_sessions, plot_dashboard, replay
from course.agents.service import (
    FALLBACK_REPLY,
    AgentService,
    AgentVersion,
    create_app,
    serve,
)
from course.agents.shop import generate_tasks, run_task
from course.errors import CourseError
from course.evals.canary import canary_verdict
from course.flags import in_rollout
from course.llm import Client
from course.tracing import TraceStore

TERSE = "You help shop customers with the tools."


def terse_tools(tools):
    return [dataclasses.replace(t, description=t.name.replace("_", " ") + ".") for t in tools]


VERSIONS = {
    "v1": AgentVersion("v1"),
    "v2": AgentVersion("v2", system=TERSE, edit_tools=terse_tools, note="cheaper, worse"),
}


@pytest.fixture
def world(tmp_path):
    task_set = generate_tasks(41, 24)
    store = TraceStore(tmp_path / "traces.sqlite")
    service = AgentService(
        task_set,
        VERSIONS,
        flags_path=tmp_path / "flags.sqlite",
        traces=store,
        provider="sim",
        feature="test-service",
    )
    return task_set, store, service


def body(task, **extra):
    return {"task_id": task.id, "turns": [task.goal, *task.follow_ups], **extra}


def metrics(client) -> dict[tuple[str, tuple], float]:
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_health_names_the_versions_in_force(world):
    _, _, service = world
    response = TestClient(create_app(service)).get("/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok" and health["stable"] == "v1" and health["canary"] is None
    assert health["versions"] == ["v1", "v2"]


def test_a_session_is_answered_and_lands_in_the_request_log_beside_its_model_calls(world):
    task_set, store, service = world
    task = task_set.tasks[0]
    response = TestClient(create_app(service)).post("/v1/sessions", json=body(task))
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["version"] == "v1" and reply["status"] in ("answered", "stopped")
    assert reply["reply"].strip()
    log = store.requests(run_id=service.run_id)
    assert len(log) == 1
    row = log.iloc[0]
    assert (row["version"], row["task_id"], row["http_status"]) == ("v1", task.id, 200)
    assert row["session_id"] == reply["session_id"] and pd.notna(row["success"])
    calls = store.calls()
    mine = calls[calls["trajectory_id"] == row["trajectory_id"]]
    assert len(mine) == row["model_turns"] >= 1, "the log's trajectory id joins its model calls"
    assert mine["cost_usd"].sum() == pytest.approx(row["cost_usd"])
    assert row["latency_s"] > 0 and row["wall_s"] > 0


def test_the_verdict_matches_running_the_same_task_in_process(world):
    task_set, store, service = world
    client = TestClient(create_app(service))
    seen = [client.post("/v1/sessions", json=body(t)).json() for t in task_set.tasks[:8]]
    logged = store.requests(run_id=service.run_id)
    direct = Client("sim", seed=0, cache=False, traces=False)
    for task, reply, (_, row) in zip(task_set.tasks, seen, logged.iterrows(), strict=False):
        trajectory, outcome = run_task(direct, task_set, task, seed=0)
        assert bool(row["success"]) == outcome.success, task.id
        assert reply["model_turns"] == trajectory.model_turns, task.id


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"task_id": "T-41-001"}, "turns: Field required"),
        ({"task_id": "T-41-001", "turns": []}, "turns: List should have at least 1 item"),
        ({"task_id": "T-41-001", "turns": ["  "]}, "turn 0 is empty"),
        ({"task_id": "T-41-001", "turns": ["x" * 5000]}, "the limit is 4000"),
        ({"task_id": "", "turns": ["hi"]}, "task_id: String should have at least 1 character"),
        ({"task_id": 7, "turns": ["hi"]}, "task_id: Input should be a valid string"),
        (["not", "an", "object"], "body: Input should be a valid dictionary"),
    ],
)
def test_bad_requests_get_a_422_that_says_what_is_wrong_and_what_to_send(world, payload, words):
    _, store, service = world
    response = TestClient(create_app(service)).post("/v1/sessions", json=payload)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"], response.json()
    assert '"turns"' in response.json()["hint"]
    assert store.count() == 0, "a rejected request must not reach the model"


def test_malformed_json_and_wrong_methods_are_4xx_not_500(world):
    _, _, service = world
    client = TestClient(create_app(service))
    broken = client.post(
        "/v1/sessions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422 and "JSON decode error" in broken.json()["detail"]
    assert client.get("/v1/sessions").status_code == 405
    assert client.get("/nowhere").status_code == 404


def test_an_unknown_task_is_a_404_naming_a_valid_one_and_is_logged(world):
    task_set, store, service = world
    response = TestClient(create_app(service)).post(
        "/v1/sessions", json={"task_id": "T-99-999", "turns": ["hello"]}
    )
    assert response.status_code == 404
    assert "T-99-999" in response.json()["detail"]
    assert task_set.tasks[0].id in response.json()["detail"]
    log = store.requests()
    assert list(log["status"]) == ["rejected"] and list(log["http_status"]) == [404]


def test_the_kill_switch_answers_with_a_fallback_and_503_and_calls_no_model(world):
    task_set, store, service = world
    client = TestClient(create_app(service))
    service.kill_switch.engage("drill")
    response = client.post("/v1/sessions", json=body(task_set.tasks[1]))
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    reply = response.json()
    assert reply["status"] == "killed" and reply["reply"] == FALLBACK_REPLY
    assert reply["version"] is None
    assert store.count() == 0, "no model call while killed"
    assert client.get("/health").json()["status"] == "killed"
    assert metrics(client)[("agent_kill_switch_engaged", ())] == 1.0
    service.kill_switch.release("drill over")
    assert client.post("/v1/sessions", json=body(task_set.tasks[1])).status_code == 200
    assert metrics(client)[("agent_kill_switch_engaged", ())] == 0.0
    log = store.requests()
    assert list(log["status"]) == ["killed", "answered"] or list(log["status"]) == [
        "killed",
        "stopped",
    ]
    assert list(log["http_status"]) == [503, 200]
    reasons = [change.reason for change in service.kill_switch.flag.history()]
    assert reasons[-2:] == ["drill", "drill over"], "every flip is audited with its reason"


def test_the_flag_sends_a_sticky_canary_share_and_rollback_ends_it(world):
    task_set, _, service = world
    client = TestClient(create_app(service))
    service.flag.set_rollout("v2", 50, "canary")
    ids = [f"session-{i}" for i in range(12)]
    first = {
        sid: client.post("/v1/sessions", json=body(t, session_id=sid)).json()["version"]
        for sid, t in zip(ids, task_set.tasks, strict=False)
    }
    expected = {sid: "v2" if in_rollout(sid, 50, salt=service.name) else "v1" for sid in ids}
    assert first == expected
    assert set(first.values()) == {"v1", "v2"}, "12 sessions at 50% should reach both versions"
    again = client.post("/v1/sessions", json=body(task_set.tasks[0], session_id=ids[0]))
    assert again.json()["version"] == first[ids[0]], "the same session gets the same version"
    assert metrics(client)[("agent_canary_percent", ())] == 50.0
    service.flag.rollback("canary worse")
    after = [
        client.post("/v1/sessions", json=body(t, session_id=sid)).json()["version"]
        for sid, t in zip(ids, task_set.tasks, strict=False)
    ]
    assert set(after) == {"v1"}
    with pytest.raises(ValueError, match="Unknown version 'v3'"):
        service.flag.set_rollout("v3", 10)


def test_metrics_agree_with_the_request_log(world):
    task_set, store, service = world
    client = TestClient(create_app(service))
    service.flag.set_rollout("v2", 50, "canary")
    for task in task_set.tasks[:10]:
        client.post("/v1/sessions", json=body(task))
    client.post("/v1/sessions", json={"task_id": "nope", "turns": ["hi"]})
    scraped = metrics(client)
    log = store.requests()
    served = log[log["status"].isin(["answered", "stopped"])]
    for version, group in served.groupby("version"):
        counted = sum(
            value
            for (name, labels), value in scraped.items()
            if name == "agent_sessions_total" and ("version", version) in labels
        )
        assert counted == len(group)
        assert scraped[("agent_cost_usd_total", (("version", version),))] == pytest.approx(
            group["cost_usd"].sum()
        )
        assert scraped[("agent_session_latency_seconds_count", (("version", version),))] == len(
            group
        )
    assert scraped[("agent_http_responses_total", (("code", "404"), ("path", "/v1/sessions")))]


def test_a_crash_below_the_agent_is_a_logged_500(world, tmp_path):
    task_set, store, _ = world

    def broken(_tools):
        raise RuntimeError("tool registry unavailable")

    service = AgentService(
        task_set,
        {"v9": AgentVersion("v9", edit_tools=broken)},
        name="broken",
        flags_path=tmp_path / "other-flags.sqlite",
        traces=store,
        provider="sim",
    )
    response = TestClient(create_app(service), raise_server_exceptions=False).post(
        "/v1/sessions", json=body(task_set.tasks[0])
    )
    assert response.status_code == 500
    row = store.requests(service="broken").iloc[0]
    assert row["status"] == "error" and "tool registry unavailable" in row["error_message"]


def test_the_service_refuses_a_version_table_it_cannot_serve(tmp_path):
    task_set = generate_tasks(1, 2)
    with pytest.raises(CourseError, match="at least one AgentVersion"):
        AgentService(task_set, {}, flags_path=tmp_path / "f.sqlite")
    with pytest.raises(ValueError, match="named 'v2'"):
        AgentService(task_set, {"v1": AgentVersion("v2")}, flags_path=tmp_path / "f.sqlite")


def test_under_uvicorn_a_concurrent_replay_gives_the_verdicts_of_a_serial_one(
    world, tmp_path, capfd
):
    task_set, store, service = world
    sessions = draw_sessions(task_set, 16, seed=3)
    with serve(create_app(service), log_file=tmp_path / "service.log") as running:
        assert running.url.startswith("http://127.0.0.1:")
        serial = replay(running.url, sessions, concurrency=1)
        first_run = service.run_id
        service.run_id = "second"
        parallel = replay(running.url, sessions, concurrency=4)
        assert httpx.get(f"{running.url}/health").json()["status"] == "ok"
    assert (serial["http_status"] == 200).all() and (parallel["http_status"] == 200).all()
    one = store.requests(run_id=first_run).set_index("session_id")["success"]
    four = store.requests(run_id="second").set_index("session_id")["success"]
    assert one.sort_index().equals(four.sort_index()), "concurrency changed a verdict"
    host, port = running.url.removeprefix("http://").split(":")
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=1):
        pass  # the server stopped and released the port
    out, err = capfd.readouterr()
    assert err == "" and out == "", "uvicorn must log to its file, not the terminal"
    assert "POST /v1/sessions" in (tmp_path / "service.log").read_text()


def test_a_replay_against_a_server_that_is_down_reports_it_instead_of_raising(world):
    task_set, _, _ = world
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen = replay(f"http://127.0.0.1:{port}", draw_sessions(task_set, 2), timeout_s=2)
    assert list(seen["http_status"]) == [0, 0]
    assert set(seen["status"]) == {"unreachable"} and seen["error"].str.contains("Connect").all()


def test_draw_sessions_is_reproducible_and_checks_its_size():
    task_set = generate_tasks(5, 10)
    a, b = draw_sessions(task_set, seed=1), draw_sessions(task_set, seed=1)
    assert a == b and len(a) == 10 and len({s.session_id for s in a}) == 10
    assert [s.task_id for s in a] != [t.id for t in task_set.tasks], "arrival order is shuffled"
    assert draw_sessions(task_set, seed=2) != a
    with pytest.raises(ValueError, match="between 1 and 10"):
        draw_sessions(task_set, 11)


def test_the_dashboard_windows_a_log_with_known_numbers():
    start = pd.Timestamp("2026-01-01", tz="UTC")
    rows = []
    for i in range(20):  # window 0: v1 only, all solved; window 1: half v2, never solved
        version = "v2" if i >= 10 and i % 2 else "v1"
        rows.append(
            {
                "started_at": start + pd.Timedelta(seconds=i),
                "ended_at": start + pd.Timedelta(seconds=i + 0.5),
                "status": "answered" if i != 12 else "stopped",
                "version": version,
                "success": version == "v1" and i != 12,
                "cost_usd": 0.002 if version == "v1" else 0.001,
                "latency_s": float(i),
            }
        )
    rows.append(dict(rows[-1], status="killed", version=None, success=None, cost_usd=0.0))
    rows.append(dict(rows[-1], status="rejected"))
    log = pd.DataFrame(rows)
    log["success"] = log["success"].astype("boolean")
    board = dashboard_frame(log, window_s=10)
    assert list(board.index) == [0.0, 10.0]
    assert list(board["sessions"]) == [10, 11], "rejected requests are not sessions"
    assert list(board["n_v1"]) == [10, 5] and list(board["n_v2"]) == [0, 5]
    assert list(board["n_killed"]) == [0, 1]
    assert board.loc[0.0, "solve_v1"] == 1.0 and board.loc[10.0, "solve_v2"] == 0.0
    assert board.loc[10.0, "solve_v1"] == pytest.approx(4 / 5)
    assert np.isnan(board.loc[0.0, "solve_v2"])
    assert board.loc[0.0, "p50_latency_s"] == pytest.approx(4.5)
    assert board.loc[10.0, "error_share"] == pytest.approx(0.1)
    assert board.loc[10.0, "cost_per_session_usd"] == pytest.approx(0.0015)
    with pytest.raises(ValueError, match="no sessions yet"):
        dashboard_frame(log[log["status"] == "rejected"])
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_dashboard(board, [(9.5, "canary"), (9.7, "rollback")])
    assert len(fig.axes) == 6
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["canary", "rollback"], labels
    matplotlib.pyplot.close(fig)


def test_canary_verdicts_on_data_whose_answer_is_known():
    rng = np.random.default_rng(7)
    stable = rng.random(200) < 0.5
    assert canary_verdict(stable, rng.random(200) < 0.2).decision == "roll back"
    same = rng.random(4000) < 0.5
    twin = rng.permutation(same)  # the same rate in other sessions: a difference of exactly 0
    promoted = canary_verdict(same, twin, margin=0.05)
    assert promoted.decision == "promote", promoted.reason
    assert canary_verdict(same, twin, margin=0.0).decision == "keep watching"
    few = canary_verdict(stable[:10], stable[:10] * 0)
    assert few.decision == "keep watching" and "too few sessions" in few.reason
    costly = canary_verdict(
        np.full(50, 1.0) + rng.normal(0, 0.1, 50),
        np.full(50, 1.5) + rng.normal(0, 0.1, 50),
        metric="cost",
        higher_is_better=False,
        margin=0.1,
    )
    assert costly.decision == "roll back" and costly.comparison.difference > 0
    cheaper = canary_verdict(np.full(50, 1.5), np.full(50, 1.0), higher_is_better=False, margin=0.1)
    assert cheaper.decision == "promote"
    with_nan = canary_verdict(np.r_[stable, np.nan], np.r_[stable, np.nan])
    assert with_nan.n_stable == 200 and with_nan.comparison.difference == 0
    assert with_nan.decision == "keep watching", "200 sessions cannot bound the loss to 0.05"
    with pytest.raises(ValueError, match="0 or more"):
        canary_verdict(stable, stable, margin=-0.1)
    with pytest.raises(ValueError, match="no canary sessions"):
        canary_verdict(stable, [np.nan])


def test_the_request_log_refuses_unknown_statuses_and_redacts_errors(tmp_path, monkeypatch):
    from course.tracing import RequestRecord

    store = TraceStore(tmp_path / "t.sqlite")
    with pytest.raises(ValueError, match="Unknown request status 'weird'"):
        store.write_request(RequestRecord("r", "svc", "s", 200, "weird"))
    monkeypatch.setenv("SHOP_API_KEY", "sk-test-abcdefghijklmnop1234")
    store.write_request(
        RequestRecord(
            "r", "svc", "s", 500, "error", error_message="auth sk-test-abcdefghijklmnop1234"
        )
    )
    logged = store.requests(run_id="r").iloc[0]
    assert "sk-test-abcdefghijklmnop1234" not in logged["error_message"]
    assert pd.isna(logged["success"]) and logged["http_status"] == 500
