"""Meter readings, run on real trackers against the real service desk."""

from __future__ import annotations

from actions.journeys.meter_readings import (
    ActionSubmitMeterReading,
    ValidateMeterReadingForm,
    find_meter,
)
from actions.runtime import services
from tests.actions.conftest import make_tracker, responses, run_action, slot_events

AQUAFLOW_KEY = "sk-aquaflow-demo"


def readings(desk, key=AQUAFLOW_KEY, meter_id="WM-3341") -> list[dict]:
    status, _, body = desk.get(f"/v1/meter-readings?meter_id={meter_id}", key=key)
    assert status == 200, body
    return body["readings"]


def validate(domain, text, slots, requested=None, intent="submit_meter_reading"):
    tracker = make_tracker(
        domain,
        text,
        intent=intent,
        slots={**slots, "requested_slot": requested},
        active_loop="meter_reading_form",
    )
    tracker.events.extend({"event": "slot", "name": k, "value": v} for k, v in slots.items())
    return run_action(ValidateMeterReadingForm(), tracker, domain)


def test_meters_are_found_by_kind_id_or_provider(standin_env):
    svc = services()
    assert find_meter(svc, "my water meter")[1].id == "WM-3341"
    assert find_meter(svc, "the electric one")[1].id == "E-77120"
    assert find_meter(svc, "G-77121")[1].id == "G-77121"
    assert find_meter(svc, "aquaflow")[1].id == "WM-3341"
    assert find_meter(svc, "brightgrid") is None  # two meters there: ask
    assert find_meter(svc, "the telly") is None


def test_a_plausible_reading_passes_and_the_value_is_read_from_the_words(standin_env, domain):
    text = "my water meter says 1250.7"
    _, events = validate(domain, text, {"reading_meter": "water"})
    slots = slot_events(events)
    assert slots["reading_meter"] == "WM-3341"
    assert slots["reading_value"] == 1250.7


def test_a_reading_lower_than_the_last_is_caught_before_sending(standin_env, domain):
    messages, events = validate(domain, "my water meter says 1100", {"reading_meter": "water"})
    assert slot_events(events)["reading_value"] is None
    assert responses(messages) == ["utter_reading_lower_than_last"]
    assert messages[0]["last_value"] == "1204.2"
    assert readings(standin_env) == []


def test_a_wrong_unit_is_caught_before_sending(standin_env, domain):
    messages, events = validate(
        domain,
        "my water meter says 1250 kWh",
        {"reading_meter": "water", "reading_unit": "kWh"},
    )
    slots = slot_events(events)
    assert slots["reading_value"] is None and slots["reading_unit"] is None
    assert responses(messages) == ["utter_reading_wrong_unit"]
    assert messages[0]["expected_unit"] == "m3"


def test_unknown_meter_is_asked_again(standin_env, domain):
    messages, events = validate(domain, "the telly", {"reading_meter": "telly"}, "reading_meter")
    assert slot_events(events)["reading_meter"] is None
    assert responses(messages) == ["utter_no_such_meter"]


def test_submit_confirms_with_the_accepted_reading_and_its_id(standin_env, domain):
    tracker = make_tracker(
        domain, "1250.7", slots={"reading_meter": "WM-3341", "reading_value": 1250.7}
    )
    messages, events = run_action(ActionSubmitMeterReading(), tracker, domain)
    [reading] = readings(standin_env)
    assert responses(messages) == ["utter_reading_accepted"]
    assert messages[0]["reading_id"] == reading["id"]
    assert reading["value"] == 1250.7 and reading["unit"] == "m3"
    assert slot_events(events)["reading_value"] is None
    again, _ = run_action(ActionSubmitMeterReading(), tracker, domain)
    assert again[0]["reading_id"] == reading["id"]  # the same turn never submits twice
    assert len(readings(standin_env)) == 1


def test_desk_failing_keeps_the_reading_to_resend(standin_env, domain):
    standin_env.post("/_sim/faults", {"error_rate": 1.0})
    tracker = make_tracker(
        domain, "48300", slots={"reading_meter": "E-77120", "reading_value": 48300.0}
    )
    try:
        messages, events = run_action(ActionSubmitMeterReading(), tracker, domain)
    finally:
        standin_env.post("/_sim/faults", {})
    assert responses(messages) == ["utter_reading_not_sent"]
    pending = slot_events(events)["pending_request"]
    assert pending["kind"] == "meter_reading" and pending["provider"] == "brightgrid-energy"
    assert readings(standin_env, "sk-brightgrid-demo", "E-77120") == []


def test_desk_refusing_reopens_the_form(standin_env, domain):
    # The desk's own check (a value below the last) when ours had nothing to compare with.
    tracker = make_tracker(
        domain, "9000", slots={"reading_meter": "G-77121", "reading_value": 9000.0}
    )
    messages, events = run_action(ActionSubmitMeterReading(), tracker, domain)
    assert responses(messages) == ["utter_reading_rejected"]
    assert {"event": "active_loop", "name": "meter_reading_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert readings(standin_env, "sk-brightgrid-demo", "G-77121") == []


def test_try_again_resends_the_kept_reading_once(standin_env, domain):
    from actions.journeys.try_again import ActionRetryPendingRequest

    standin_env.post("/_sim/faults", {"error_rate": 1.0})
    tracker = make_tracker(
        domain, "1250.7", slots={"reading_meter": "WM-3341", "reading_value": 1250.7}
    )
    try:
        _, events = run_action(ActionSubmitMeterReading(), tracker, domain)
    finally:
        standin_env.post("/_sim/faults", {})
    pending = slot_events(events)["pending_request"]
    retry = make_tracker(domain, "try again", "try_again", slots={"pending_request": pending})
    messages, events = run_action(ActionRetryPendingRequest(), retry, domain)
    assert responses(messages) == ["utter_reading_accepted"]
    assert slot_events(events)["pending_request"] is None
    run_action(ActionRetryPendingRequest(), retry, domain)  # a second resend of the same
    assert len(readings(standin_env)) == 1


def test_a_form_reopened_by_a_refusal_waits_for_a_new_answer(standin_env, domain):
    tracker = make_tracker(domain, "the gas meter shows 9000", slots={"reading_meter": "G-77121"})
    tracker.events.append({"event": "action", "name": "action_submit_meter_reading"})
    from actions.journeys.try_again import answering_now

    assert not answering_now(tracker)
    tracker.events.append({"event": "user", "text": "9130.5"})
    assert answering_now(tracker)
