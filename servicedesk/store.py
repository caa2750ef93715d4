"""SQLite persistence: one connection, JSON documents per resource, indexed due-time jobs.

Resources are stored as JSON documents with a few indexed columns (account, status, ref) so the
API answers in the exact shape it stored, and a restart brings every document back unchanged.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOC_TABLES = ("tickets", "calls", "appointments", "part_orders", "meter_readings", "webhooks")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    *[
        f"""CREATE TABLE IF NOT EXISTS {t} (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT UNIQUE NOT NULL,
            account_id TEXT NOT NULL,
            provider TEXT,
            status TEXT,
            ref TEXT,
            data TEXT NOT NULL)"""
        for t in DOC_TABLES
    ],
    *[f"CREATE INDEX IF NOT EXISTS {t}_account ON {t} (account_id, status)" for t in DOC_TABLES],
    "CREATE INDEX IF NOT EXISTS meter_readings_ref ON meter_readings (ref)",
    """CREATE TABLE IF NOT EXISTS meters (
        meter_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, kind TEXT NOT NULL,
        unit TEXT NOT NULL, last_value REAL NOT NULL, last_read_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS slot_holds (
        slot_id TEXT PRIMARY KEY, kind TEXT NOT NULL, ref TEXT, at REAL NOT NULL)""",
    # Everything the simulation will do later, ordered by due time (sim seconds).
    """CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, due_at REAL NOT NULL, kind TEXT NOT NULL,
        ref TEXT NOT NULL, payload TEXT)""",
    "CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at, id)",
    "CREATE INDEX IF NOT EXISTS jobs_ref ON jobs (ref)",
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
        account_id TEXT NOT NULL, type TEXT NOT NULL, created_at TEXT NOT NULL,
        body TEXT NOT NULL)""",
    # The webhook outbox: one row per (event, subscription); next_attempt_at is real time.
    """CREATE TABLE IF NOT EXISTS deliveries (
        id TEXT PRIMARY KEY, event_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL, last_status_code INTEGER, last_error TEXT,
        created_real REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at)",
    """CREATE TABLE IF NOT EXISTS delivery_attempts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL,
        event_id TEXT NOT NULL, webhook_id TEXT NOT NULL, attempt INTEGER NOT NULL,
        at REAL NOT NULL, status_code INTEGER, error TEXT, outcome TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS idempotency (
        account_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
        status INTEGER NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,
        PRIMARY KEY (account_id, key))""",
    # Simulation settings that must survive a restart (cleared by a reset): per provider, how
    # many of the next digits pressed the phone menu will not recognise.
    """CREATE TABLE IF NOT EXISTS sim_ivr (
        provider TEXT PRIMARY KEY, misheard_digits INTEGER NOT NULL)""",
]

# Tables emptied by a reset (meta keeps the clock's start, which reset re-applies).
RESET_TABLES = (
    *DOC_TABLES,
    "meters",
    "slot_holds",
    "jobs",
    "events",
    "deliveries",
    "delivery_attempts",
    "idempotency",
    "sim_ivr",
)


class Store:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # One connection for the whole single-threaded process; we manage transactions.
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        for stmt in SCHEMA:
            self.conn.execute(stmt)
        self._depth = 0

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction; nested uses join the outer one so a handler commits all or nothing."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- documents ----------------------------------------------------------------------------
    @staticmethod
    def _cols(doc: dict[str, Any], ref: str | None) -> tuple[Any, ...]:
        status = doc.get("status", doc.get("state"))
        return (doc["account_id"], doc.get("provider"), status, ref, json.dumps(doc))

    def insert(self, table: str, doc: dict[str, Any], ref: str | None = None) -> None:
        self.conn.execute(
            f"INSERT INTO {table} (account_id, provider, status, ref, data, id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (*self._cols(doc, ref), doc["id"]),
        )

    def update(self, table: str, doc: dict[str, Any], ref: str | None = None) -> None:
        self.conn.execute(
            f"UPDATE {table} SET account_id = ?, provider = ?, status = ?, ref = ?, data = ?"
            " WHERE id = ?",
            (*self._cols(doc, ref), doc["id"]),
        )

    def delete(self, table: str, doc_id: str) -> None:
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (doc_id,))

    def get(self, table: str, doc_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT data FROM {table} WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else json.loads(row["data"])

    def get_owned(self, table: str, doc_id: str, account_id: str) -> dict[str, Any] | None:
        """The document only if it belongs to `account_id` (others look absent)."""
        row = self.conn.execute(
            f"SELECT data FROM {table} WHERE id = ? AND account_id = ?", (doc_id, account_id)
        ).fetchone()
        return None if row is None else json.loads(row["data"])

    def list(
        self,
        table: str,
        account_id: str | None = None,
        status: str | None = None,
        provider: str | None = None,
        ref: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        clauses, args = [], []
        for col, val in (
            ("account_id", account_id),
            ("status", status),
            ("provider", provider),
            ("ref", ref),
        ):
            if val is not None:
                clauses.append(f"{col} = ?")
                args.append(val)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        lim = f" LIMIT {int(limit)}" if limit else ""
        rows = self.conn.execute(f"SELECT data FROM {table}{where} ORDER BY seq{lim}", args)
        return [json.loads(r["data"]) for r in rows]

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # -- jobs ---------------------------------------------------------------------------------
    def schedule(self, due_at: float, kind: str, ref: str, payload: Any = None) -> None:
        self.conn.execute(
            "INSERT INTO jobs (due_at, kind, ref, payload) VALUES (?, ?, ?, ?)",
            (due_at, kind, ref, json.dumps(payload)),
        )

    def cancel_jobs(self, ref: str) -> None:
        self.conn.execute("DELETE FROM jobs WHERE ref = ?", (ref,))

    def pop_due(self, until: float) -> sqlite3.Row | None:
        """Remove and return the earliest job due at or before `until`."""
        row = self.conn.execute(
            "SELECT id, due_at, kind, ref, payload FROM jobs WHERE due_at <= ?"
            " ORDER BY due_at, id LIMIT 1",
            (until,),
        ).fetchone()
        if row is not None:
            self.conn.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))
        return row

    def jobs(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT due_at, kind, ref FROM jobs ORDER BY due_at, id")
        return [dict(r) for r in rows]

    # -- simulation settings ------------------------------------------------------------------
    def misheard_digits(self, provider: str) -> int:
        row = self.conn.execute(
            "SELECT misheard_digits FROM sim_ivr WHERE provider = ?", (provider,)
        ).fetchone()
        return 0 if row is None else int(row["misheard_digits"])

    def set_misheard_digits(self, provider: str, count: int) -> None:
        """Set the provider's misheard-digit counter; 0 removes it."""
        if count <= 0:
            self.conn.execute("DELETE FROM sim_ivr WHERE provider = ?", (provider,))
            return
        self.conn.execute(
            "INSERT INTO sim_ivr (provider, misheard_digits) VALUES (?, ?)"
            " ON CONFLICT(provider) DO UPDATE SET misheard_digits = excluded.misheard_digits",
            (provider, count),
        )

    def sim_ivr(self) -> dict[str, dict[str, int]]:
        rows = self.conn.execute("SELECT provider, misheard_digits FROM sim_ivr ORDER BY provider")
        return {r["provider"]: {"misheard_digits": int(r["misheard_digits"])} for r in rows}

    # -- reset --------------------------------------------------------------------------------
    def wipe(self) -> None:
        for table in RESET_TABLES:
            self.conn.execute(f"DELETE FROM {table}")
