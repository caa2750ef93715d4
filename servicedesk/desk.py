"""The running desk: settings, store, clock, faults, limiter and background tasks in one object."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from . import seed, simulation
from .clock import SimClock, from_datetime, to_iso
from .config import Settings
from .faults import FaultInjector
from .ratelimit import RateLimiter
from .store import Store
from .webhooks import DeliveryWorker

log = logging.getLogger("servicedesk")

SEED_READING_AGE_S = 30 * 24 * 3600  # seeded meter readings are a month old at first boot


class Desk:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.db_path)
        self.faults = FaultInjector(settings.timeout_fault_s)
        self.limiter = RateLimiter(settings.rate_limit)
        self.worker = DeliveryWorker(
            self.store,
            settings.webhook_max_attempts,
            settings.webhook_backoff_s,
            settings.webhook_backoff_cap_s,
        )
        self._tasks: list[asyncio.Task[None]] = []
        with self.store.tx():
            start = self.store.get_meta("sim_start")
            if start is None:
                # First boot of this database: fix the start of simulated time and seed.
                first = settings.start_time
                start_ts = from_datetime(first) if first else time.time()
                self.store.set_meta("sim_start", repr(start_ts))
                self.store.set_meta("sim_checkpoint", repr(start_ts))
                self._seed(start_ts)
            checkpoint = float(self.store.get_meta("sim_checkpoint") or start_ts)
        # A restart resumes simulated time where it was last checkpointed.
        self.clock = SimClock(checkpoint, settings.time_scale)
        self._last_checkpoint = time.monotonic()

    @property
    def sim_start(self) -> float:
        return float(self.store.get_meta("sim_start") or 0.0)

    def now(self) -> float:
        return self.clock.now()

    def _seed(self, start_ts: float) -> None:
        read_at = start_ts - SEED_READING_AGE_S
        for account_id, account in seed.ACCOUNTS.items():
            for m in account["meters"]:
                self.store.conn.execute(
                    "INSERT INTO meters (meter_id, account_id, kind, unit, last_value,"
                    " last_read_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (m["meter_id"], account_id, m["kind"], m["unit"], m["initial_value"], read_at),
                )

    def checkpoint(self) -> None:
        with self.store.tx():
            self.store.set_meta("sim_checkpoint", repr(self.clock.now()))
        self._last_checkpoint = time.monotonic()

    def process_due(self) -> int:
        return simulation.process_due(self.store, self.clock.now())

    def advance(self, seconds: float) -> int:
        """Move simulated time on and run everything due on the way, in time order."""
        self.clock.advance(seconds)
        processed = 0
        while True:
            n = simulation.process_due(self.store, self.clock.now())
            processed += n
            if n == 0:
                break
        self.checkpoint()
        self.worker.wake.set()
        return processed

    def reset(self) -> None:
        """Back to the seeded state at the original start of simulated time."""
        start = self.sim_start
        with self.store.tx():
            self.store.wipe()
            self._seed(start)
            self.store.set_meta("sim_checkpoint", repr(start))
        self.clock.set(start)
        self.faults.clear()
        self.limiter.set_rate(self.settings.rate_limit)

    def notify_outbox(self) -> None:
        self.worker.wake.set()

    # -- background -------------------------------------------------------------------------------
    async def _tick(self) -> None:
        while True:
            try:
                processed = self.process_due()
                if processed:
                    self.worker.wake.set()
                if time.monotonic() - self._last_checkpoint >= 1.0:
                    self.checkpoint()
            except Exception:  # keep ticking; the error is in the log
                log.exception("background tick failed")
                processed = 0
            # A full batch means more is due: yield to requests, then carry on at once.
            await asyncio.sleep(0 if processed >= 10_000 else self.settings.tick_interval_s)

    def start_background(self) -> None:
        self.worker.recover()
        self._tasks = [
            asyncio.ensure_future(self._tick()),
            asyncio.ensure_future(self.worker.run()),
        ]

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.checkpoint()
        self.store.close()

    def iso_now(self) -> str:
        return to_iso(self.now()) or ""
