"""Idempotency keys for requests sent to a company.

A key is derived from the conversation, the owner message that led to the request and the
request body, so re-running the same action for the same turn (a Rasa retry, an action-server
restart) produces the same key and the desk answers with the original result instead of
creating a second one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def request_key(conversation_id: str, turn_marker: str, kind: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"c": conversation_id, "t": turn_marker, "k": kind, "b": body},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return "standin-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]
