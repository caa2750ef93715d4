"""What the parts tests share: the desk's orders, trackers for the form's turns, the quote asked
and answered, an order placed, consents recorded, a Voltra appointment booked and the limit set.

Real desk over HTTP, real trackers, real case memory. Every spending path without consent must
leave zero orders at the desk."""

from __future__ import annotations

from datetime import timedelta

from actions.core.clock import utc_now
from actions.handoff.consents import PARTS_ORDER
from actions.journeys.part_actions import ActionOrderPart
from actions.journeys.part_form import ValidatePartOrderForm
from actions.journeys.part_questions import ActionAskPartOrderConfirmed
from actions.journeys.preferences import ActionSetSpendingLimit
from actions.runtime import services
from tests.actions.conftest import make_tracker, responses, run_action, slot_events

VOLTRA = "sk-voltra-demo"
HOMECARE = "sk-homecare-demo"
NIMBUS = "sk-nimbus-demo"
CAR = "VIN-5YJ3E1EA7KF317000"
FORM = "part_order_form"


def orders(desk, key: str = VOLTRA) -> list[dict]:
    status, _, body = desk.get("/v1/parts/orders", key=key)
    assert status == 200, body
    return body["orders"]


def tracker_with(domain, text, intent, slots=None, requested=None, active=True, ts=1.0, **kw):
    """A tracker whose earlier turns set `slots`, then the owner says `text`."""
    slots = {**(slots or {}), "requested_slot": requested}
    tracker = make_tracker(
        domain,
        text,
        intent=intent,
        slots=slots,
        active_loop=FORM if active else None,
        timestamp=1_795_000_000.0 + ts,
        **kw,
    )
    before = [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
    tracker.events[1:1] = before
    return tracker


def start(domain, text: str, intent: str = "order_part", **kw) -> tuple[list, dict]:
    messages, events = run_action(
        ValidatePartOrderForm(), tracker_with(domain, text, intent, **kw), domain
    )
    return messages, slot_events(events)


def chosen(centre: str = "SC-LIS-1", sku: str = "VM-CPA-3", device: str = CAR) -> dict:
    return {"part_device": device, "part_sku": sku, "part_centre": centre}


def ask(domain, slots: dict) -> tuple[list, dict]:
    tracker = tracker_with(domain, "", "order_part", slots, requested="part_order_confirmed")
    messages, events = run_action(ActionAskPartOrderConfirmed(), tracker, domain)
    return messages, slot_events(events)["part_quote"]


def answer(
    domain, slots: dict, quote: dict, text: str, intent: str, ts=2.0, stamped: bool = True
) -> dict:
    tracker = tracker_with(
        domain,
        text,
        intent,
        {**slots, "part_quote": quote},
        requested="part_order_confirmed",
        ts=ts,
        stamped=stamped,
    )
    _, events = run_action(ValidatePartOrderForm(), tracker, domain)
    return slot_events(events)


def order(domain, slots: dict, confirmed: bool | None, ts=3.0, **kw) -> tuple[list, dict]:
    tracker = tracker_with(
        domain,
        "yes",
        "affirm",
        {**slots, "part_order_confirmed": confirmed},
        active=False,
        ts=ts,
        **kw,
    )
    messages, events = run_action(ActionOrderPart(), tracker, domain)
    return messages, slot_events(events)


def consents() -> list[dict]:
    return services().memory.consents()


def book_voltra(desk, centre: str = "SC-LIS-1", key: str = VOLTRA) -> str:
    status, _, body = desk.get(f"/v1/appointments/slots?location={centre}", key=key)
    assert status == 200 and body["slots"], body
    status, _, appt = desk.post(
        "/v1/appointments", {"slot_id": body["slots"][0]["slot_id"]}, key=key
    )
    assert status == 201, appt
    return appt["id"]


def set_limit(domain, text: str) -> None:
    tracker = make_tracker(domain, text, intent="set_spending_limit")
    messages, _ = run_action(ActionSetSpendingLimit(), tracker, domain)
    assert responses(messages) == ["utter_pref_spending_limit_set"]


def grant(amount: float = 42.0, item: str = "VM-CPA-3", expires_in_s: float = 900) -> int:
    return services().memory.record_consent(
        "test-owner",
        PARTS_ORDER,
        "granted",
        provider="voltra-motors",
        amount=amount,
        currency="EUR",
        owner_words="yes",
        data={"item": item},
        expires_at=utc_now() + timedelta(seconds=expires_in_s),
    )
