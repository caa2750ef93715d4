"""The action server's clock: now in UTC, and UTC times as the store keeps them.

The database columns hold naive UTC (SQLite has no time zones); every time leaving the store
is aware again, so no caller ever compares a naive time with an aware one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def naive_utc(value: Any) -> datetime | None:
    """A naive UTC datetime for the database, from an ISO string or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def aware_utc(value: datetime | None) -> datetime | None:
    """A naive UTC time read from the database, made aware again."""
    return value.replace(tzinfo=timezone.utc) if value is not None else None
