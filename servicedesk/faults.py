"""Injected faults for /v1 calls, decided before the handler runs so a failure changes nothing."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from .errors import ApiError


class FaultInjector:
    def __init__(self, default_timeout_s: float) -> None:
        self.default_timeout_s = default_timeout_s
        self.config: dict[str, Any] = {}
        self._rng = random.Random()

    def configure(self, config: dict[str, Any]) -> None:
        """Replace the whole fault set; `{}` clears it."""
        self.config = {k: v for k, v in config.items() if v is not None}
        self._rng = random.Random(self.config.get("seed"))

    def clear(self) -> None:
        self.configure({})

    def describe(self) -> dict[str, Any]:
        return {
            "error_rate": self.config.get("error_rate", 0.0),
            "latency_ms": list(self.config["latency_ms"]) if "latency_ms" in self.config else None,
            "timeout_rate": self.config.get("timeout_rate", 0.0),
            "rate_limit_rate": self.config.get("rate_limit_rate", 0.0),
            "seed": self.config.get("seed"),
            "timeout_s": self.config.get("timeout_s", self.default_timeout_s),
            "active": bool(self.config.keys() - {"seed", "timeout_s"}),
        }

    async def inject(self) -> None:
        """Maybe delay, then maybe raise the injected error. Draw order is fixed for seeds."""
        cfg = self.config
        if not cfg:
            return
        rng = self._rng
        latency = cfg.get("latency_ms")
        if latency:
            await asyncio.sleep(rng.uniform(latency[0], latency[1]) / 1000)
        timeout_hit = rng.random() < cfg.get("timeout_rate", 0.0)
        limit_hit = rng.random() < cfg.get("rate_limit_rate", 0.0)
        error_hit = rng.random() < cfg.get("error_rate", 0.0)
        if timeout_hit:
            await asyncio.sleep(cfg.get("timeout_s", self.default_timeout_s))
            raise ApiError(
                504, "injected_timeout", "The service desk timed out (injected fault).", {}
            )
        if limit_hit:
            raise ApiError(
                429,
                "rate_limited",
                "Too many requests (injected fault); retry after 1 second.",
                {"retry_after_s": 1, "injected": True},
                {"Retry-After": "1"},
            )
        if error_hit:
            raise ApiError(
                503, "injected_error", "The service desk is unavailable (injected fault).", {}
            )
