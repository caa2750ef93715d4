"""The owner inbox, as the owner's relay: it takes only what Stand-in signed."""

from __future__ import annotations

import json

from launcher.conversation import http_json
from launcher.owner_inbox import OwnerInbox
from rasa_addons.owner_stamp import PUSH_SIGNATURE_HEADER, sign_push

TOKEN = "owner-inbox-test-token"


def test_only_signed_pushes_are_taken_and_a_down_inbox_takes_none():
    inbox = OwnerInbox(token=TOKEN).start()
    try:
        message = {"recipient_id": "+15550100", "text": "Take the call?"}
        body = json.dumps(message).encode()
        status, _ = http_json("POST", inbox.url, message)
        assert status == 401
        forged = {PUSH_SIGNATURE_HEADER: sign_push("another-token-entirely", body)}
        assert http_json("POST", inbox.url, message, headers=forged)[0] == 401
        signed = {PUSH_SIGNATURE_HEADER: sign_push(TOKEN, body)}
        inbox.available = False
        assert http_json("POST", inbox.url, message, headers=signed)[0] == 503
        assert inbox.messages() == []
        inbox.available = True
        assert http_json("POST", inbox.url, message, headers=signed)[0] == 200
        assert inbox.texts("+15550100") == ["Take the call?"]
    finally:
        inbox.stop()
