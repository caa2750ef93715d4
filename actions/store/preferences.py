"""Where the owner's changed preferences live: one row per owner in the case memory's database.

The owner profile supplies the defaults; a stored row overrides them field by field, so a new
default in owner.yml reaches every owner who never changed that field.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.engine import Engine

from actions.core.clock import utc_now
from actions.owner.profile import Preferences
from actions.store.schema import preferences as preferences_table


class PreferenceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, owner_key: str, defaults: Preferences) -> Preferences:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(preferences_table.c.data).where(preferences_table.c.owner_key == owner_key)
            ).first()
        changes = json.loads(row.data) if row else {}
        return Preferences.parse_obj({**defaults.dict(), **changes})

    def update(self, owner_key: str, defaults: Preferences, **changes: object) -> Preferences:
        """Validate and store `changes`; raises pydantic.ValidationError and stores nothing."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(preferences_table.c.data).where(preferences_table.c.owner_key == owner_key)
            ).first()
            stored = json.loads(row.data) if row else {}
            merged = Preferences.parse_obj({**defaults.dict(), **stored, **changes})
            stored.update({k: getattr(merged, k) for k in changes})
            values = {"data": json.dumps(stored, sort_keys=True), "updated_at": utc_now()}
            if row:
                conn.execute(
                    preferences_table.update()
                    .where(preferences_table.c.owner_key == owner_key)
                    .values(**values)
                )
            else:
                conn.execute(preferences_table.insert().values(owner_key=owner_key, **values))
        return merged
