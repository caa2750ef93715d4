"""The action server's shared services, built once per process on first use.

Opening the case memory brings its schema to the newest migration, so the first call (the
server's start-up check) is also the migration step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from actions.case_memory import CaseMemory
from actions.owner_profile import OwnerProfile, load_profile
from actions.provider_directory import ProviderDirectory
from actions.servicedesk_client import ServiceDeskClient
from actions.settings import Settings, settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    profile: OwnerProfile
    desk: ServiceDeskClient
    directory: ProviderDirectory
    memory: CaseMemory


@lru_cache(maxsize=1)
def services() -> Services:
    """Raises ConfigError (with what to fix) when the settings or the owner profile are bad."""
    config = settings()
    profile = load_profile(config.owner_profile_path)
    memory = CaseMemory(config.db_url)
    # Every request the client sends is recorded in the store's audit log.
    desk = ServiceDeskClient(config, audit=memory.record_request)
    return Services(
        settings=config,
        profile=profile,
        desk=desk,
        directory=ProviderDirectory(desk, profile, config.directory_ttl_s),
        memory=memory,
    )
