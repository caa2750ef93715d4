"""Consent for money: recorded, checked at the moment of sending, used once, expiring."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from actions.core import settings
from actions.core.clock import utc_now
from actions.core.errors import ConfigError
from actions.handoff.consents import PARTS_ORDER, Spend, authorise, needs_consent, record_decision
from actions.journeys import part_ordering  # noqa: F401  (registers the parts-order resender, as discovery does)
from actions.journeys.try_again import ActionRetryPendingRequest
from actions.runtime import services
from actions.store.owner_preferences import owner_key
from actions.store.preferences import PreferenceStore
from tests.actions.conftest import make_tracker, responses, run_action

CONV = "test-owner"
PORT = Spend(PARTS_ORDER, "voltra-motors", "VM-CPA-3", "Charging port assembly", 42.0, "EUR")


def run(coro: Any) -> Any:
    async def go() -> Any:
        try:
            return await coro
        finally:
            await services().desk.close()

    return asyncio.run(go())


def test_a_yes_is_used_once_and_stays_valid_for_the_same_request(standin_env):
    svc = services()
    consent_id = run(record_decision(svc, CONV, PORT, True, "yes please"))
    first = run(authorise(svc, CONV, PORT, "key-1"))
    assert first is not None and first.basis == "consent" and first.consent_id == consent_id
    # The first attempt failed: its resend (same key) may use the same consent ...
    again = run(authorise(svc, CONV, PORT, "key-1"))
    assert again is not None and again.consent_id == consent_id
    # ... but no other request may.
    assert run(authorise(svc, CONV, PORT, "key-2")) is None
    (row,) = svc.memory.consents(CONV)
    assert row["used_by"] == "key-1" and row["owner_words"] == "yes please"


def test_a_no_authorises_nothing(standin_env):
    svc = services()
    run(record_decision(svc, CONV, PORT, False, "no"))
    assert run(authorise(svc, CONV, PORT, "key-1")) is None
    assert [c["decision"] for c in svc.memory.consents()] == ["refused"]


def test_an_expired_yes_authorises_nothing_not_even_its_resend(standin_env):
    svc = services()
    svc.memory.record_consent(
        CONV,
        PARTS_ORDER,
        "granted",
        provider="voltra-motors",
        amount=42.0,
        currency="EUR",
        data={"item": "VM-CPA-3"},
        expires_at=utc_now() - timedelta(seconds=1),
        used_by="key-1",
    )
    assert run(authorise(svc, CONV, PORT, "key-1")) is None


@pytest.mark.parametrize(
    "other",
    [
        Spend(PARTS_ORDER, "voltra-motors", "VM-12V-45", "12V battery", 42.0, "EUR"),
        Spend(PARTS_ORDER, "voltra-motors", "VM-CPA-3", "Charging port", 42.01, "EUR"),
        Spend(PARTS_ORDER, "voltra-motors", "VM-CPA-3", "Charging port", 42.0, "USD"),
        Spend(PARTS_ORDER, "homecare-appliances", "VM-CPA-3", "Charging port", 42.0, "EUR"),
    ],
)
def test_a_yes_covers_only_its_item_amount_currency_and_provider(standin_env, other):
    svc = services()
    run(record_decision(svc, CONV, PORT, True, "yes"))
    assert run(authorise(svc, CONV, other, "key-1")) is None
    assert run(authorise(svc, "another-conversation", PORT, "key-1")) is None


def test_free_needs_nothing_and_the_limit_is_recorded(standin_env):
    svc = services()
    free = Spend(PARTS_ORDER, "nimbus-telecom", "NT-HH5-PSU", "adapter", 0.0, "EUR")
    assert run(authorise(svc, CONV, free, "key-0")).basis == "free"
    assert run(needs_consent(svc, 0.0, "EUR")) is False
    assert run(needs_consent(svc, 42.0, "EUR")) is True  # default limit 0: always ask
    assert run(authorise(svc, CONV, PORT, "key-1")) is None
    PreferenceStore(svc.memory.engine).update(
        owner_key(svc.profile), svc.profile.preferences, spending_limit=50
    )
    assert run(needs_consent(svc, 42.0, "EUR")) is False
    assert run(needs_consent(svc, 42.0, "USD")) is True
    assert run(needs_consent(svc, 50.01, "EUR")) is True
    granted = run(authorise(svc, CONV, PORT, "key-1"))
    assert granted is not None and granted.basis == "within_limit"
    (row,) = svc.memory.consents()
    assert row["decision"] == "within_limit" and row["used_by"] == "key-1"


def test_the_resend_of_a_request_whose_attempt_used_the_consent_orders_once(standin_env, domain):
    """The first attempt used the consent, then did not go through: its resend still may."""
    svc = services()
    run(record_decision(svc, CONV, PORT, True, "yes"))
    pending = {
        "kind": "parts_order",
        "provider": "voltra-motors",
        "body": {"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-LIS-1"},
        "idempotency_key": "standin-first-attempt",
    }
    assert run(authorise(svc, CONV, PORT, pending["idempotency_key"])) is not None
    tracker = make_tracker(
        domain, "try again", intent="try_again", slots={"pending_request": pending}
    )
    messages, _ = run_action(ActionRetryPendingRequest(), tracker, domain)
    assert responses(messages) == ["utter_parts_ordered"]
    status, _, body = standin_env.get("/v1/parts/orders", key="sk-voltra-demo")
    assert status == 200 and len(body["orders"]) == 1


def test_the_ttl_setting(monkeypatch):
    monkeypatch.setenv("STANDIN_CONSENT_TTL_S", "60")
    assert settings.load_settings().consent_ttl_s == 60
    monkeypatch.setenv("STANDIN_CONSENT_TTL_S", "soon")
    with pytest.raises(ConfigError, match="STANDIN_CONSENT_TTL_S"):
        settings.load_settings()
    monkeypatch.delenv("STANDIN_CONSENT_TTL_S")
    assert settings.load_settings().consent_ttl_s == 900
