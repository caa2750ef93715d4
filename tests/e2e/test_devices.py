"""The machine notices first, end to end: the device simulator streams telemetry to the real
action server, which opens tickets, orders parts and offers slots at the real desk, and tells
the owner through Rasa (external events, pushed to the owner inbox over the callback channel).

Simulated time: the simulator stamps events on the desk's clock and moves that clock along
(`/_sim/advance`) where the desk must accept a reading "taken now". The desk's state is the
judge of what was (and was not) sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from devicesim.scenarios import build
from devicesim.sender import advance_desk_to, desk_now, play, token_for
from launcher.conversation import http_json, say
from launcher.stack import Stack
from tests.conftest import DeskProcess, wait_until
from tests.e2e.conftest import OWNER_CONVERSATION, stand_in_rows

VOLTRA, HOMECARE, AQUAFLOW = "sk-voltra-demo", "sk-homecare-demo", "sk-aquaflow-demo"
CAR, WATER_METER = "VIN-5YJ3E1EA7KF317000", "WM-3341"


class Owner:
    """The owner's one conversation, where what devices report is told."""

    def __init__(self, stack: Stack) -> None:
        assert stack.inbox is not None
        self.stack = stack
        self.url = stack.config.rasa_url
        self.who = OWNER_CONVERSATION
        self.inbox = stack.inbox
        say(self.url, self.who, "/restart")  # a clean tracker: this test's conversation
        self.seen = len(self.inbox.messages(self.who))

    def say(self, text: str) -> list[str]:
        return say(self.url, self.who, text)

    def pushed(self) -> list[str]:
        return [str(m.get("text") or "") for m in self.inbox.messages(self.who)[self.seen :]]

    def wait_for(self, fragment: str, timeout_s: float = 45) -> list[str]:
        self.inbox.wait_for(
            lambda ms: any(fragment in (m.get("text") or "") for m in ms[self.seen :]),
            recipient=self.who,
            timeout_s=timeout_s,
        )
        return self.pushed()


def listed(desk: DeskProcess, path: str, key: str, field: str) -> list[dict[str, Any]]:
    status, _, body = desk.get(path, key=key)
    assert status == 200, body
    return body[field]


def deferred(stack: Stack) -> list[dict[str, Any]]:
    """The owner's notices held back for quiet hours."""
    return stand_in_rows(
        stack,
        "SELECT kind, hold_until FROM notices WHERE status = 'deferred' AND conversation_id = :c",
        c=OWNER_CONVERSATION,
    )


def stream(stack: Stack, desk: DeskProcess, scenario: str, advance: bool = False, **opts: Any):
    """Play a scenario from the desk's clock now; every event must be taken (202 or 200)."""
    events = build(scenario, desk_now(desk.url), **opts)
    results = play(stack.config.action_url, events, desk_url=desk.url if advance else None)
    assert all(status in (200, 202) for _, status, _ in results), results
    return results


def test_a_car_fault_becomes_ticket_part_slots_and_the_owner_only_picks_the_day(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    owner.say("enable automatic fault reports")
    owner.say("set my spending limit to 50 euros")

    stream(stack, desk, "car_charging_port", repeats=3)

    told = owner.wait_for("These are the next free slots")
    said = "\n".join(told)
    (ticket,) = listed(desk, "/v1/tickets?provider=voltra-motors", VOLTRA, "tickets")
    assert ticket["device_id"] == CAR and ticket["category"] == "charging"
    assert (
        f"Your car reported a charging-port fault. I opened Voltra Motors ticket {ticket['id']}"
        in said
    )
    (order,) = listed(desk, "/v1/parts/orders", VOLTRA, "orders")
    assert (order["sku"], order["deliver_to_service_centre"]) == ("VM-CPA-3", "SC-LIS-1")
    assert "(Charging port assembly, 42.00 EUR, within your spending limit)" in said
    assert order["id"] in said
    assert "Lisbon" in said and "Istanbul" not in said  # the nearest centre only

    replies = owner.say("the first one")
    assert any("booked" in r.lower() for r in replies), replies
    (appointment,) = listed(desk, "/v1/appointments", VOLTRA, "appointments")
    assert appointment["ticket_id"] == ticket["id"]
    assert appointment["location"]["id"] == "SC-LIS-1"
    assert appointment["status"] == "booked"


def test_a_fault_repeating_every_minute_opens_one_ticket(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    owner.say("enable automatic fault reports")
    stream(stack, desk, "washer_drain", repeats=6)
    owner.wait_for("drain error (E21)")
    stream(stack, desk, "washer_drain", repeats=4)  # later, the same fault again
    tickets = listed(desk, "/v1/tickets?provider=homecare-appliances", HOMECARE, "tickets")
    assert len(tickets) == 1, tickets
    assert sum("drain error (E21)" in t for t in owner.pushed()) == 1


def test_a_leak_at_night_is_told_at_once_and_a_warm_fridge_waits_for_morning(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    owner.say("enable automatic fault reports")
    owner.say("set quiet hours from 10pm to 7am")

    leak = build("water_leak", desk_now(desk.url))
    night = leak[0].at  # 00:20 in Lisbon, the coming night
    fridge = build("fridge_warm", night)
    for events in (fridge, leak):
        results = play(stack.config.action_url, events)
        assert all(status == 202 for _, status, _ in results), results
    told = owner.wait_for("URGENT: your water meter WM-3341 reported water flowing all night")
    (ticket,) = listed(desk, "/v1/tickets?provider=aquaflow-water", AQUAFLOW, "tickets")
    assert ticket["severity"] == "urgent" and ticket["category"] == "leak"
    # The fridge's ticket is open at the company, but the owner hears of it only at 07:00.
    wait_until(
        lambda: listed(desk, "/v1/tickets?provider=homecare-appliances", HOMECARE, "tickets"),
        timeout_s=30,
        what="the fridge's ticket",
    )
    # Its notice is queued after the ticket; once it is held, "not told yet" means something.
    wait_until(lambda: deferred(stack), timeout_s=30, what="the fridge's notice held back")
    assert not any("fridge reported" in t for t in owner.pushed()), told
    advance_desk_to(desk.url, leak[-1].at + timedelta(hours=4))  # 07:30 local
    owner.wait_for("Your fridge reported a temperature above 8 °C")


def test_a_reading_that_goes_backwards_is_held_and_shown_not_sent(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    owner.say("turn on automatic meter readings")
    results = stream(stack, desk, "meter_backwards", advance=True, value=1210.0)
    assert [body["status"] for _, _, body in results] == ["accepted", "held"]
    owner.wait_for("I held it back and sent nothing")

    def values() -> list[float]:
        readings = listed(desk, f"/v1/meter-readings?meter_id={WATER_METER}", AQUAFLOW, "readings")
        return [r["value"] for r in readings]

    # The accepted reading goes out on the device worker, independently of the held one's
    # notice, so wait for it; a 1206.5 at the desk would keep this from ever matching.
    wait_until(lambda: values() == [1210.0], 30, what="only the month's reading at the desk")


def test_monthly_readings_go_once_per_period_across_a_restart(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    owner.say("turn on automatic meter readings")
    events = build("meter_month_water", desk_now(desk.url), days=40)
    first, rest = events[:12], events[12:]
    play(stack.config.action_url, first, desk_url=desk.url)
    owner.wait_for("I sent your water meter WM-3341 reading")

    assert stack.actions is not None
    stack.actions.stop()
    stack.actions.start()
    stack.actions.wait_for_http(f"{stack.config.action_url}/health", timeout_s=90)

    results = play(stack.config.action_url, events, desk_url=desk.url)  # the first 12 again
    assert [status for _, status, _ in results[:12]] == [200] * 12  # duplicates, taken once
    assert all(status == 202 for _, status, _ in results[12:]), rest
    wait_until(
        lambda: (
            len(listed(desk, f"/v1/meter-readings?meter_id={WATER_METER}", AQUAFLOW, "readings"))
            >= 3
        ),
        timeout_s=45,
        what="three periods' readings at the desk",
    )
    readings = listed(desk, f"/v1/meter-readings?meter_id={WATER_METER}", AQUAFLOW, "readings")
    months = sorted(r["read_at"][:7] for r in readings)
    assert months == ["2026-11", "2026-12", "2027-01"], readings
    # January's was read at 06:00 in Lisbon, in quiet hours: the owner hears of it after 07:00.
    wait_until(
        lambda: [n for n in deferred(stack) if str(n["hold_until"]).startswith("2027-01")],
        timeout_s=30,
        what="January's notice held back",
    )
    assert not any("for 2027-01" in t for t in owner.pushed())
    advance_desk_to(desk.url, events[-1].at + timedelta(hours=2))
    owner.wait_for("for 2027-01")


def test_a_part_over_the_limit_waits_for_the_owners_yes_then_the_day(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    owner.say("enable automatic fault reports")  # the spending limit stays 0: always ask

    stream(stack, desk, "car_battery_cooling", repeats=1)
    owner.wait_for("Order VM-BCP-35 Battery coolant pump")
    assert listed(desk, "/v1/parts/orders", VOLTRA, "orders") == []  # nothing without a yes

    replies = owner.say("yes")
    assert any("ORD-" in r for r in replies), replies
    (order,) = listed(desk, "/v1/parts/orders", VOLTRA, "orders")
    assert order["sku"] == "VM-BCP-35"
    owner.wait_for("These are the next free slots")
    replies = owner.say("1")
    assert any("booked" in r.lower() for r in replies), replies
    (ticket,) = listed(desk, "/v1/tickets?provider=voltra-motors", VOLTRA, "tickets")
    (appointment,) = listed(desk, "/v1/appointments", VOLTRA, "appointments")
    assert appointment["ticket_id"] == ticket["id"]


def test_with_automatic_reports_off_nothing_is_sent_until_the_owner_says_yes(stack, call_desk):
    desk = call_desk
    owner = Owner(stack)
    stream(stack, desk, "router_packet_loss")
    owner.wait_for("Shall I report it?")
    assert listed(desk, "/v1/tickets?provider=nimbus-telecom", "sk-nimbus-demo", "tickets") == []
    replies = owner.say("yes")
    assert any("reporting it to Nimbus" in r for r in replies), replies
    owner.wait_for("sustained packet loss on your broadband. I opened Nimbus")
    (ticket,) = listed(desk, "/v1/tickets?provider=nimbus-telecom", "sk-nimbus-demo", "tickets")
    assert ticket["device_id"] == "RT-5521"


def test_the_endpoint_refuses_a_bad_token_and_a_bad_body_over_http(stack, call_desk):
    url = f"{stack.config.action_url}/telemetry/{CAR}"
    event = build("car_charging_port", desk_now(call_desk.url))[0].body
    status, body = http_json("POST", url, event, {"Authorization": "Bearer nope"})
    assert status == 401, body
    good = {"Authorization": f"Bearer {token_for(CAR)}"}
    status, body = http_json("POST", url, {**event, "at": "yesterday"}, good)
    assert (status, body["error"]["details"]["field"]) == (422, "at"), body
    status, body = http_json("POST", url, event, good)
    assert status == 202, body
