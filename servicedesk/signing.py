"""Webhook signatures: `X-ServiceDesk-Signature: t=<unix>,v1=<hex hmac-sha256("t.body")>`.

Stand-in's webhook receiver imports `verify` from here, so both sides agree byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-ServiceDesk-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (Unix seconds, real time)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """True when `header` signs exactly `body` with `secret` and is no older than tolerance."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    # Replay protection: an old signature is refused even when it matches.
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))
