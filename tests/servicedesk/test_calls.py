"""Calls: menu navigation, wrong digits, the queue, callbacks, transfer and hangup."""

from __future__ import annotations

NIMBUS = "sk-nimbus-demo"
BRIGHTGRID = "sk-brightgrid-demo"


def place(desk, key=NIMBUS, provider="nimbus-telecom"):
    status, _, call = desk.post(
        "/v1/calls", {"provider": provider, "reason": "No internet"}, key=key
    )
    assert status == 201, call
    return call


def dtmf(desk, call_id, digits, key=NIMBUS):
    return desk.post(f"/v1/calls/{call_id}/dtmf", {"digits": digits}, key=key)


def get(desk, call_id, key=NIMBUS):
    status, _, call = desk.get(f"/v1/calls/{call_id}", key=key)
    assert status == 200, call
    return call


def queued_nimbus(desk):
    call = place(desk)
    status, _, call = dtmf(desk, call["id"], "21")
    assert status == 200 and call["state"] == "queued", call
    return call


def event_types(desk, call_id):
    _, _, body = desk.get("/_sim/events")
    return [e["type"] for e in body["events"] if e["data"].get("id") == call_id]


def test_place_call_starts_in_menu(desk):
    call = place(desk)
    assert call["id"].startswith("CALL-") and call["state"] == "ivr"
    assert [o["digit"] for o in call["menu"]["options"]] == ["1", "2", "3", "0"]
    assert call["path"] == [] and call["position"] is None and call["agent"] is None
    assert call["history"][0]["state"] == "ivr"


def test_menu_navigation_to_queue(desk):
    call = place(desk)
    status, _, call = dtmf(desk, call["id"], "2")
    assert status == 200 and call["state"] == "ivr"
    assert [o["label"] for o in call["menu"]["options"]] == ["Internet", "Mobile"]
    status, _, call = dtmf(desk, call["id"], "1")
    assert call["state"] == "queued" and call["queue"] == "tech_internet"
    assert call["path"] == ["2", "1"]
    # Nimbus: about 12 minutes with 3 agents and a 6-minute handle time.
    assert call["position"] == 6 and call["estimated_wait_s"] == 720
    assert "call.queued" in event_types(desk, call["id"])
    status, _, body = dtmf(desk, call["id"], "1")
    assert status == 409 and body["error"]["code"] == "invalid_state"


def test_wrong_digit_replays_then_three_end_the_call(desk):
    call = place(desk)
    _, _, call = dtmf(desk, call["id"], "9")
    assert call["state"] == "ivr" and call["replayed"] is True and call["wrong_attempts"] == 1
    assert [o["digit"] for o in call["menu"]["options"]] == ["1", "2", "3", "0"]
    _, _, call = dtmf(desk, call["id"], "2")
    _, _, call = dtmf(desk, call["id"], "7")
    assert call["state"] == "ivr" and call["wrong_attempts"] == 2
    assert [o["digit"] for o in call["menu"]["options"]] == ["1", "2"]
    _, _, call = dtmf(desk, call["id"], "8")
    assert call["state"] == "ended" and call["ended_reason"] == "invalid_input"
    assert "call.ended" in event_types(desk, call["id"])


def test_dtmf_validation(desk):
    call = place(desk)
    status, _, body = dtmf(desk, call["id"], "12ab")
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "digits"


def test_queue_moves_to_agent_then_agent_gives_up(desk):
    call = queued_nimbus(desk)
    desk.advance(120)
    call = get(desk, call["id"])
    assert call["position"] == 5 and call["estimated_wait_s"] == 600
    desk.advance(600)
    call = get(desk, call["id"])
    assert call["state"] == "agent_connected"
    assert call["agent"]["name"] and call["agent"]["id"]
    types = event_types(desk, call["id"])
    assert types.count("call.position_changed") == 5
    assert "call.agent_connected" in types
    desk.advance(300)
    call = get(desk, call["id"])
    assert call["state"] == "ended" and call["ended_reason"] == "agent_no_response"


def test_transfer_only_when_connected(desk):
    call = queued_nimbus(desk)
    status, _, body = desk.post(
        f"/v1/calls/{call['id']}/transfer", {"phone_number": "+15550100"}, key=NIMBUS
    )
    assert status == 409 and body["error"]["code"] == "invalid_state"
    desk.advance(720)
    status, _, call = desk.post(
        f"/v1/calls/{call['id']}/transfer", {"phone_number": "+15550100"}, key=NIMBUS
    )
    assert status == 200 and call["state"] == "transferred"
    desk.advance(360)
    call = get(desk, call["id"])
    assert call["state"] == "ended" and call["ended_reason"] == "completed"
    states = [h["state"] for h in call["history"]]
    assert states[-3:] == ["agent_connected", "transferred", "ended"]


def test_callback_on_nimbus(desk):
    call = queued_nimbus(desk)
    status, _, call = desk.post(
        f"/v1/calls/{call['id']}/callback", {"phone_number": "+15550100"}, key=NIMBUS
    )
    assert status == 200, call
    assert call["state"] == "callback_scheduled"
    assert call["callback"]["phone_number"] == "+15550100"
    assert call["callback"]["status"] == "scheduled"
    due = call["callback"]["due_at"]
    desk.advance(700)
    assert get(desk, call["id"])["state"] == "callback_scheduled"
    desk.advance(30)
    call = get(desk, call["id"])
    assert call["state"] == "agent_connected" and call["callback"]["status"] == "due"
    assert call["history"][-1]["at"] == due
    types = event_types(desk, call["id"])
    assert types.index("call.callback_due") < len(types) - 1
    assert types[-1] == "call.agent_connected"


def test_callback_window_validation(desk):
    call = queued_nimbus(desk)
    url = f"/v1/calls/{call['id']}/callback"
    status, _, body = desk.post(url, {"phone_number": "555"}, key=NIMBUS)
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "phone_number"
    status, _, body = desk.post(
        url,
        {
            "phone_number": "+15550100",
            "not_before": "2026-11-23T12:00:00Z",
            "not_after": "2026-11-23T11:00:00Z",
        },
        key=NIMBUS,
    )
    assert status == 422
    status, _, body = desk.post(
        url, {"phone_number": "+15550100", "not_after": "2026-11-23T09:05:00Z"}, key=NIMBUS
    )
    assert status == 422
    assert body["error"]["details"]["fields"][0]["field"] == "not_after"
    assert body["error"]["details"]["earliest"] >= "2026-11-23T09:12:00Z"
    status, _, call = desk.post(
        url,
        {"phone_number": "+15550100", "not_before": "2026-11-23T14:00:00Z"},
        key=NIMBUS,
    )
    assert status == 200 and call["callback"]["due_at"] == "2026-11-23T14:00:00Z"


def test_callback_not_offered_by_brightgrid(desk):
    call = place(desk, key=BRIGHTGRID, provider="brightgrid-energy")
    _, _, call = dtmf(desk, call["id"], "2", key=BRIGHTGRID)
    assert call["state"] == "queued"
    status, _, body = desk.post(
        f"/v1/calls/{call['id']}/callback", {"phone_number": "+15550100"}, key=BRIGHTGRID
    )
    assert status == 409 and body["error"]["code"] == "callbacks_not_offered"


def test_callback_needs_queue(desk):
    call = place(desk)
    status, _, body = desk.post(
        f"/v1/calls/{call['id']}/callback", {"phone_number": "+15550100"}, key=NIMBUS
    )
    assert status == 409 and body["error"]["code"] == "invalid_state"


def test_hangup(desk):
    call = queued_nimbus(desk)
    status, _, call = desk.post(f"/v1/calls/{call['id']}/hangup", key=NIMBUS)
    assert status == 200 and call["state"] == "ended"
    assert call["ended_reason"] == "customer_hangup"
    status, _, body = desk.post(f"/v1/calls/{call['id']}/hangup", key=NIMBUS)
    assert status == 409 and body["error"]["code"] == "invalid_state"
    desk.advance(3600)
    assert get(desk, call["id"])["ended_reason"] == "customer_hangup"


def test_provider_ends_call(desk):
    call = queued_nimbus(desk)
    status, _, body = desk.post(f"/_sim/calls/{call['id']}/end")
    assert status == 200
    call = get(desk, call["id"])
    assert call["state"] == "ended" and call["ended_reason"] == "provider_ended"


def test_calls_are_private(desk):
    call = place(desk)
    status, _, body = desk.get(f"/v1/calls/{call['id']}", key="sk-nimbus-sam")
    assert status == 404
    _, _, listing = desk.get("/v1/calls", key=NIMBUS)
    assert [c["id"] for c in listing["calls"]] == [call["id"]]
