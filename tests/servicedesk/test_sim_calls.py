"""Simulation controls for phone calls: misheard digits, pickups on demand, provider ends,
and the real-time `created_real` of each webhook delivery."""

from __future__ import annotations

import re
import time

from tests.servicedesk.test_calls import (
    BRIGHTGRID,
    NIMBUS,
    dtmf,
    event_types,
    get,
    place,
    queued_nimbus,
)
from tests.servicedesk.test_webhooks import Receiver, subscribe

NIMBUS_ID = "nimbus-telecom"


def misheard(desk, count, provider=NIMBUS_ID):
    status, _, body = desk.post("/_sim/ivr", {"provider": provider, "misheard_digits": count})
    assert status == 200, body
    assert body == {"provider": provider, "misheard_digits": count}
    return body


def ivr_state(desk):
    return desk.state()["ivr"]


def connect(desk, call_id, json=None):
    return desk.post(f"/_sim/calls/{call_id}/connect", json)


def call_jobs(desk, call_id):
    return [j["kind"] for j in desk.state()["jobs"] if j["ref"] == call_id]


def fields(body):
    return [f["field"] for f in body["error"]["details"]["fields"]]


# -- misheard digits ----------------------------------------------------------------------------
def test_misheard_digit_replays_the_menu(desk):
    misheard(desk, 1)
    assert ivr_state(desk) == {NIMBUS_ID: {"misheard_digits": 1}}
    call = place(desk)
    # "2" is a valid option, but the menu does not recognise it; the "1" after it is not heard.
    status, _, call = dtmf(desk, call["id"], "21")
    assert status == 200, call
    assert call["state"] == "ivr" and call["replayed"] is True and call["wrong_attempts"] == 1
    assert call["path"] == []
    assert [o["digit"] for o in call["menu"]["options"]] == ["1", "2", "3", "0"]
    assert call["history"][-1]["detail"] == "pressed 2: not recognised, replayed"
    assert ivr_state(desk) == {}
    # The counter is used up: the next digits are heard again.
    _, _, call = dtmf(desk, call["id"], "21")
    assert call["state"] == "queued" and call["path"] == ["2", "1"]
    assert call["wrong_attempts"] == 1


def test_misheard_digits_count_across_calls_of_the_provider_only(desk):
    misheard(desk, 2)
    first, second = place(desk), place(desk)
    other = place(desk, key=BRIGHTGRID, provider="brightgrid-energy")
    _, _, other = dtmf(desk, other["id"], "2", key=BRIGHTGRID)
    assert other["state"] == "queued"  # another provider's menu hears fine
    _, _, first = dtmf(desk, first["id"], "1")
    assert first["replayed"] is True
    assert ivr_state(desk) == {NIMBUS_ID: {"misheard_digits": 1}}
    _, _, second = dtmf(desk, second["id"], "1")
    assert second["replayed"] is True and second["state"] == "ivr"
    _, _, second = dtmf(desk, second["id"], "1")
    assert second["state"] == "queued"


def test_three_misheard_digits_end_the_call(desk):
    misheard(desk, 5)
    call = place(desk)
    for attempt in (1, 2):
        _, _, call = dtmf(desk, call["id"], "1")
        assert call["state"] == "ivr" and call["wrong_attempts"] == attempt
        assert call["history"][-1]["detail"] == "pressed 1: not recognised, replayed"
    _, _, call = dtmf(desk, call["id"], "1")
    assert call["state"] == "ended" and call["ended_reason"] == "invalid_input"
    assert call["wrong_attempts"] == 3
    assert "call.ended" in event_types(desk, call["id"])
    assert ivr_state(desk) == {NIMBUS_ID: {"misheard_digits": 2}}
    # A misheard digit and a really wrong one count together.
    call = place(desk)
    dtmf(desk, call["id"], "1")
    dtmf(desk, call["id"], "1")
    _, _, call = dtmf(desk, call["id"], "9")
    assert call["state"] == "ended" and call["ended_reason"] == "invalid_input"


def test_misheard_zero_clears_and_reset_clears(desk):
    misheard(desk, 4)
    misheard(desk, 0)
    assert ivr_state(desk) == {}
    misheard(desk, 10)
    assert ivr_state(desk) == {NIMBUS_ID: {"misheard_digits": 10}}
    desk.reset()
    assert ivr_state(desk) == {}
    call = place(desk)
    _, _, call = dtmf(desk, call["id"], "1")
    assert call["state"] == "queued" and call["replayed"] is False


def test_misheard_digits_survive_a_restart(desk_factory):
    other = desk_factory()
    try:
        misheard(other, 2)
        other.restart()
        assert ivr_state(other) == {NIMBUS_ID: {"misheard_digits": 2}}
        call = place(other)
        _, _, call = dtmf(other, call["id"], "1")
        assert call["replayed"] is True
        assert ivr_state(other) == {NIMBUS_ID: {"misheard_digits": 1}}
    finally:
        other.stop()


def test_ivr_validation(desk):
    cases = [
        ({"misheard_digits": 1}, "provider"),
        ({"provider": NIMBUS_ID}, "misheard_digits"),
        ({"provider": NIMBUS_ID, "misheard_digits": 11}, "misheard_digits"),
        ({"provider": NIMBUS_ID, "misheard_digits": -1}, "misheard_digits"),
        ({"provider": NIMBUS_ID, "misheard_digits": "2"}, "misheard_digits"),
        ({"provider": NIMBUS_ID, "misheard_digits": 1.5}, "misheard_digits"),
        ({"provider": NIMBUS_ID, "misheard_digits": True}, "misheard_digits"),
        ({"provider": "", "misheard_digits": 1}, "provider"),
    ]
    for payload, field in cases:
        status, _, body = desk.post("/_sim/ivr", payload)
        assert status == 422, (payload, body)
        assert body["error"]["code"] == "validation_error"
        assert fields(body) == [field], (payload, body)
    status, _, body = desk.post("/_sim/ivr", data=b"[1]")
    assert status == 422 and fields(body) == ["body"]
    status, _, body = desk.post("/_sim/ivr", {"provider": "acme-phones", "misheard_digits": 1})
    assert status == 404 and body["error"]["code"] == "not_found"
    assert ivr_state(desk) == {}


# -- connect ------------------------------------------------------------------------------------
def test_connect_a_queued_call_then_the_agent_gives_up(desk):
    call = queued_nimbus(desk)
    status, _, connected = connect(desk, call["id"], {})
    assert status == 200, connected
    assert connected["state"] == "agent_connected"
    assert connected["agent"]["id"] and connected["agent"]["name"]
    assert connected["position"] == 0 and connected["estimated_wait_s"] == 0
    assert connected["history"][-1]["detail"] == "agent picked up"
    assert get(desk, call["id"]) == connected
    types = event_types(desk, call["id"])
    assert types[-1] == "call.agent_connected" and types.count("call.agent_connected") == 1
    # The queue stopped moving; only the agent's patience runs.
    assert call_jobs(desk, call["id"]) == ["call.agent_timeout"]
    desk.advance(290)
    assert get(desk, call["id"])["state"] == "agent_connected"
    desk.advance(10)
    call = get(desk, call["id"])
    assert call["state"] == "ended" and call["ended_reason"] == "agent_no_response"
    assert "call.position_changed" not in event_types(desk, call["id"])


def test_connect_a_scheduled_callback(desk):
    call = queued_nimbus(desk)
    status, _, call = desk.post(
        f"/v1/calls/{call['id']}/callback", {"phone_number": "+15550100"}, key=NIMBUS
    )
    assert status == 200 and call["state"] == "callback_scheduled"
    status, _, call = connect(desk, call["id"])  # no body at all
    assert status == 200, call
    assert call["state"] == "agent_connected" and call["agent"]
    assert call["callback"]["status"] == "due" and call["callback"]["called_at"]
    assert call["history"][-1]["detail"] == "callback to +15550100"
    types = event_types(desk, call["id"])
    assert types[-2:] == ["call.callback_due", "call.agent_connected"]
    # The original callback job is gone: it does not fire again later.
    assert call_jobs(desk, call["id"]) == ["call.agent_timeout"]
    desk.advance(3600)
    assert event_types(desk, call["id"]).count("call.callback_due") == 1
    assert get(desk, call["id"])["ended_reason"] == "agent_no_response"


def test_connect_only_queued_or_callback(desk):
    call = place(desk)
    status, _, body = connect(desk, call["id"])
    assert status == 409 and body["error"]["code"] == "invalid_state"
    assert body["error"]["details"] == {"state": "ivr"}
    call = queued_nimbus(desk)
    assert connect(desk, call["id"])[0] == 200
    status, _, body = connect(desk, call["id"])
    assert status == 409 and body["error"]["details"] == {"state": "agent_connected"}
    desk.post(f"/v1/calls/{call['id']}/hangup", key=NIMBUS)
    status, _, body = connect(desk, call["id"])
    assert status == 409 and body["error"]["details"] == {"state": "ended"}
    status, _, body = connect(desk, "CALL-NOPE")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, _, body = desk.post(f"/_sim/calls/{call['id']}/connect", data=b"{nope")
    assert status == 400 and body["error"]["code"] == "invalid_json"


# -- ends ---------------------------------------------------------------------------------------
def test_provider_end_is_not_a_customer_hangup(desk):
    call = queued_nimbus(desk)
    status, _, ended = desk.post(f"/_sim/calls/{call['id']}/end")
    assert status == 200 and ended["state"] == "ended"
    assert ended["ended_reason"] == "provider_ended"
    assert event_types(desk, call["id"])[-1] == "call.ended"
    assert call_jobs(desk, call["id"]) == []
    status, _, body = desk.post(f"/_sim/calls/{call['id']}/end")
    assert status == 409 and body["error"]["code"] == "invalid_state"
    status, _, body = desk.post("/_sim/calls/CALL-NOPE/end")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_hangup_cancels_a_scheduled_callback(desk):
    call = queued_nimbus(desk)
    _, _, call = desk.post(
        f"/v1/calls/{call['id']}/callback", {"phone_number": "+15550100"}, key=NIMBUS
    )
    assert call["state"] == "callback_scheduled"
    assert call_jobs(desk, call["id"]) == ["call.callback_due"]
    status, _, call = desk.post(f"/v1/calls/{call['id']}/hangup", key=NIMBUS)
    assert status == 200 and call["ended_reason"] == "customer_hangup"
    assert call_jobs(desk, call["id"]) == []
    desk.advance(3600)
    assert get(desk, call["id"])["ended_reason"] == "customer_hangup"
    assert "call.callback_due" not in event_types(desk, call["id"])


# -- deliveries and the document ----------------------------------------------------------------
def test_deliveries_carry_created_real(desk):
    receiver = Receiver()
    try:
        subscribe(desk, receiver.url, ["call.queued", "call.agent_connected"])
        before = time.time()
        call = queued_nimbus(desk)
        connect(desk, call["id"])
        after = time.time()

        def both_delivered():
            log = desk.get("/_sim/deliveries")[2]["deliveries"]
            done = len(log) == 2 and all(d["status"] == "delivered" for d in log)
            return done and log

        log = desk.wait_until(both_delivered, what="two deliveries")
        assert [d["event_type"] for d in log] == ["call.queued", "call.agent_connected"]
        for entry in log:
            assert isinstance(entry["created_real"], float)
            assert before - 1 <= entry["created_real"] <= after + 1
            assert entry["created_real"] <= entry["attempt_log"][0]["at_unix"]
        assert log[0]["created_real"] <= log[1]["created_real"]
        assert desk.state()["deliveries"][0]["created_real"] == log[0]["created_real"]
    finally:
        receiver.close()


def test_openapi_lists_the_call_sim_controls(desk):
    _, _, doc = desk.get("/openapi.json")
    ivr = doc["paths"]["/_sim/ivr"]["post"]
    assert ivr["tags"] == ["simulation"]
    schema = ivr["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("/SimIvr")
    props = doc["components"]["schemas"]["SimIvr"]["properties"]
    assert props["misheard_digits"]["minimum"] == 0 and props["misheard_digits"]["maximum"] == 10
    assert {"404", "422"} <= set(ivr["responses"])
    for action in ("connect", "end"):
        op = doc["paths"][f"/_sim/calls/{{call_id}}/{action}"]["post"]
        assert {"200", "404", "409"} <= set(op["responses"])
        assert re.search(
            r"/Call$", op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        )
