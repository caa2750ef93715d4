"""The owner's stamp on messages and signature on pushes (rasa_addons/owner_stamp.py)."""

from __future__ import annotations

from rasa_addons.owner_stamp import (
    STAMP_KEY,
    push_signed,
    sign_push,
    stamp,
    stamped_by_owner,
    token_matches,
)

TOKEN = "owner-stamp-test-token"


def latest(text: str, message_id: str, mark: str | None) -> dict:
    return {"text": text, "message_id": message_id, "metadata": {STAMP_KEY: mark} if mark else {}}


def test_a_stamp_holds_for_its_own_conversation_message_and_words_only():
    mark = stamp(TOKEN, "+15550100", "m1", "yes")
    assert stamped_by_owner(TOKEN, latest("yes", "m1", mark), "+15550100")
    assert not stamped_by_owner(TOKEN, latest("yes", "m2", mark), "+15550100")  # copied over
    assert not stamped_by_owner(TOKEN, latest("yes please", "m1", mark), "+15550100")
    assert not stamped_by_owner(TOKEN, latest("yes", "m1", mark), "someone-else")
    assert not stamped_by_owner("another-owner-token", latest("yes", "m1", mark), "+15550100")
    assert not stamped_by_owner(None, latest("yes", "m1", mark), "+15550100")
    assert not stamped_by_owner(TOKEN, latest("yes", "m1", None), "+15550100")
    assert not stamped_by_owner(TOKEN, {"text": "yes", "metadata": {STAMP_KEY: mark}}, "x")
    # The stamp is not the token, nor a push signature made with it.
    assert mark != TOKEN and mark not in sign_push(TOKEN, b"yes", 0)


def test_a_push_signature_holds_for_its_body_and_time_only():
    body = b'{"recipient_id": "+15550100", "text": "Take the call?"}'
    header = sign_push(TOKEN, body, 1_800_000_000)
    assert push_signed(TOKEN, body, header, now=1_800_000_100)
    assert not push_signed(TOKEN, body + b" ", header, now=1_800_000_100)
    assert not push_signed("another-owner-token", body, header, now=1_800_000_100)
    assert not push_signed(TOKEN, body, header, now=1_800_001_000)  # stale: a replay
    assert not push_signed(TOKEN, body, None)
    assert not push_signed(TOKEN, body, "t=abc,v1=00")
    assert not push_signed(TOKEN, body, "garbage")


def test_tokens_are_compared_whole():
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN, TOKEN[:-1])
    assert not token_matches(TOKEN, "")
    assert not token_matches(None, TOKEN)
