"""The owner's credential on Stand-in's channels, shared by the three sides that need it.

- Rasa's `rest` and `callback` channels (`rasa_addons.owner_channels`) take a message only with
  the owner's token (`STANDIN_OWNER_TOKEN`), and stamp each message they take with a MAC over
  its conversation, message id and text. The action server (`actions.handoff.consents`) records a
  yes to a cost or a cancellation only from a message carrying a valid stamp: the stamp is made
  with a key only holders of the token have, and it names a message id the channel chose, so
  it can neither be forged nor copied onto another message by a channel that lets its client
  set metadata (stock socket.io does).
- What Stand-in pushes to the owner's relay (`STANDIN_CALLBACK_URL`) is signed with the same
  token, so the relay can refuse anything that did not come from Stand-in.

Standard library only: the action server and the launcher import this without Rasa.
"""

from __future__ import annotations

import hashlib
import hmac
import time

# The metadata key the channels stamp and the action server checks.
STAMP_KEY = "standin_owner"
# The header pushed messages carry: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t." + body>`.
PUSH_SIGNATURE_HEADER = "X-StandIn-Signature"
PUSH_TOLERANCE_S = 300
MIN_TOKEN_LENGTH = 16


def _stamp_key(token: str) -> bytes:
    # A key of its own, so a stamp is never also a valid push signature or the token.
    return hmac.new(token.encode(), b"stand-in owner message", hashlib.sha256).digest()


def stamp(token: str, conversation_id: str, message_id: str, text: str | None) -> str:
    """The stamp of one owner message, taken by a channel that checked the owner's token."""
    data = "\n".join((conversation_id, message_id, text or "")).encode()
    return hmac.new(_stamp_key(token), data, hashlib.sha256).hexdigest()


def stamped_by_owner(token: str | None, latest_message: dict, conversation_id: str) -> bool:
    """Whether `latest_message` (a tracker's, as the action server gets it) came through a
    channel that checked the owner's token, for this conversation, with this text."""
    if not token:
        return False
    metadata = latest_message.get("metadata") or {}
    given = metadata.get(STAMP_KEY) if isinstance(metadata, dict) else None
    message_id = latest_message.get("message_id")
    if not isinstance(given, str) or not isinstance(message_id, str) or not message_id:
        return False
    expected = stamp(token, conversation_id, message_id, latest_message.get("text"))
    return hmac.compare_digest(expected, given)


def sign_body(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body>`: the signature scheme of
    the provider webhooks (`X-ServiceDesk-Signature`) and of Stand-in's pushes alike."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def body_signed(
    secret: str, body: bytes, header: str | None, tolerance_s: float, now: float | None = None
) -> bool:
    """True when `header` signs exactly `body` with `secret`, within `tolerance_s` of now.
    Several v1 values are allowed, so a sender can sign with an old and a new secret."""
    if not header:
        return False
    timestamps: list[str] = []
    macs: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep and key == "t":
            timestamps.append(value)
        elif sep and key == "v1":
            macs.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not macs:
        return False
    timestamp = int(timestamps[0])
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = sign_body(secret, body, timestamp).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, mac) for mac in macs)


def sign_push(token: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for a message pushed to the owner's relay."""
    return sign_body(token, body, int(time.time()) if timestamp is None else timestamp)


def push_signed(token: str, body: bytes, header: str | None, now: float | None = None) -> bool:
    """Whether `header` signs exactly `body` with `token`, within five minutes of now."""
    return body_signed(token, body, header, PUSH_TOLERANCE_S, now)


def token_matches(token: str | None, given: str | None) -> bool:
    """Constant-time comparison of a presented credential with the owner's token."""
    if not token or not given:
        return False
    return hmac.compare_digest(token.encode(), given.encode())
