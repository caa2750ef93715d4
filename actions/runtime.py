"""The action server's shared services, built once per process on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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


@lru_cache(maxsize=1)
def services() -> Services:
    """Raises ConfigError (with what to fix) when the settings or the owner profile are bad."""
    config = settings()
    profile = load_profile(config.owner_profile_path)
    desk = ServiceDeskClient(config)
    return Services(
        settings=config,
        profile=profile,
        desk=desk,
        directory=ProviderDirectory(desk, profile, config.directory_ttl_s),
    )
