"""How a request to a service desk failed, sorted by what the caller must tell the owner.

- DeskUnavailable: the request did not go through (nothing reached the desk, or it said 5xx/429);
- DeskTimeout: no answer in time, so the outcome is unknown (retrying with the same key is safe);
- DeskRejected: the desk answered 4xx with its error shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DeskError(Exception):
    """Base class for every service-desk failure."""


class DeskUnavailable(DeskError):
    """The request did not go through: connection failed or the desk answered 5xx/429."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DeskTimeout(DeskError):
    """No answer within the time limit: the request may or may not have been processed."""


class DeskRejected(DeskError):
    """A 4xx answer in the desk's error shape."""

    def __init__(self, status: int, code: str, message: str, details: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details)

    @property
    def fields(self) -> list[str]:
        """The request fields the desk named as invalid, if any."""
        entries = self.details.get("fields") or []
        return [str(e.get("field")) for e in entries if isinstance(e, dict) and e.get("field")]
