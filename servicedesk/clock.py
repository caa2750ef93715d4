"""The simulated clock: real time scaled, plus whatever /_sim/advance added.

Times inside the desk are float Unix seconds; they become ISO 8601 UTC only at the edges.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone


class SimClock:
    def __init__(
        self, start: float, scale: float, real: Callable[[], float] = time.monotonic
    ) -> None:
        self._scale = scale
        self._real = real
        self._anchor_sim = start
        self._anchor_real = real()

    def now(self) -> float:
        return self._anchor_sim + (self._real() - self._anchor_real) * self._scale

    def set(self, sim_time: float) -> None:
        """Re-anchor so that now() == sim_time (used on boot and reset)."""
        self._anchor_sim = sim_time
        self._anchor_real = self._real()

    def advance(self, seconds: float) -> float:
        self._anchor_sim += seconds
        return self.now()


def to_iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_datetime(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def parse_iso(raw: str) -> float:
    """ISO 8601 to Unix seconds; a time without zone is taken as UTC. Raises ValueError."""
    return from_datetime(datetime.fromisoformat(raw.strip().replace("Z", "+00:00")))
