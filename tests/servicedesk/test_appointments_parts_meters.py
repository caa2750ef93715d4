"""Appointment slots and bookings, the parts catalogue and orders, meter readings."""

from __future__ import annotations

from urllib.parse import quote

VOLTRA = "sk-voltra-demo"
HOMECARE = "sk-homecare-demo"
BRIGHTGRID = "sk-brightgrid-demo"


def slots(desk, key=VOLTRA, query=""):
    status, _, body = desk.get(f"/v1/appointments/slots{query}", key=key)
    assert status == 200, body
    return body["slots"]


def test_slots_are_business_hours_in_the_future(desk):
    free = slots(desk)
    assert free, "expected slots in the next 14 days"
    assert {s["location"]["id"] for s in free} == {"SC-LIS-1", "SC-IST-1", "SC-BER-1"}
    assert all(s["start"] > "2026-11-23T09:00:00Z" for s in free)
    assert all(s["slot_id"].startswith("SLOT-voltra-motors-SC-") for s in free)
    assert all(s["service"] == "repair" for s in free)
    lisbon = [s for s in free if s["location"]["id"] == "SC-LIS-1"]
    # Lisbon is on UTC in November: 09, 11, 13, 15 local; Monday the 23rd from 11:00.
    assert (
        lisbon[0]["start"] == "2026-11-23T11:00:00Z" and lisbon[0]["end"] == "2026-11-23T13:00:00Z"
    )
    assert all(s["start"] <= "2026-12-07T09:00:00Z" for s in free)
    assert not any(s["start"].startswith("2026-11-28") for s in free)  # Saturday
    home = slots(desk, key=HOMECARE, query="?service=installation")
    assert home and home[0]["location"]["name"] == "Home visit"
    assert home[0]["service"] == "installation"


def test_slot_query_validation(desk):
    status, _, body = desk.get("/v1/appointments/slots?service=teleport", key=VOLTRA)
    assert status == 422 and "repair" in body["error"]["details"]["valid"]
    bad_range = "?from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z"
    status, _, body = desk.get(f"/v1/appointments/slots{bad_range}", key=VOLTRA)
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "to"
    too_long = "?from=2026-11-24T00:00:00Z&to=2027-03-01T00:00:00Z"
    status, _, body = desk.get(f"/v1/appointments/slots{too_long}", key=VOLTRA)
    assert status == 422
    status, _, body = desk.get("/v1/appointments/slots?from=yesterday", key=VOLTRA)
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "from"


def test_book_take_reschedule_cancel(desk):
    free = slots(desk)
    first, second, third = free[0], free[1], free[2]
    status, _, appt = desk.post("/v1/appointments", {"slot_id": first["slot_id"]}, key=VOLTRA)
    assert status == 201, appt
    assert appt["id"].startswith("APT-") and appt["status"] == "booked"
    assert appt["start"] == first["start"] and appt["location"] == first["location"]
    assert first["slot_id"] not in [s["slot_id"] for s in slots(desk)]
    # Someone else (Sam) cannot book it either.
    status, _, body = desk.post(
        "/v1/appointments", {"slot_id": first["slot_id"]}, key="sk-voltra-sam"
    )
    assert status == 409 and body["error"]["code"] == "slot_taken"

    status, _, _ = desk.post(f"/_sim/slots/{quote(second['slot_id'])}/take")
    assert status == 200
    status, _, body = desk.post("/v1/appointments", {"slot_id": second["slot_id"]}, key=VOLTRA)
    assert status == 409 and body["error"]["code"] == "slot_taken"

    url = f"/v1/appointments/{appt['id']}/reschedule"
    status, _, body = desk.post(url, {"slot_id": second["slot_id"]}, key=VOLTRA)
    assert status == 409
    status, _, moved = desk.post(url, {"slot_id": third["slot_id"]}, key=VOLTRA)
    assert status == 200 and moved["slot_id"] == third["slot_id"] and moved["id"] == appt["id"]
    free_now = [s["slot_id"] for s in slots(desk)]
    assert first["slot_id"] in free_now and third["slot_id"] not in free_now

    status, _, cancelled = desk.post(f"/v1/appointments/{appt['id']}/cancel", key=VOLTRA)
    assert status == 200 and cancelled["status"] == "cancelled"
    assert third["slot_id"] in [s["slot_id"] for s in slots(desk)]
    status, _, body = desk.post(f"/v1/appointments/{appt['id']}/cancel", key=VOLTRA)
    assert status == 409 and body["error"]["code"] == "invalid_state"
    _, _, listing = desk.get("/v1/appointments", key=VOLTRA)
    assert [a["id"] for a in listing["appointments"]] == [appt["id"]]
    _, _, events = desk.get("/_sim/events")
    changed = [e for e in events["events"] if e["type"] == "appointment.changed"]
    assert [e["data"]["status"] for e in changed] == ["booked", "booked", "cancelled"]


def test_booking_rejects_bad_slots(desk):
    for slot_id in (
        "nonsense",
        "SLOT-voltra-motors-SC-XXX-1-202611241000",
        "SLOT-voltra-motors-SC-LIS-1-202611241030",  # not a slot start
        "SLOT-voltra-motors-SC-LIS-1-202611230900",  # already past
        "SLOT-homecare-appliances-HC-HOME-202611241100",  # another provider's
    ):
        status, _, body = desk.post("/v1/appointments", {"slot_id": slot_id}, key=VOLTRA)
        assert status == 422, (slot_id, body)
        assert body["error"]["details"]["fields"][0]["field"] == "slot_id"
    _, _, t = desk.post(
        "/v1/tickets",
        {
            "provider": "voltra-motors",
            "category": "charging",
            "summary": "Port",
            "description": "",
            "severity": "normal",
            "on_behalf_of": {"name": "Sam Lee"},
        },
        key="sk-voltra-sam",
    )
    slot = slots(desk)[0]["slot_id"]
    status, _, body = desk.post(
        "/v1/appointments", {"slot_id": slot, "ticket_id": t["id"]}, key=VOLTRA
    )
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "ticket_id"


def test_parts_catalogue_and_orders(desk):
    status, _, body = desk.get("/v1/parts?model=Voltra%20V3", key=VOLTRA)
    assert status == 200
    parts = {p["sku"]: p for p in body["parts"]}
    port = next(p for p in parts.values() if p["name"] == "Charging port assembly")
    assert port["price"] == 42.0 and port["currency"] == "EUR" and "Voltra V3" in port["fits"]
    _, _, hc = desk.get("/v1/parts?provider=homecare-appliances&model=CoolMax%20FR-88", key=VOLTRA)
    assert {p["name"] for p in hc["parts"]} == {"Fridge door seal", "Fridge thermostat"}

    order_body = {"sku": port["sku"], "quantity": 2, "deliver_to_service_centre": "SC-LIS-1"}
    status, _, order = desk.post("/v1/parts/orders", order_body, key=VOLTRA)
    assert status == 201, order
    assert order["id"].startswith("ORD-") and order["status"] == "ordered"
    assert order["unit_price"] == 42.0 and order["total"] == 84.0
    desk.advance(23 * 3600)
    _, _, listing = desk.get("/v1/parts/orders", key=VOLTRA)
    assert listing["orders"][0]["status"] == "ordered"
    desk.advance(3600)
    _, _, listing = desk.get("/v1/parts/orders", key=VOLTRA)
    assert listing["orders"][0]["status"] == "shipped"
    status, _, body = desk.post(f"/v1/parts/orders/{order['id']}/cancel", key=VOLTRA)
    assert status == 409 and body["error"]["code"] == "invalid_state"
    _, _, events = desk.get("/_sim/events")
    assert any(e["type"] == "parts_order.shipped" for e in events["events"])

    status, _, second = desk.post("/v1/parts/orders", order_body, key=VOLTRA)
    status, _, cancelled = desk.post(f"/v1/parts/orders/{second['id']}/cancel", key=VOLTRA)
    assert status == 200 and cancelled["status"] == "cancelled"


def test_homecare_orders_need_no_service_centre(desk):
    body = {"sku": "HC-FR88-SEAL", "quantity": 1}
    status, _, order = desk.post("/v1/parts/orders", body, key=HOMECARE)
    assert status == 201 and order["deliver_to_service_centre"] is None
    assert order["total"] == 29.5
    status, _, body = desk.post("/v1/parts/orders", {"sku": "VM-CPA-3", "quantity": 1}, key=VOLTRA)
    assert status == 422
    assert body["error"]["details"]["fields"][0]["field"] == "deliver_to_service_centre"


def test_part_order_validation(desk):
    cases = [
        ({"sku": "HC-FR88-SEAL", "quantity": 1, "deliver_to_service_centre": "SC-LIS-1"}, "sku"),
        ({"sku": "VM-CPA-3", "quantity": 11, "deliver_to_service_centre": "SC-LIS-1"}, "quantity"),
        ({"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-NYC-1"},
         "deliver_to_service_centre"),
        ({"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-LIS-1",
          "appointment_id": "APT-NOPE"}, "appointment_id"),
    ]  # fmt: skip
    for payload, field in cases:
        status, _, body = desk.post("/v1/parts/orders", payload, key=VOLTRA)
        assert status == 422, (field, body)
        assert body["error"]["details"]["fields"][0]["field"] == field


def test_meter_readings(desk):
    url = "/v1/meter-readings"
    reading = {
        "meter_id": "E-77120",
        "value": 48300.5,
        "unit": "kWh",
        "read_at": "2026-11-23T08:00:00Z",
    }
    status, _, body = desk.post(url, reading, key=BRIGHTGRID)
    assert status == 201, body
    assert body["id"].startswith("MR-") and body["status"] == "accepted"
    assert body["previous_value"] == 48211.0 and body["value"] == 48300.5

    status, _, body = desk.post(url, {**reading, "value": 48250.0}, key=BRIGHTGRID)
    assert status == 422 and body["error"]["code"] == "reading_decreased"
    assert body["error"]["details"]["last_value"] == 48300.5

    status, _, body = desk.post(url, {**reading, "unit": "m3"}, key=BRIGHTGRID)
    assert status == 422 and body["error"]["code"] == "unit_mismatch"
    assert body["error"]["details"]["expected_unit"] == "kWh"

    gas = {"meter_id": "G-77121", "value": 9130, "unit": "m³", "read_at": "2026-11-23T08:00:00Z"}
    status, _, body = desk.post(url, gas, key=BRIGHTGRID)
    assert status == 201 and body["unit"] == "m3"

    status, _, body = desk.post(url, {**reading, "read_at": "2026-12-01T00:00:00Z"}, key=BRIGHTGRID)
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "read_at"

    # Sam's meter is invisible to Alex's key (and vice versa).
    status, _, body = desk.post(url, {**reading, "meter_id": "E-78300"}, key=BRIGHTGRID)
    assert status == 404 and body["error"]["code"] == "not_found"
    water = {"meter_id": "WM-3400", "value": 900, "unit": "m3", "read_at": "2026-11-23T08:00:00Z"}
    status, _, body = desk.post(url, water, key="sk-aquaflow-demo")
    assert status == 404
    status, _, body = desk.post(url, water, key="sk-aquaflow-sam")
    assert status == 201

    status, _, body = desk.get(f"{url}?meter_id=E-77120", key=BRIGHTGRID)
    assert status == 200 and [r["value"] for r in body["readings"]] == [48300.5]
    status, _, body = desk.get(f"{url}?meter_id=E-78300", key=BRIGHTGRID)
    assert status == 404
    _, _, account = desk.get("/v1/account", key=BRIGHTGRID)
    assert {m["meter_id"]: m["last_reading"]["value"] for m in account["meters"]} == {
        "E-77120": 48300.5,
        "G-77121": 9130.0,
    }
