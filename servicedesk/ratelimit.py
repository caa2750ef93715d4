"""Token-bucket rate limit per API key (burst equal to the rate)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self.rate = rate

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self._buckets.clear()

    def check(self, key: str) -> int | None:
        """Take a token for `key`; None if allowed, else whole seconds to wait."""
        if self.rate <= 0:
            return None
        now = self._clock()
        capacity = max(self.rate, 1.0)
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))
