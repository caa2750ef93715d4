"""Talk to Stand-in through Rasa's REST channel, and read the service desk, for demo and tests."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any


def http_json(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 60.0,
) -> tuple[int, Any]:
    """One JSON request; returns (status, parsed body or None). HTTP errors are returned too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw = err.read()
        status = err.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def owner_headers(token: str | None = None) -> dict[str, str]:
    """The owner's credential for Rasa's rest and callback channels: `token`, else
    STANDIN_OWNER_TOKEN (which the launcher sets when it makes one)."""
    token = token or os.environ.get("STANDIN_OWNER_TOKEN", "")
    return {"Authorization": f"Bearer {token}"} if token else {}


def say(
    rasa_url: str, sender: str, text: str, timeout_s: float = 120.0, token: str | None = None
) -> list[str]:
    """Send one owner message over the REST channel; return the assistant's replies as text."""
    status, replies = http_json(
        "POST",
        f"{rasa_url}/webhooks/rest/webhook",
        {"sender": sender, "message": text},
        headers=owner_headers(token),
        timeout_s=timeout_s,
    )
    if status != 200 or not isinstance(replies, list):
        raise RuntimeError(f"Rasa answered {status}: {replies}")
    out = []
    for reply in replies:
        line = reply.get("text") or ""
        buttons = reply.get("buttons") or []
        if buttons:
            line += " [" + " | ".join(b.get("title", "") for b in buttons) + "]"
        out.append(line)
    return out
