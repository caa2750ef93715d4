"""The service-desk client against the real desk: headers, keys, retries and failure kinds."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from actions.core.settings import load_settings
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_errors import DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import OnBehalfOf, TicketCreate
from launcher.processes import free_port

TICKET = TicketCreate(
    provider="nimbus-telecom",
    category="billing",
    summary="Charged twice",
    description="I was charged twice this month.",
    on_behalf_of=OnBehalfOf(name="Alex Morgan", account_id="NT-908812"),
)


def client_for(url: str, **overrides) -> ServiceDeskClient:
    settings = dataclasses.replace(
        load_settings(), service_desk_url=url, desk_backoff_s=0.01, **overrides
    )
    return ServiceDeskClient(settings)


def run(client: ServiceDeskClient, coro_factory):
    async def go():
        try:
            return await coro_factory(client)
        finally:
            await client.close()

    return asyncio.run(go())


def test_directory_has_the_seeded_providers(desk):
    providers = run(client_for(desk.url), lambda c: c.list_providers("sk-voltra-demo"))
    by_id = {p.id: p for p in providers}
    assert set(by_id) >= {
        "nimbus-telecom",
        "voltra-motors",
        "brightgrid-energy",
        "aquaflow-water",
        "homecare-appliances",
    }
    assert "Nimbus" in by_id["nimbus-telecom"].aliases
    assert by_id["brightgrid-energy"].callbacks_offered is False


def test_create_is_idempotent_and_says_who_sends_it(desk):
    client = client_for(desk.url)

    async def twice(c):
        first = await c.create_ticket("sk-nimbus-demo", TICKET, "key-1")
        second = await c.create_ticket("sk-nimbus-demo", TICKET, "key-1")
        return first, second

    first, second = run(client, twice)
    assert first.id == second.id and first.status == "open"
    [stored] = desk.state()["tickets"]
    assert stored["client"]["software"].startswith("Stand-in/")


def test_a_bad_key_is_rejected_not_retried(desk):
    with pytest.raises(DeskRejected) as err:
        run(client_for(desk.url), lambda c: c.list_tickets("sk-wrong"))
    assert err.value.status == 401


def test_validation_error_names_the_field(desk):
    bad = TICKET.copy(update={"category": "weather"})
    with pytest.raises(DeskRejected) as err:
        run(client_for(desk.url), lambda c: c.create_ticket("sk-nimbus-demo", bad, "key-2"))
    assert err.value.status == 422
    assert "category" in err.value.fields


def test_nothing_listening_is_unavailable():
    with pytest.raises(DeskUnavailable, match="could not be reached"):
        run(client_for(f"http://127.0.0.1:{free_port()}"), lambda c: c.list_tickets("k"))


def test_rate_limited_answers_are_retried_then_reported(desk):
    desk.post("/_sim/faults", {"rate_limit_rate": 1.0})
    with pytest.raises(DeskUnavailable) as err:
        run(client_for(desk.url, desk_attempts=2), lambda c: c.list_tickets("sk-nimbus-demo"))
    assert err.value.status == 429
    assert len(desk.state()["tickets"]) == 0


def test_a_slow_answer_is_an_unknown_outcome_and_the_same_key_settles_it(desk):
    # The desk is slower than the client's limit: the request may have been processed.
    desk.post("/_sim/faults", {"latency_ms": [800, 800]})
    slow = client_for(desk.url, desk_timeout_s=0.3, desk_attempts=1)
    with pytest.raises(DeskTimeout):
        run(slow, lambda c: c.create_ticket("sk-nimbus-demo", TICKET, "key-3"))
    desk.post("/_sim/faults", {})
    # Whether or not the first attempt landed, resending with the same key leaves exactly one.
    again = run(client_for(desk.url), lambda c: c.create_ticket("sk-nimbus-demo", TICKET, "key-3"))
    assert [t["id"] for t in desk.state()["tickets"]] == [again.id]
