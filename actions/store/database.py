"""The store's database: one SQLAlchemy engine per URL, its schema migrated when opened.

Any URL works (SQLite by default, PostgreSQL unchanged). The schema is brought to the newest
Alembic revision when the store is opened, so a deployment never needs the CLI. `Database` is
what each part of the case memory (`audit_log`, `cases`, ...) is built on.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from actions.core.settings import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"

# Stores opened in this process whose schema is already at head: opening again is cheap.
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision` on `engine`'s database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its directory, WAL and a lock timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    # Several threads (to_thread) and processes (tests, CLI) share the file: wait for locks.
    # Connections are pooled (SQLAlchemy 1.4 opens a new one per transaction for a SQLite
    # file otherwise: py-spy showed connecting and its pragmas in every request).
    engine = create_engine(
        url,
        future=True,
        connect_args={"timeout": 15, "check_same_thread": False},
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    return engine


class Database:
    """An engine on `url`, migrated to head once per process. Thread-safe: every method of
    the parts built on it uses its own connection and transaction."""

    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)
        with _migrate_lock:
            if url not in _migrated:
                upgrade(self._engine)
                _migrated.add(url)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def _insert(self, table: Any) -> Any:
        # Both dialects have INSERT ... ON CONFLICT; the construct lives per dialect.
        if self._engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _upsert_newer(self, table: Any, key: tuple[str, ...], values: dict[str, Any]) -> bool:
        stmt = self._insert(table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={c: stmt.excluded[c] for c in values if c not in (*key, "created_at")},
            where=table.c.updated_at <= stmt.excluded.updated_at,
        )
        with self._engine.begin() as conn:
            return conn.execute(stmt).rowcount > 0

    def _row(self, table: Any, provider: str, key: Any, value: str) -> dict[str, Any] | None:
        query = select(table).where(table.c.provider == provider, key == value)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None
