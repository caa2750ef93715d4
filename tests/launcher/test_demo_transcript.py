"""The demo's transcript prints what happened in the order it happened: a pushed message
before the owner's answer to it, with a real owner inbox receiving pushes over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

from launcher.demo import PUSHED, Line, Transcript, interleave
from launcher.owner_inbox import OwnerInbox

OWNER = "alex-demo"


def push(inbox: OwnerInbox, text: str, recipient: str = OWNER) -> None:
    """What Rasa's callback channel does: POST a bot message to the inbox."""
    body = json.dumps({"recipient_id": recipient, "text": text}).encode()
    request = urllib.request.Request(
        inbox.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def printed(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip()]


@pytest.fixture
def inbox():
    started = OwnerInbox().start()
    try:
        yield started
    finally:
        started.stop()


def test_pushed_messages_sit_between_the_lines_they_arrived_between():
    lines = [
        Line("Owner", "call Nimbus about my bill", 0),
        Line("Stand-in", "You're number 6.", 0),
        Line(None, "4 minutes pass at the service desk", 0),
        Line("Owner", "yes, put me through", 2),
        Line("Stand-in", "Putting Nimbus Telecom through.", 3),
    ]
    pushed = ["now number 4", "Take the call?", "pushed during the turn", "after everything"]
    assert interleave(lines, pushed) == [
        ("Owner", "call Nimbus about my bill"),
        ("Stand-in", "You're number 6."),
        (None, "4 minutes pass at the service desk"),
        (PUSHED, "now number 4"),
        (PUSHED, "Take the call?"),
        ("Owner", "yes, put me through"),
        (PUSHED, "pushed during the turn"),
        ("Stand-in", "Putting Nimbus Telecom through."),
        (PUSHED, "after everything"),
    ]
    # A line can never come before pushes it counted but that are not listed (yet).
    assert interleave([Line("Owner", "hi", 5)], ["only one"]) == [
        (PUSHED, "only one"),
        ("Owner", "hi"),
    ]


def test_the_owners_answer_is_printed_after_the_question_it_answers(inbox, capsys):
    transcript = Transcript(lambda: inbox.texts(OWNER))
    transcript.add("Owner", "call Nimbus about my bill")
    transcript.add("Stand-in", "I'll keep you posted.")
    # Pushed from another thread while the demo waits, as the action server's notices are.
    sender = threading.Thread(
        target=push, args=(inbox, "Nimbus Telecom: on the line now. Take the call?")
    )
    sender.start()
    push(inbox, "for someone else", recipient="another-owner")
    inbox.wait_for(
        lambda ms: any("Take the call?" in (m.get("text") or "") for m in ms),
        recipient=OWNER,
        timeout_s=10,
    )
    transcript.flush()
    transcript.add("Owner", "yes, put me through")
    sender.join(timeout=10)
    push(inbox, "Anything else?")
    transcript.flush()

    assert printed(capsys.readouterr().out) == [
        "Owner: call Nimbus about my bill",
        "Stand-in: I'll keep you posted.",
        "Stand-in*: Nimbus Telecom: on the line now. Take the call?",
        "Owner: yes, put me through",
        "Stand-in*: Anything else?",
    ]


def test_each_line_is_printed_once_however_often_it_flushes(inbox, capsys):
    transcript = Transcript(lambda: inbox.texts(OWNER))
    push(inbox, "Nimbus Telecom: you're now number 4")
    transcript.add(None, "4 minutes pass at the service desk")
    transcript.flush()
    transcript.flush()
    assert printed(capsys.readouterr().out) == [
        "Stand-in*: Nimbus Telecom: you're now number 4",
        "... 4 minutes pass at the service desk ...",
    ]
