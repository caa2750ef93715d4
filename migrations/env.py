"""Alembic environment for Stand-in's store.

Run two ways: programmatically by `actions.store.database` (which hands over an open connection
in `config.attributes["connection"]`), or by the `alembic` CLI, which reads STANDIN_DB_URL through
`actions.core.settings`. Logging is left alone: the action server configures its own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from actions.store.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_offline() -> None:
    from actions.core.settings import load_settings

    context.configure(url=load_settings().db_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    from actions.core.settings import load_settings

    engine = create_engine(load_settings().db_url, future=True)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
