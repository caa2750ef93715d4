"""Webhook events: written to an outbox in the same transaction as the change, then delivered.

Deliveries are signed (see signing.py), retried with capped exponential backoff in real time,
and every attempt is logged. The outbox lives in SQLite, so a restart resumes pending ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import aiohttp

from .clock import to_iso
from .ids import new_id
from .signing import HEADER, sign
from .store import Store

log = logging.getLogger("servicedesk.webhooks")


def emit(store: Store, account_id: str, event_type: str, data: dict[str, Any], at: float) -> str:
    """Record an event and queue it for every matching subscription of `account_id`."""
    event_id = new_id("EVT")
    envelope = {"id": event_id, "type": event_type, "created_at": to_iso(at), "data": data}
    # The body is fixed once: every retry sends the same bytes and the same event id.
    body = json.dumps(envelope, separators=(",", ":"))
    store.conn.execute(
        "INSERT INTO events (id, account_id, type, created_at, body) VALUES (?, ?, ?, ?, ?)",
        (event_id, account_id, event_type, envelope["created_at"], body),
    )
    now_real = time.time()
    for sub in store.list("webhooks", account_id=account_id):
        if "*" in sub["events"] or event_type in sub["events"]:
            store.conn.execute(
                "INSERT INTO deliveries (id, event_id, webhook_id, status, attempts,"
                " next_attempt_at, created_real) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
                (new_id("DLV"), event_id, sub["id"], now_real, now_real),
            )
    return event_id


def delivery_log(store: Store, limit: int = 1000) -> list[dict[str, Any]]:
    """Deliveries with their attempts, newest last (for /_sim/deliveries)."""
    rows = store.conn.execute(
        "SELECT d.id, d.event_id, d.webhook_id, d.status, d.attempts, d.next_attempt_at,"
        " d.last_status_code, d.last_error, d.created_real, e.type AS event_type, w.ref AS url"
        " FROM deliveries d JOIN events e ON e.id = d.event_id"
        " LEFT JOIN webhooks w ON w.id = d.webhook_id ORDER BY d.created_real, d.rowid"
        " LIMIT ?",
        (limit,),
    ).fetchall()
    attempts: dict[str, list[dict[str, Any]]] = {}
    for a in store.conn.execute(
        "SELECT delivery_id, attempt, at, status_code, error, outcome FROM delivery_attempts"
        " ORDER BY seq"
    ):
        attempts.setdefault(a["delivery_id"], []).append(
            {
                "attempt": a["attempt"],
                "at": to_iso(a["at"]),
                "at_unix": a["at"],
                "status_code": a["status_code"],
                "error": a["error"],
                "outcome": a["outcome"],
            }
        )
    return [{**dict(r), "attempt_log": attempts.get(r["id"], [])} for r in rows]


class DeliveryWorker:
    """Sends due deliveries; woken when new ones are queued, otherwise polls briefly."""

    def __init__(self, store: Store, max_attempts: int, backoff_s: float, cap_s: float) -> None:
        self.store = store
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.cap_s = cap_s
        self.wake = asyncio.Event()
        self.concurrency = 50

    def recover(self) -> None:
        # Attempts cut short by a stop are simply made again.
        with self.store.tx():
            self.store.conn.execute(
                "UPDATE deliveries SET status = 'pending' WHERE status = 'sending'"
            )

    def _claim(self) -> list[dict[str, Any]]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT d.id, d.event_id, d.webhook_id, d.attempts, e.body, w.data AS sub"
                " FROM deliveries d JOIN events e ON e.id = d.event_id"
                " LEFT JOIN webhooks w ON w.id = d.webhook_id"
                " WHERE d.status = 'pending' AND d.next_attempt_at <= ?"
                " ORDER BY d.next_attempt_at, d.created_real LIMIT ?",
                (time.time(), self.concurrency),
            ).fetchall()
            claimed = []
            for r in rows:
                if r["sub"] is None:  # subscription deleted since: nothing to send to
                    conn.execute(
                        "UPDATE deliveries SET status = 'cancelled' WHERE id = ?", (r["id"],)
                    )
                    continue
                conn.execute("UPDATE deliveries SET status = 'sending' WHERE id = ?", (r["id"],))
                claimed.append({**dict(r), "sub": json.loads(r["sub"])})
            return claimed

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    batch = self._claim()
                except Exception:  # a broken row must not kill the worker
                    log.exception("claiming deliveries failed")
                    batch = []
                if not batch:
                    self.wake.clear()
                    try:
                        await asyncio.wait_for(self.wake.wait(), timeout=0.1)
                    except asyncio.TimeoutError:
                        pass
                    continue
                await asyncio.gather(*(self._deliver(session, d) for d in batch))

    async def _deliver(self, session: aiohttp.ClientSession, d: dict[str, Any]) -> None:
        body = d["body"].encode()
        attempt = d["attempts"] + 1
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ServiceDesk-Webhooks/0.1",
            "X-ServiceDesk-Event-Id": d["event_id"],
            "X-ServiceDesk-Delivery-Attempt": str(attempt),
            HEADER: sign(d["sub"]["secret"], body, int(time.time())),
        }
        status_code: int | None = None
        error: str | None = None
        try:
            async with session.post(d["sub"]["url"], data=body, headers=headers) as resp:
                status_code = resp.status
                await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as err:
            error = f"{type(err).__name__}: {err}"[:500]
        ok = status_code is not None and 200 <= status_code < 300
        if error is None and not ok:
            error = f"HTTP {status_code}"
        self._record(d, attempt, status_code, error, ok)

    def _record(
        self, d: dict[str, Any], attempt: int, status_code: int | None, error: str | None, ok: bool
    ) -> None:
        now = time.time()
        if ok:
            outcome, next_at = "delivered", now
        elif attempt >= self.max_attempts:
            outcome, next_at = "failed", now
        else:
            outcome = "pending"
            next_at = now + min(self.backoff_s * 2 ** (attempt - 1), self.cap_s)
        with self.store.tx() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " last_status_code = ?, last_error = ? WHERE id = ?",
                (outcome, attempt, next_at, status_code, None if ok else error, d["id"]),
            )
            if cur.rowcount == 0:  # the desk was reset meanwhile
                return
            conn.execute(
                "INSERT INTO delivery_attempts (delivery_id, event_id, webhook_id, attempt, at,"
                " status_code, error, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    d["id"],
                    d["event_id"],
                    d["webhook_id"],
                    attempt,
                    now,
                    status_code,
                    None if ok else error,
                    "delivered" if ok else ("failed" if outcome == "failed" else "retry"),
                ),
            )
