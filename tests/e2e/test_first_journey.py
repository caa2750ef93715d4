"""The first journey end to end: the owner's words in, a real ticket at the desk, read back."""

from __future__ import annotations

import itertools
import re

from launcher.conversation import say

NIMBUS_KEY = "sk-nimbus-demo"
_senders = itertools.count()


def new_owner_conversation() -> str:
    return f"e2e-owner-{next(_senders)}"


def tickets(desk, key: str) -> list[dict]:
    status, _, body = desk.get("/v1/tickets", key=key)
    assert status == 200, body
    return body["tickets"] if isinstance(body, dict) else body


def test_report_then_status(stack, stack_desk):
    sender = new_owner_conversation()
    replies = say(
        stack.config.rasa_url, sender, "my internet keeps dropping, can you report it to Nimbus?"
    )
    text = " ".join(replies)
    [ticket] = tickets(stack_desk, NIMBUS_KEY)
    assert ticket["id"] in text
    assert "Nimbus Telecom" in text
    assert ticket["category"] == "internet"
    assert ticket["on_behalf_of"]["name"] == "Alex Morgan"
    assert ticket["client"]["software"].startswith("Stand-in/")
    assert "picks it up" in text  # what happens next

    replies = say(stack.config.rasa_url, sender, "what's the status of my Nimbus ticket?")
    assert ticket["id"] in " ".join(replies)
    assert "is open" in " ".join(replies)

    stack_desk.advance(20 * 60)
    replies = say(stack.config.rasa_url, sender, "any news on my NIMBUS ticket")
    assert "in progress" in " ".join(replies)


def test_the_owners_device_says_which_company(stack, stack_desk):
    replies = say(stack.config.rasa_url, new_owner_conversation(), "the fridge is leaking")
    [ticket] = tickets(stack_desk, "sk-homecare-demo")
    assert ticket["id"] in " ".join(replies), replies
    assert ticket["category"] == "repair"
    assert ticket["device_id"] == "FR-88-2210"


def test_asks_only_for_what_it_cannot_infer(stack, stack_desk):
    sender = new_owner_conversation()
    replies = say(stack.config.rasa_url, sender, "the dishwasher is broken")
    assert any("Which company" in r for r in replies), replies
    assert tickets(stack_desk, "sk-homecare-demo") == []

    replies = say(stack.config.rasa_url, sender, "home care")
    [ticket] = tickets(stack_desk, "sk-homecare-demo")
    assert ticket["id"] in " ".join(replies)
    assert ticket["category"] == "repair"
    assert ticket.get("device_id") is None


def test_unknown_provider_gets_the_list_and_nothing_is_sent(stack, stack_desk):
    sender = new_owner_conversation()
    replies = say(stack.config.rasa_url, sender, "my parcel never arrived, report it to Acme")
    text = " ".join(replies)
    assert "Acme" in text and "Nimbus Telecom" in text and "Voltra Motors" in text, replies
    state = stack_desk.state()
    assert state["tickets"] == []

    replies = say(stack.config.rasa_url, sender, "stop")
    assert any("Nothing was sent" in r for r in replies), replies


def test_desk_failing_is_told_plainly_and_retry_opens_exactly_one(stack, stack_desk):
    sender = new_owner_conversation()
    stack_desk.post("/_sim/faults", {"error_rate": 1.0, "seed": 3})
    replies = say(
        stack.config.rasa_url, sender, "the wifi keeps disconnecting, please tell Nimbus Telecom"
    )
    stack_desk.post("/_sim/faults", {})
    text = " ".join(replies)
    assert "NOT been opened" in text, replies
    assert not re.search(r"TCK-\w+", text)
    assert tickets(stack_desk, NIMBUS_KEY) == []

    replies = say(stack.config.rasa_url, sender, "try again")
    [ticket] = tickets(stack_desk, NIMBUS_KEY)
    assert ticket["id"] in " ".join(replies)
    replies = say(stack.config.rasa_url, sender, "try again")
    assert any("nothing waiting" in r for r in replies), replies
    assert len(tickets(stack_desk, NIMBUS_KEY)) == 1


def test_a_description_too_long_for_the_desk_becomes_a_question(stack, stack_desk):
    sender = new_owner_conversation()
    # The desk takes descriptions up to 5,000 characters; this one is longer.
    rambling = "my internet keeps dropping, report it to Nimbus. " + (
        "My internet keeps dropping and the router restarts. " * 100
    )
    replies = say(stack.config.rasa_url, sender, rambling)
    text = " ".join(replies)
    assert "longer than Nimbus Telecom accepts" in text, replies
    assert "What's going wrong?" in text, replies
    assert tickets(stack_desk, NIMBUS_KEY) == []

    replies = say(stack.config.rasa_url, sender, "the internet drops every evening")
    [ticket] = tickets(stack_desk, NIMBUS_KEY)
    assert ticket["id"] in " ".join(replies)
    assert ticket["description"] == "the internet drops every evening"
    assert ticket["category"] == "internet"
