"""Provider webhooks end to end: the real action server subscribes at the real desk, receives its
signed events and keeps the case memory current; forged, replayed, late and other owners' events
change nothing, and one company can neither sign for nor speak about another's cases.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from actions.providers.subscriptions import subscription_url
from actions.providers.webhooks import provider_secret, sign
from actions.store.case_memory import CaseMemory
from launcher.processes import PROJECT_ROOT, ManagedProcess, free_port
from launcher.stack import demo_keys
from tests.actions.store_fixtures import sqlite_url
from tests.conftest import DeskProcess, wait_until

SECRET = "e2e-webhook-secret-0123456789"  # STANDIN_WEBHOOK_SECRET: the master
NIMBUS, VOLTRA = "nimbus-telecom", "voltra-motors"
ALEX_NIMBUS, SAM_NIMBUS = "sk-nimbus-demo", "sk-nimbus-sam"
ACCOUNTS = {
    "nimbus-telecom": "sk-nimbus-demo",
    "voltra-motors": "sk-voltra-demo",
    "brightgrid-energy": "sk-brightgrid-demo",
    "aquaflow-water": "sk-aquaflow-demo",
    "homecare-appliances": "sk-homecare-demo",
}


class ActionServer:
    def __init__(self, workdir: Path, desk: DeskProcess) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "actions.log"
        self.db_url = sqlite_url(workdir)
        self.env = {
            **demo_keys(),
            "SERVICE_DESK_URL": desk.url,
            "ACTION_SERVER_PORT": str(self.port),
            "STANDIN_OWNER_PROFILE": str(PROJECT_ROOT / "owner.yml"),
            "STANDIN_DB_URL": self.db_url,
            "STANDIN_WEBHOOK_SECRET": SECRET,
            "STANDIN_ACTION_TOKEN": "webhook-tests-action-token",
            "STANDIN_DESK_ATTEMPTS": "2",
            "STANDIN_DESK_BACKOFF_S": "0.05",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: ManagedProcess | None = None
        self.http = DeskProcess.attach(self.url)

    def start(self) -> None:
        self.process = ManagedProcess(
            "action server", [sys.executable, "-m", "actions.server"], self.log, self.env
        ).start()
        self.process.wait_for_http(f"{self.url}/health", timeout_s=60)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def subscribed_count(self) -> int:
        return self.log.read_text().count("subscribed to ")


def our_subscriptions(desk: DeskProcess, server: ActionServer, key: str) -> list[dict]:
    status, _, body = desk.get("/v1/webhooks", key=key)
    assert status == 200, body
    return [w for w in body["webhooks"] if w["url"].startswith(server.url)]


@pytest.fixture(scope="module")
def world(
    desk_factory: Callable[..., DeskProcess], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DeskProcess, ActionServer, CaseMemory]]:
    """A desk of its own (never reset: that would drop subscriptions) and an action server
    that has been restarted once, so both runs' subscribing is behind us."""
    desk = desk_factory()
    server = ActionServer(tmp_path_factory.mktemp("webhooks"), desk)
    base = f"{server.url}/webhooks/servicedesk"
    for provider, key in ACCOUNTS.items():
        # What an action server made before each subscription had its own secret: the master
        # secret, and the URL fingerprinted with it. Stand-in must replace these on start.
        status, _, body = desk.post(
            "/v1/webhooks",
            {"url": subscription_url(base, provider, SECRET), "events": ["*"], "secret": SECRET},
            key=key,
        )
        assert status == 201, body
    server.start()
    wait_until(lambda: server.subscribed_count() == 5, 30, what="first subscriptions")
    server.stop()
    server.start()
    wait_until(lambda: server.subscribed_count() == 10, 30, what="subscriptions after restart")
    memory = CaseMemory(server.db_url)
    yield desk, server, memory
    server.stop()
    memory.close()


def open_ticket(desk: DeskProcess, key: str, summary: str) -> str:
    status, _, body = desk.post(
        "/v1/tickets",
        {
            "provider": "nimbus-telecom",
            "category": "billing",
            "summary": summary,
            "description": f"{summary}, please check.",
            "severity": "normal",
            "on_behalf_of": {"name": "test"},
        },
        key=key,
    )
    assert status == 201, body
    return body["id"]


def post_event(
    server: ActionServer, envelope: dict, signature: str | None = "sign", provider: str = NIMBUS
):
    """POST to `provider`'s URL, signed by default with that provider's own secret."""
    body = json.dumps(envelope).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = sign(provider_secret(SECRET, provider), body, int(time.time()))
    if signature is not None:
        headers["X-ServiceDesk-Signature"] = signature
    return server.http.request(
        "POST", f"/webhooks/servicedesk/{provider}", data=body, headers=headers
    )


def settled(desk: DeskProcess) -> bool:
    """Every webhook delivery answered (the desk marks one delivered once Stand-in answered)."""
    deliveries = desk.get("/_sim/deliveries")[2]["deliveries"]
    return not [d for d in deliveries if d["status"] in ("pending", "sending")]


@pytest.fixture(scope="module")
def progressed(world) -> str:
    """Alex's ticket, opened at the desk and moved to in_progress by simulated time."""
    desk, _, memory = world
    ticket_id = open_ticket(desk, ALEX_NIMBUS, "Charged twice")
    desk.advance(16 * 60)
    wait_until(
        lambda: (
            (case := memory.case(NIMBUS, ticket_id)) is not None and case.status == "in_progress"
        ),
        20,
        what="the case to reach in_progress",
    )
    # The case changes before the event's outcome is stored, and the desk marks a delivery
    # delivered only once Stand-in has answered it: wait for that, so tests that compare
    # before and after see a settled state.
    wait_until(lambda: settled(desk), 20, what="every webhook delivery to be answered")
    return ticket_id


def test_exactly_one_subscription_per_account_across_restarts(world):
    desk, server, _ = world
    base = f"{server.url}/webhooks/servicedesk"
    for provider, key in ACCOUNTS.items():
        subs = our_subscriptions(desk, server, key)
        assert len(subs) == 1, (provider, subs)
        # The one made with the master secret before the first start is gone.
        secret = provider_secret(SECRET, provider)
        assert subs[0]["url"] == subscription_url(base, provider, secret), subs
    memory = world[2]
    creates = [e for e in memory.audit_entries() if e.path == "/v1/webhooks" and e.method == "POST"]
    assert len(creates) == 5 and all(e.outcome == "ok" for e in creates)
    assert all(e.request_body["secret"] == "***" for e in creates)


def test_ticket_progress_reaches_the_case(world, progressed):
    memory = world[2]
    case = memory.case(NIMBUS, progressed)
    assert case.status == "in_progress" and case.last_event_at is not None
    assert case.provider == "nimbus-telecom" and case.account_id == "NT-908812"


def test_forged_and_unsigned_posts_are_refused(world, progressed):
    _, server, memory = world
    before = (memory.events(), memory.case(NIMBUS, progressed))
    forged = {
        "id": "EVT-FORGED",
        "type": "ticket.status_changed",
        "created_at": "2026-11-23T12:00:00Z",
        "data": {
            "id": progressed,
            "provider": "nimbus-telecom",
            "status": "closed",
            "updated_at": "2026-11-24T12:00:00Z",
        },
    }
    for signature in (
        None,
        "t=1,v1=00",
        sign("not-the-secret-0123456789", b"{}", int(time.time())),
        # The master secret, and another provider's own secret, sign nothing for Nimbus.
        sign(SECRET, json.dumps(forged).encode(), int(time.time())),
        sign(provider_secret(SECRET, VOLTRA), json.dumps(forged).encode(), int(time.time())),
    ):
        status, _, body = post_event(server, forged, signature)
        assert status == 401, body
        assert body["error"]["code"] == "invalid_signature"
    assert (memory.events(), memory.case(NIMBUS, progressed)) == before


def test_replayed_and_late_events_change_nothing(world, progressed):
    _, server, memory = world
    delivered = [e for e in memory.events() if e["resource_id"] == progressed]
    assert delivered
    original = json.loads(delivered[0]["payload"])
    before = (len(memory.events()), memory.case(NIMBUS, progressed))
    status, _, body = post_event(server, original)  # the same event again, freshly signed
    assert (status, body["status"]) == (200, "duplicate")
    assert (len(memory.events()), memory.case(NIMBUS, progressed)) == before

    late = {
        **original,
        "id": "EVT-LATE-1",
        "data": {**original["data"], "status": "open", "updated_at": "2026-11-23T09:00:00Z"},
    }
    status, _, body = post_event(server, late)
    assert (status, body["status"]) == (200, "stale")
    assert memory.case(NIMBUS, progressed) == before[1]


def test_another_owners_events_never_reach_the_store(world, progressed):
    desk, server, memory = world
    # Sam points a subscription of his own at the same receiver, with his own secret.
    status, _, sam_sub = desk.post(
        "/v1/webhooks",
        {
            "url": f"{server.url}/webhooks/servicedesk/nimbus-telecom",
            "events": ["*"],
            "secret": "sams-own-secret-0123456789",
        },
        key=SAM_NIMBUS,
    )
    assert status == 201, sam_sub
    sam_ticket = open_ticket(desk, SAM_NIMBUS, "Sam's bill")
    desk.advance(16 * 60)

    def sam_refused() -> bool:
        _, _, log = desk.get("/_sim/deliveries")
        return any(
            d["webhook_id"] == sam_sub["id"]
            and any(a["status_code"] == 401 for a in d["attempt_log"])
            for d in log["deliveries"]
        )

    wait_until(sam_refused, 20, what="Sam's delivery to be refused")
    _, _, log = desk.get("/_sim/deliveries")
    ours = {s["id"] for s in our_subscriptions(desk, server, ALEX_NIMBUS)}
    events = {e["id"]: e for e in desk.get("/_sim/events")[2]["events"]}
    for d in log["deliveries"]:
        if d["webhook_id"] in ours:
            assert events[d["event_id"]]["account_id"] == "NT-908812"
    assert memory.cases_with_id(sam_ticket) == []
    assert all(e["resource_id"] != sam_ticket for e in memory.events())


def desk_subscription_secrets(desk: DeskProcess, server: ActionServer) -> dict[str, str]:
    """provider -> the secret the desk signs our subscription's deliveries with, read from the
    desk's own database (its API never shows a secret), as the desk's operator could."""
    conn = sqlite3.connect(f"file:{desk.db_path}?mode=ro", uri=True)
    try:
        rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM webhooks")]
    finally:
        conn.close()
    base = f"{server.url}/webhooks/servicedesk/"
    return {
        sub["url"][len(base) :].split("?", 1)[0]: sub["secret"]
        for sub in rows
        if sub["url"].startswith(base) and "?" in sub["url"]
    }


def test_each_subscription_has_its_own_secret(world, progressed):
    desk, server, memory = world
    secrets = desk_subscription_secrets(desk, server)
    assert secrets == {p: provider_secret(SECRET, p) for p in ACCOUNTS}
    assert len(set(secrets.values())) == len(ACCOUNTS) and SECRET not in secrets.values()

    # The desk's delivery for Nimbus was accepted, and the receiver verifies a Nimbus URL with
    # Nimbus's own secret only: the same event signed with the master secret or with Voltra's
    # is refused, and signed with Nimbus's it is the duplicate it is.
    ours = {s["id"] for s in our_subscriptions(desk, server, ALEX_NIMBUS)}
    deliveries = desk.get("/_sim/deliveries")[2]["deliveries"]
    accepted = [
        d
        for d in deliveries
        if d["webhook_id"] in ours and [a["status_code"] for a in d["attempt_log"]] == [200]
    ]
    assert accepted, deliveries
    delivered = {e["event_id"]: e for e in memory.events() if e["provider"] == NIMBUS}
    event = json.loads(delivered[accepted[0]["event_id"]]["payload"])
    for secret in (SECRET, provider_secret(SECRET, VOLTRA)):
        body = json.dumps(event).encode()
        status, _, answer = post_event(server, event, sign(secret, body, int(time.time())))
        assert (status, answer["error"]["code"]) == (401, "invalid_signature")
    status, _, answer = post_event(server, event)
    assert (status, answer["status"]) == (200, "duplicate")


def test_a_company_cannot_speak_about_anothers_case(world, progressed):
    desk, server, memory = world
    status, _, voltra_ticket = desk.post(
        "/v1/tickets",
        {
            "provider": VOLTRA,
            "category": "charging",
            "summary": "Charging port loose",
            "description": "The charging port is loose, please check.",
            "severity": "normal",
            "on_behalf_of": {"name": "test"},
        },
        key=ACCOUNTS[VOLTRA],
    )
    assert status == 201, voltra_ticket
    ticket_id = voltra_ticket["id"]
    desk.advance(16 * 60)
    wait_until(
        lambda: (case := memory.case(VOLTRA, ticket_id)) is not None and case.last_event_at,
        20,
        what="Voltra's webhook to reach its case",
    )
    wait_until(lambda: settled(desk), 20, what="every webhook delivery to be answered")
    before = (memory.cases(), memory.events())

    # Nimbus, with its own valid signature on its own URL, closes Voltra's ticket: refused.
    forged = {
        "id": "EVT-CROSS-1",
        "type": "ticket.status_changed",
        "created_at": "2026-11-30T12:00:00Z",
        "data": {
            "id": ticket_id,
            "provider": VOLTRA,
            "status": "closed",
            "updated_at": "2026-11-30T12:00:00Z",
        },
    }
    status, _, body = post_event(server, forged, provider=NIMBUS)
    assert status == 422, body
    assert body["error"]["code"] == "provider_mismatch"
    assert (memory.cases(), memory.events()) == before

    # Nimbus naming the same id as its own ticket speaks only for Nimbus: Voltra's case stays.
    as_nimbus = {**forged, "id": "EVT-CROSS-2", "data": {**forged["data"], "provider": NIMBUS}}
    status, _, body = post_event(server, as_nimbus, provider=NIMBUS)
    assert (status, body["status"]) == (200, "applied"), body
    assert memory.case(VOLTRA, ticket_id) == next(
        c for c in before[0] if (c.provider, c.ticket_id) == (VOLTRA, ticket_id)
    )
    assert memory.case(VOLTRA, ticket_id).status != "closed"
    assert memory.case(NIMBUS, ticket_id).status == "closed"
