"""Pushed notices end to end: said in their own conversation, whatever its id, and delivered
only once said; a relay that does not take them delays them, never loses them.

(The default owner conversation, the owner's phone number `+15550100`, is what the e2e stack
runs with: every device notice in tests/e2e/test_devices.py goes there.)
"""

from __future__ import annotations

import time
import uuid

import pytest

from launcher.conversation import say
from launcher.stack import Stack
from tests.conftest import DeskProcess, wait_until
from tests.e2e.conftest import stand_in_rows
from tests.e2e.test_calls import NIMBUS, calls

# Ids that must reach Rasa exactly as they are: Rasa's API takes them in the URL path.
ODD_IDS = ["+1 555 0100", "owner/phone", "50%off", "%2B15550100", "josé-ü-€", "a+b c/d%e"]


def queued_notices(stack: Stack, who: str) -> list[dict]:
    return stand_in_rows(
        stack,
        "SELECT id, status, attempts, last_error FROM notices WHERE conversation_id = :c"
        " ORDER BY id",
        c=who,
    )


def said_and_delivered(stack: Stack, who: str, timeout_s: float) -> list[dict]:
    """Wait until the position news reached `who` and its notice is marked delivered."""
    assert stack.inbox is not None
    messages = stack.inbox.wait_for(
        lambda ms: any("now number 4," in (m.get("text") or "") for m in ms),
        recipient=who,
        timeout_s=timeout_s,
    )
    wait_until(
        lambda: [n["status"] for n in queued_notices(stack, who)] == ["delivered"],
        timeout_s=20,
        what="the notice marked delivered once said",
    )
    return messages


def notice_id(stack: Stack, who: str) -> int:
    [notice] = queued_notices(stack, who)
    return int(notice["id"])


@pytest.mark.parametrize("suffix", ODD_IDS)
def test_a_notice_is_said_in_its_conversation_whatever_its_id(
    stack: Stack, call_desk: DeskProcess, suffix: str
):
    who = f"{suffix}-{uuid.uuid4().hex[:6]}"
    since = time.time()
    replies = say(stack.config.rasa_url, who, "call Nimbus about my bill")
    assert any("number 6" in r for r in replies), replies
    call_desk.advance(240)  # two places up: news worth a push
    assert stack.inbox is not None
    said_and_delivered(stack, who, timeout_s=30)
    # Said once, to exactly that id, and to no look-alike.
    said = [
        m
        for m in stack.inbox.messages()
        if m["received_at"] >= since and m.get("notice_id") == notice_id(stack, who)
    ]
    assert [m["recipient_id"] for m in said] == [who]


def test_a_notice_the_relay_does_not_take_is_retried_and_said_once(
    stack: Stack, call_desk: DeskProcess
):
    """The owner's relay is down when the news comes: Rasa's push fails, so the notice is not
    delivered and is retried with backoff; once the relay is back it is said, once."""
    assert stack.inbox is not None
    who = f"e2e-relay-{uuid.uuid4().hex[:6]}"
    say(stack.config.rasa_url, who, "call Nimbus about my bill")
    assert [c["state"] for c in calls(call_desk, NIMBUS)] == ["queued"]
    stack.inbox.available = False
    try:
        call_desk.advance(240)
        wait_until(
            lambda: any(
                n["attempts"] >= 2 and n["status"] in ("pending", "sending")
                for n in queued_notices(stack, who)
            ),
            timeout_s=60,
            what="the notice retried after the relay refused it",
        )
        [notice] = queued_notices(stack, who)
        assert "500" in (notice["last_error"] or ""), notice  # Rasa: the push failed
        assert stack.inbox.texts(who) == []
    finally:
        stack.inbox.available = True
    messages = said_and_delivered(stack, who, timeout_s=90)
    [notice] = queued_notices(stack, who)
    said = [m for m in stack.inbox.messages(who) if "now number 4," in (m.get("text") or "")]
    assert len(said) == 1, messages
    # Each pushed message names its notice, so a relay can drop a repeat.
    assert said[0]["notice_id"] == notice["id"]
