"""Conversation ids in Rasa's HTTP API mean what they say, whatever characters they hold.

Rasa 3.6 routes `/conversations/<conversation_id:path>/…` without percent-decoding the id, so
a client that encodes the id as HTTP requires (`+15550100` as `%2B15550100`, a space as `%20`)
reached a different conversation than the one the owner writes in: Stand-in's notices to the
default owner conversation, the owner's phone number, were never said. This request middleware
decodes the matched id once, after routing, so `/` (`%2F`) stays inside the id and `%` itself
(`%25`) comes through. Applied by `launcher/rasa_server.py` to every Rasa it starts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

_applied = False


async def decode_conversation_id(request: Any) -> None:
    """Replace the matched `conversation_id` with its percent-decoded form."""
    raw = (request.match_info or {}).get("conversation_id")
    if isinstance(raw, str) and "%" in raw:
        request.match_info = {**request.match_info, "conversation_id": unquote(raw)}


def apply() -> None:
    """Wrap `rasa.server.create_app` so every API app it builds decodes conversation ids."""
    global _applied
    if _applied:
        return
    import rasa.server

    original = rasa.server.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        app.register_middleware(decode_conversation_id, "request")
        return app

    rasa.server.create_app = create_app
    _applied = True
