"""Webhook subscriptions and signed deliveries, with retries, to a receiver run by the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from launcher.processes import free_port
from servicedesk.signing import sign, verify

ALEX = "sk-nimbus-demo"
SAM = "sk-nimbus-sam"
SECRET = "whsec-0123456789abcdef"
TICKET = {
    "provider": "nimbus-telecom",
    "category": "billing",
    "summary": "Double charge",
    "description": "Charged twice in November.",
    "severity": "normal",
    "on_behalf_of": {"name": "Alex Morgan"},
}


class Receiver:
    """A local HTTP server recording every POST; fails the first `fail_first` requests."""

    def __init__(self, port: int | None = None) -> None:
        self.received: list[dict] = []
        self.fail_first = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    fail = len(receiver.received) < receiver.fail_first
                    receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(500 if fail else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.port = port or free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/hooks"

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe(desk, url, events=("*",), key=ALEX):
    status, _, body = desk.post(
        "/v1/webhooks", {"url": url, "events": list(events), "secret": SECRET}, key=key
    )
    assert status == 201, body
    return body


def test_signing_roundtrip():
    body = b'{"id":"EVT-1"}'
    header = sign(SECRET, body, 1_800_000_000)
    assert verify(SECRET, body, header, now=1_800_000_010)
    assert not verify(SECRET, body + b" ", header, now=1_800_000_010)
    assert not verify("another-secret-value", body, header, now=1_800_000_010)
    assert not verify(SECRET, body, header, now=1_800_000_000 + 301)
    assert not verify(SECRET, body, None)


def test_subscription_validation_and_listing(desk):
    bad = [
        ({"url": "ftp://x", "events": ["*"], "secret": SECRET}, "url"),
        ({"url": "http://127.0.0.1:9/x", "events": ["call.exploded"], "secret": SECRET}, "events"),
        ({"url": "http://127.0.0.1:9/x", "events": ["*"], "secret": "short"}, "secret"),
    ]
    for payload, field in bad:
        status, _, body = desk.post("/v1/webhooks", payload, key=ALEX)
        assert status == 422 and body["error"]["details"]["fields"][0]["field"] == field
    sub = subscribe(desk, "http://127.0.0.1:9/x", ["ticket.status_changed"])
    assert sub["id"].startswith("WH-") and "secret" not in sub
    _, _, listing = desk.get("/v1/webhooks", key=ALEX)
    assert [w["id"] for w in listing["webhooks"]] == [sub["id"]]
    assert "secret" not in listing["webhooks"][0]
    _, _, other = desk.get("/v1/webhooks", key=SAM)
    assert other["webhooks"] == []
    status, _, _ = desk.request("DELETE", f"/v1/webhooks/{sub['id']}", key=SAM)
    assert status == 404
    status, _, body = desk.request("DELETE", f"/v1/webhooks/{sub['id']}", key=ALEX)
    assert status == 200 and body["deleted"] is True
    status, _, _ = desk.request("DELETE", f"/v1/webhooks/{sub['id']}", key=ALEX)
    assert status == 404


def test_signed_delivery_only_to_the_owning_account(desk, receiver):
    subscribe(desk, receiver.url, ["ticket.status_changed"])
    _, _, sam_ticket = desk.post(
        "/v1/tickets", {**TICKET, "on_behalf_of": {"name": "Sam"}}, key=SAM
    )
    _, _, ticket = desk.post("/v1/tickets", TICKET, key=ALEX)
    desk.advance(15 * 60)
    desk.wait_until(lambda: receiver.events(), what="a webhook delivery")
    record = receiver.received[0]
    assert verify(SECRET, record["body"], record["headers"]["X-ServiceDesk-Signature"])
    event = json.loads(record["body"])
    assert event["id"].startswith("EVT-") and event["type"] == "ticket.status_changed"
    assert event["created_at"].startswith("2026-11-23T09:15:0")
    assert event["data"]["id"] == ticket["id"] and event["data"]["status"] == "in_progress"
    desk.wait_until(
        lambda: desk.get("/_sim/deliveries")[2]["deliveries"][0]["status"] == "delivered",
        what="delivery marked delivered",
    )
    assert all(e["data"]["id"] != sam_ticket["id"] for e in receiver.events())
    assert len(desk.get("/_sim/deliveries")[2]["deliveries"]) == 1


def test_failed_deliveries_are_retried_with_the_same_event_id(desk, receiver):
    receiver.fail_first = 2
    subscribe(desk, receiver.url, ["call.queued"])
    _, _, call = desk.post("/v1/calls", {"provider": "nimbus-telecom", "reason": "x"}, key=ALEX)
    desk.post(f"/v1/calls/{call['id']}/dtmf", {"digits": "1"}, key=ALEX)
    desk.wait_until(lambda: len(receiver.received) >= 3, what="three attempts")
    ids = {e["id"] for e in receiver.events()}
    assert len(ids) == 1
    attempts = [r["headers"]["X-ServiceDesk-Delivery-Attempt"] for r in receiver.received]
    assert attempts == ["1", "2", "3"]
    for r in receiver.received:
        assert verify(SECRET, r["body"], r["headers"]["X-ServiceDesk-Signature"])

    def delivered():
        log = desk.get("/_sim/deliveries")[2]["deliveries"]
        return log and log[0]["status"] == "delivered" and log[0]

    entry = desk.wait_until(delivered, what="delivery marked delivered")
    assert entry["attempts"] == 3
    assert [a["outcome"] for a in entry["attempt_log"]] == ["retry", "retry", "delivered"]


def test_delivery_gives_up_after_max_attempts(desk):
    # Nothing listens on this port: every attempt is a connection error.
    subscribe(desk, f"http://127.0.0.1:{free_port()}/gone", ["call.queued"])
    _, _, call = desk.post("/v1/calls", {"provider": "nimbus-telecom", "reason": "x"}, key=ALEX)
    desk.post(f"/v1/calls/{call['id']}/dtmf", {"digits": "1"}, key=ALEX)

    def failed():
        log = desk.get("/_sim/deliveries")[2]["deliveries"]
        return log and log[0]["status"] == "failed" and log[0]

    entry = desk.wait_until(failed, what="delivery marked failed")
    # The session desk runs with SERVICE_DESK_WEBHOOK_MAX_ATTEMPTS=4.
    assert entry["attempts"] == 4 and len(entry["attempt_log"]) == 4
    assert entry["last_error"]


def test_pending_deliveries_resume_after_restart(desk_factory):
    other = desk_factory(
        env={"SERVICE_DESK_WEBHOOK_BACKOFF_S": "1", "SERVICE_DESK_WEBHOOK_MAX_ATTEMPTS": "8"}
    )
    port = free_port()  # nobody listens yet: the first attempt fails
    subscribe(other, f"http://127.0.0.1:{port}/hooks", ["call.queued"])
    _, _, call = other.post("/v1/calls", {"provider": "nimbus-telecom", "reason": "x"}, key=ALEX)
    other.post(f"/v1/calls/{call['id']}/dtmf", {"digits": "1"}, key=ALEX)

    def first_attempt_failed():
        log = other.get("/_sim/deliveries")[2]["deliveries"]
        return log and log[0]["attempts"] >= 1 and log[0]["status"] == "pending" and log[0]

    entry = other.wait_until(first_attempt_failed, what="a failed first attempt")
    other.stop()
    late = Receiver(port)
    try:
        other.start()
        other.wait_until(lambda: late.events(), what="the delivery after the restart")
        assert late.events()[0]["id"] == entry["event_id"]
        assert late.events()[0]["data"]["id"] == call["id"]
    finally:
        late.close()
        other.stop()
