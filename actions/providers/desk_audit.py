"""The audit record of one request to a provider, which the desk client hands to its sink.

Every request, once it has finished (answered or finally failed), becomes an `AuditEntry`:
what was sent, to which provider, for which conversation, and how it ended. Headers are never
recorded. The sink is injected (the runtime passes the case memory's `record_request`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

OUTCOMES = ("ok", "rejected", "unavailable", "unknown")
DIRECTORY = "directory"  # the audit's provider for directory reads, which serve every provider

# What the audit log holds instead of an answer only the owner knows.
WITHHELD = "[withheld: identity answer, not kept]"


@dataclass(frozen=True)
class AuditEntry:
    """One request sent to a provider, after it finished (success or final failure)."""

    at: datetime
    provider: str
    method: str
    path: str
    outcome: str  # one of OUTCOMES
    attempts: int
    duration_ms: int
    conversation_id: str | None = None
    idempotency_key: str | None = None
    request_body: Any = None  # the JSON body as sent; headers are never recorded
    status: int | None = None
    error_code: str | None = None
    resource_id: str | None = None
    id: int | None = None


# Called (in a worker thread) with each finished request; see CaseMemory.record_request.
AuditSink = Callable[[AuditEntry], object]
