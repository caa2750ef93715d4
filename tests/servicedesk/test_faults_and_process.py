"""Injected faults, rate limiting, sim control off, restart persistence and bad config."""

from __future__ import annotations

import subprocess
import sys

from launcher.processes import PROJECT_ROOT

ALEX = "sk-nimbus-demo"
TICKET = {
    "provider": "nimbus-telecom",
    "category": "billing",
    "summary": "Double charge",
    "description": "",
    "severity": "low",
    "on_behalf_of": {"name": "Alex Morgan"},
}


def test_error_rate_one_fails_every_call_and_changes_nothing(desk):
    status, _, faults = desk.post("/_sim/faults", {"error_rate": 1.0, "seed": 7})
    assert status == 200 and faults["error_rate"] == 1.0
    for _ in range(3):
        status, _, body = desk.post(
            "/v1/tickets", TICKET, key=ALEX, headers={"Idempotency-Key": "k1"}
        )
        assert status == 503 and body["error"]["code"] == "injected_error"
    state = desk.state()
    assert state["tickets"] == [] and state["idempotency_records"] == 0
    # /_sim and /health are never faulted.
    assert desk.get("/health")[0] == 200
    status, _, _ = desk.post("/_sim/faults", {})
    assert status == 200 and desk.get("/_sim/faults")[2]["active"] is False
    status, _, body = desk.post("/v1/tickets", TICKET, key=ALEX, headers={"Idempotency-Key": "k1"})
    assert status == 201


def test_injected_rate_limit_and_timeout(desk):
    desk.post("/_sim/faults", {"rate_limit_rate": 1.0})
    status, headers, body = desk.get("/v1/tickets", key=ALEX)
    assert status == 429 and headers["retry-after"] == "1"
    assert body["error"]["code"] == "rate_limited"
    desk.post("/_sim/faults", {"timeout_rate": 1.0, "timeout_s": 0.2})
    status, _, body = desk.post("/v1/tickets", TICKET, key=ALEX)
    assert status == 504 and body["error"]["code"] == "injected_timeout"
    assert desk.state()["tickets"] == []
    desk.reset()
    assert desk.get("/v1/tickets", key=ALEX)[0] == 200


def test_fault_validation(desk):
    for payload, field in (
        ({"error_rate": 1.5}, "error_rate"),
        ({"timeout_rate": -0.1}, "timeout_rate"),
        ({"latency_ms": [400, 50]}, "latency_ms"),
    ):
        status, _, body = desk.post("/_sim/faults", payload)
        assert status == 422 and body["error"]["details"]["fields"][0]["field"] == field


def test_rate_limit_changeable_at_runtime(desk):
    assert desk.post("/_sim/rate-limit", {"rate": 2})[0] == 200
    answers = [desk.get("/v1/tickets", key=ALEX) for _ in range(10)]
    limited = [a for a in answers if a[0] == 429]
    assert limited, [a[0] for a in answers]
    status, headers, body = limited[0]
    assert int(headers["retry-after"]) >= 1 and body["error"]["code"] == "rate_limited"
    # Another account has its own bucket.
    assert desk.get("/v1/tickets", key="sk-nimbus-sam")[0] == 200


def test_desk_without_sim_control_and_with_low_rate_limit(desk_factory):
    other = desk_factory(env={"SERVICE_DESK_SIM_CONTROL": "0", "SERVICE_DESK_RATE_LIMIT": "3"})
    for method, path in (
        ("GET", "/_sim/state"),
        ("POST", "/_sim/reset"),
        ("POST", "/_sim/advance"),
    ):
        status, _, body = other.request(method, path, json={"seconds": 5})
        assert status == 404 and body["error"]["code"] == "not_found"
    answers = [other.get("/v1/providers", key=ALEX) for _ in range(10)]
    statuses = [a[0] for a in answers]
    assert 200 in statuses and 429 in statuses
    status, headers, body = next(a for a in answers if a[0] == 429)
    assert headers["retry-after"].isdigit() and body["error"]["code"] == "rate_limited"


def test_state_survives_restart(desk_factory):
    first = desk_factory()
    status, _, ticket = first.post("/v1/tickets", TICKET, key=ALEX)
    assert status == 201
    first.advance(20 * 60)
    before = first.state()["now"]
    first.restart()
    status, _, again = first.get(f"/v1/tickets/{ticket['id']}", key=ALEX)
    assert status == 200 and again["status"] == "in_progress"
    assert first.state()["now"] >= before >= "2026-11-23T09:20:00Z"
    # Scheduled work survived too: the ticket still resolves.
    first.advance(2 * 3600)
    assert first.get(f"/v1/tickets/{ticket['id']}", key=ALEX)[2]["status"] == "resolved"
    first.stop()


def run_with_env(env_overrides):
    env = {"PATH": "/usr/bin:/bin", **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "servicedesk"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_bad_config_exits_with_a_clear_message():
    for name, value in (
        ("SERVICE_DESK_PORT", "eighty"),
        ("SERVICE_DESK_TIME_SCALE", "-1"),
        ("SERVICE_DESK_START_TIME", "tomorrow"),
    ):
        result = run_with_env({name: value})
        assert result.returncode == 2, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0], result.stderr
        assert "Traceback" not in result.stderr
