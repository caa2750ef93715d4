"""Follow-up end to end: notes, the provider's question, cancel, anything new, the summary.

Needs the merged domain and a retrained model (make test trains first).
"""

from __future__ import annotations

import itertools

from launcher.conversation import say

NIMBUS_KEY = "sk-nimbus-demo"
HOMECARE_KEY = "sk-homecare-demo"
_senders = itertools.count()


def conversation() -> str:
    return f"e2e-follow-up-{next(_senders)}"


def ticket(desk, ticket_id: str, key: str) -> dict:
    status, _, body = desk.get(f"/v1/tickets/{ticket_id}", key=key)
    assert status == 200, body
    return body


def only_ticket(desk, key: str) -> dict:
    status, _, body = desk.get("/v1/tickets", key=key)
    assert status == 200, body
    [found] = body["tickets"]
    return found


def test_note_answer_and_whats_new(stack, stack_desk):
    url, sender = stack.config.rasa_url, conversation()
    say(url, sender, "my internet keeps dropping, can you report it to Nimbus?")
    opened = only_ticket(stack_desk, NIMBUS_KEY)

    replies = say(url, sender, "add to my Nimbus ticket that it happens every evening")
    assert opened["id"] in " ".join(replies), replies
    notes = ticket(stack_desk, opened["id"], NIMBUS_KEY)["notes"]
    assert [n["text"] for n in notes] == ["it happens every evening"]

    say(url, sender, "anything new on my cases?")
    replies = say(url, sender, "anything new on my cases?")
    assert any("Nothing new" in r for r in replies), replies

    stack_desk.advance(46 * 60)
    question = ticket(stack_desk, opened["id"], NIMBUS_KEY)["question"]
    replies = say(url, sender, "what does nimbus want to know")
    assert any(f'Nimbus Telecom asks: "{question}"' in r for r in replies), replies
    replies = say(url, sender, "the power light is on and the internet light blinks red")
    assert any("Delivered" in r and "in progress" in r for r in replies), replies
    after = ticket(stack_desk, opened["id"], NIMBUS_KEY)
    assert after["status"] == "in_progress" and after["question"] is None

    replies = say(url, sender, "what did you do for me today?")
    text = " ".join(replies)
    assert opened["id"] in text and "it happens every evening" in text, replies


def test_cancel_needs_a_yes(stack, stack_desk):
    url, sender = stack.config.rasa_url, conversation()
    say(url, sender, "the fridge is leaking, report it to HomeCare")
    opened = only_ticket(stack_desk, HOMECARE_KEY)

    replies = say(url, sender, "cancel my HomeCare ticket")
    assert any(f"Cancel HomeCare Appliances ticket {opened['id']}" in r for r in replies), replies
    say(url, sender, "no")
    assert ticket(stack_desk, opened["id"], HOMECARE_KEY)["status"] == "open"

    say(url, sender, "cancel my HomeCare ticket")
    replies = say(url, sender, "yes")
    assert any("cancelled" in r for r in replies), replies
    history = ticket(stack_desk, opened["id"], HOMECARE_KEY)["history"]
    assert [h["status"] for h in history].count("cancelled") == 1


def test_a_note_that_did_not_go_through_is_resent_once(stack, stack_desk):
    url, sender = stack.config.rasa_url, conversation()
    say(url, sender, "my internet keeps dropping, can you report it to Nimbus?")
    opened = only_ticket(stack_desk, NIMBUS_KEY)
    stack_desk.post("/_sim/faults", {"error_rate": 1.0, "seed": 5})
    try:
        replies = say(url, sender, "add to my Nimbus ticket that it happens every evening")
    finally:
        stack_desk.post("/_sim/faults", {})
    assert any("NOT been added" in r for r in replies), replies
    assert ticket(stack_desk, opened["id"], NIMBUS_KEY)["notes"] == []
    say(url, sender, "try again")
    say(url, sender, "try again")
    assert len(ticket(stack_desk, opened["id"], NIMBUS_KEY)["notes"]) == 1
