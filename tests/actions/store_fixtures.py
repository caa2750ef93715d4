"""Store URLs for the case-memory tests: a fresh SQLite file, and a fresh PostgreSQL database.

PostgreSQL is part of the supported set, so an unreachable server fails the test (the
connection error propagates); it is never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2

PG_ADMIN = "dbname=postgres user=postgres host=127.0.0.1 port=5432"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'standin.sqlite3'}"


def _admin(sql: str) -> None:
    conn = psycopg2.connect(PG_ADMIN, connect_timeout=5)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def postgres_database() -> Iterator[str]:
    """A uniquely named database for one test, dropped afterwards (with its connections)."""
    name = f"standin_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
