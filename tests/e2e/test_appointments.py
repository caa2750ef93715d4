"""Appointments end to end: the owner's words in, an appointment at the desk (or not)."""

from __future__ import annotations

from launcher.conversation import say

VOLTRA = "sk-voltra-demo"


def appointments(desk, key: str = VOLTRA) -> list[dict]:
    status, _, body = desk.get("/v1/appointments", key=key)
    assert status == 200, body
    return body["appointments"]


def test_book_a_car_repair_the_owner_picks_and_it_is_confirmed(stack, stack_desk):
    sender = "e2e-appt-1"
    replies = say(stack.config.rasa_url, sender, "I need a repair appointment for my car")
    shown = " ".join(replies)
    assert "1. " in shown and "5. " in shown and "6. " not in shown, replies
    assert appointments(stack_desk) == []  # shown, never picked for the owner
    replies = say(stack.config.rasa_url, sender, "the second")
    [appt] = appointments(stack_desk)
    assert appt["status"] == "booked"
    assert appt["id"] in " ".join(replies), replies


def test_a_taken_slot_gets_fresh_slots_then_cancel_needs_a_yes(stack, stack_desk):
    sender = "e2e-appt-2"
    replies = say(stack.config.rasa_url, sender, "book the fridge repair")
    status, _, body = stack_desk.get("/v1/appointments/slots", key="sk-homecare-demo")
    first = body["slots"][0]["slot_id"]
    stack_desk.post(f"/_sim/slots/{first}/take", {})
    replies = say(stack.config.rasa_url, sender, "the first one")
    assert any("took that slot" in r for r in replies), replies
    assert appointments(stack_desk, "sk-homecare-demo") == [], replies
    replies = say(stack.config.rasa_url, sender, "the first one")
    [appt] = appointments(stack_desk, "sk-homecare-demo")
    assert appt["id"] in " ".join(replies), replies

    replies = say(stack.config.rasa_url, sender, "cancel my appointment")
    assert any(appt["id"] in r and "Yes or no" in r for r in replies), replies
    assert appointments(stack_desk, "sk-homecare-demo")[0]["status"] == "booked"
    say(stack.config.rasa_url, sender, "yes")
    assert appointments(stack_desk, "sk-homecare-demo")[0]["status"] == "cancelled"
