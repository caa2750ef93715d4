"""Meter readings end to end: the owner's words in, an accepted reading at the desk."""

from __future__ import annotations

from launcher.conversation import say


def readings(desk, key: str, meter_id: str) -> list[dict]:
    status, _, body = desk.get(f"/v1/meter-readings?meter_id={meter_id}", key=key)
    assert status == 200, body
    return body["readings"]


def test_water_reading_goes_to_aquaflow_and_is_confirmed_with_its_id(stack, stack_desk):
    replies = say(stack.config.rasa_url, "e2e-meter-1", "my water meter says 1250.7")
    [reading] = readings(stack_desk, "sk-aquaflow-demo", "WM-3341")
    assert reading["value"] == 1250.7 and reading["unit"] == "m3"
    assert reading["id"] in " ".join(replies), replies


def test_lower_reading_and_wrong_unit_are_caught_before_sending(stack, stack_desk):
    sender = "e2e-meter-2"
    replies = say(stack.config.rasa_url, sender, "the gas meter shows 9000")
    assert any("lower than the last accepted reading" in r for r in replies), replies
    replies = say(stack.config.rasa_url, sender, "9130 kWh")
    assert any("counts in m3, not kWh" in r for r in replies), replies
    assert readings(stack_desk, "sk-brightgrid-demo", "G-77121") == []

    replies = say(stack.config.rasa_url, sender, "9130.5")
    [reading] = readings(stack_desk, "sk-brightgrid-demo", "G-77121")
    assert reading["value"] == 9130.5
    assert reading["id"] in " ".join(replies), replies
