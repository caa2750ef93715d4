"""One request Stand-in sent to a company (one audit row), as a case summary lists it: its kind
and a short line on what it said, never what the audit log withheld."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from actions.providers.desk_audit import AuditEntry

KINDS = (
    "ticket",
    "note",
    "cancel",
    "escalate",
    "appointment",
    "appointment_change",
    "parts_order",
    "other",
)
WITHHELD = "[withheld]"
DETAIL_MAX = 120

_TICKET_ACTION = re.compile(r"^/v1/tickets/[^/]+/(notes|cancel|escalate)$")
_APPOINTMENT_CHANGE = re.compile(r"^/v1/appointments/[^/]+/(reschedule|cancel)$")
_TICKET_ACTION_KIND = {"notes": "note", "cancel": "cancel", "escalate": "escalate"}


@dataclass(frozen=True)
class RequestLine:
    """One request sent to a company (one audit row)."""

    at: datetime
    kind: str  # one of KINDS
    outcome: str  # ok / rejected / unavailable / unknown
    resource_id: str | None
    detail: str  # short; "[withheld]" for anything redacted
    provider: str = ""
    error_code: str | None = None


def request_kind(method: str, path: str) -> str:
    """What kind of request `method path` was (one of KINDS)."""
    if method.upper() != "POST":
        return "other"
    base = path.split("?", 1)[0].rstrip("/")
    if base == "/v1/tickets":
        return "ticket"
    found = _TICKET_ACTION.match(base)
    if found:
        return _TICKET_ACTION_KIND[found.group(1)]
    if base == "/v1/appointments":
        return "appointment"
    if _APPOINTMENT_CHANGE.match(base):
        return "appointment_change"
    if base == "/v1/parts/orders":
        return "parts_order"
    return "other"


def _withheld(value: Any) -> bool:
    if isinstance(value, str):
        return value.lstrip().startswith("[withheld")
    if isinstance(value, Mapping):
        return value.get("redacted") is True or any(_withheld(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_withheld(v) for v in value)
    return False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


def request_detail(entry: AuditEntry, kind: str | None = None) -> str:
    """A short line on what the request said; "[withheld]" when its body was redacted."""
    body = entry.request_body
    if _withheld(body):
        return WITHHELD
    kind = kind or request_kind(entry.method, entry.path)
    fields = body if isinstance(body, Mapping) else {}

    def get(name: str) -> str:
        value = fields.get(name)
        return "" if value is None else str(value)

    if kind == "ticket":
        text = get("summary")
    elif kind == "note":
        text = get("text")
    elif kind in ("cancel", "escalate"):
        text = get("reason")
    elif kind == "appointment":
        text = get("slot_id")
    elif kind == "appointment_change":
        base = entry.path.split("?", 1)[0].rstrip("/")
        text = f"reschedule to {get('slot_id')}" if base.endswith("/reschedule") else "cancel"
    elif kind == "parts_order":
        text = f"{fields.get('quantity') or 1} x {get('sku')}"
    else:
        text = f"{entry.method} {entry.path}"
    return _short(text)


def request_line(entry: AuditEntry) -> RequestLine:
    kind = request_kind(entry.method, entry.path)
    return RequestLine(
        at=entry.at,
        kind=kind,
        outcome=entry.outcome,
        resource_id=entry.resource_id,
        detail=request_detail(entry, kind),
        provider=entry.provider,
        error_code=entry.error_code,
    )
