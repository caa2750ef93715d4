"""The `world` the call tests run in (see call_fixtures)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from actions.core.settings import load_settings
from actions.owner.profile import load_profile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_models import Provider
from actions.store.calls import CallStore
from actions.store.case_memory import CaseMemory
from actions.store.notices import NoticeOutbox
from actions.store.preferences import PreferenceStore
from tests.actions.calls.call_fixtures import NIMBUS, OWNER_PHONE, World
from tests.actions.store_fixtures import sqlite_url
from tests.conftest import PROJECT_ROOT, DeskProcess


@pytest.fixture
def world(standin_env: DeskProcess, tmp_path) -> Iterator[World]:
    settings = dataclasses.replace(load_settings(), desk_backoff_s=0.05, desk_attempts=2)
    memory = CaseMemory(sqlite_url(tmp_path))
    client = ServiceDeskClient(settings, audit=memory.record_request)
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    assert profile.owner.phone == OWNER_PHONE and profile.owner.timezone == "Europe/Lisbon"

    async def directory() -> list[Provider]:
        try:
            return await client.list_providers(profile.credentials(NIMBUS)[1])
        finally:
            await client.close()

    providers = {p.id: p for p in asyncio.run(directory())}
    outbox = NoticeOutbox(memory.engine)
    yield World(
        desk=standin_env,
        memory=memory,
        client=client,
        profile=profile,
        outbox=outbox,
        store=CallStore(memory.engine, outbox),
        preferences=PreferenceStore(memory.engine),
        providers=providers,
    )
    memory.close()
