"""The owner's preferences now: the profile's defaults with the owner's stored changes on top."""

from __future__ import annotations

import asyncio

from actions.owner.profile import OwnerProfile, Preferences
from actions.store.owner_cases import OwnerRecords
from actions.store.preferences import PreferenceStore


def owner_key(profile: OwnerProfile) -> str:
    """One preference row per owner; the profile's phone number identifies the owner."""
    return profile.owner.phone


async def current_preferences(svc: OwnerRecords) -> Preferences:
    """The owner's preferences now: profile defaults with the stored changes on top."""
    store = PreferenceStore(svc.memory.engine)
    return await asyncio.to_thread(store.load, owner_key(svc.profile), svc.profile.preferences)


async def update_preferences(svc: OwnerRecords, **changes: object) -> Preferences:
    """Validate and store `changes`; raises pydantic.ValidationError and stores nothing."""
    store = PreferenceStore(svc.memory.engine)
    return await asyncio.to_thread(
        store.update, owner_key(svc.profile), svc.profile.preferences, **changes
    )
