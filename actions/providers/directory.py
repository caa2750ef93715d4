"""The provider directory: which companies exist, their names, aliases and categories, and
what each offers (service centres, where parts go, services, the things customers have there).

Fetched from the service desk with one of the owner's keys and cached for a while, so that
matching a provider name does not cost a request per turn. A stale copy is used when the desk
cannot be reached, because names and aliases rarely change.
"""

from __future__ import annotations

import asyncio
import re
import time

from actions.core.words import normalise
from actions.owner.profile import OwnerProfile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Location, Provider


class ProviderDirectory:
    def __init__(self, client: ServiceDeskClient, profile: OwnerProfile, ttl_s: float) -> None:
        self._client = client
        self._profile = profile
        self._ttl_s = ttl_s
        self._providers: list[Provider] = []
        self._fetched_at = float("-inf")
        self._lock: asyncio.Lock | None = None

    async def providers(self) -> list[Provider]:
        """The directory; raises DeskError only when it was never fetched and cannot be."""
        if time.monotonic() - self._fetched_at < self._ttl_s:
            return self._providers
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._ttl_s:
                return self._providers
            try:
                self._providers = await self._fetch()
                self._fetched_at = time.monotonic()
            except DeskError:
                if not self._providers:
                    raise
        return self._providers

    async def _fetch(self) -> list[Provider]:
        last_error: DeskError | None = None
        # Any of the owner's keys may read the directory; try the next if one is refused.
        for account in self._profile.accounts:
            try:
                key = self._profile.api_key(account)
            except Exception:
                continue
            try:
                return await self._client.list_providers(key)
            except DeskError as err:
                last_error = err
        raise last_error or DeskError("no API key is configured for any account")

    async def get(self, provider_id: str) -> Provider | None:
        return next((p for p in await self.providers() if p.id == provider_id), None)

    # What each company offers, as its desk publishes it (no company is named in the code).
    # Each raises DeskError only when the directory was never fetched and cannot be.

    async def service_centres(self, provider_id: str) -> list[Location]:
        """Where the provider's customers bring what they own (parts can go there); [] if none."""
        provider = await self.get(provider_id)
        return list(provider.service_centres) if provider else []

    async def parts_delivery(self, provider_id: str) -> str | None:
        """Where the provider sends parts when it has no service centres (with the technician,
        to the owner's home: "HC-HOME"); None where it names no such place."""
        provider = await self.get(provider_id)
        return provider.parts_delivery if provider else None

    async def services(self, provider_id: str) -> list[str]:
        """The services its appointments are for, the default first; [] if it books none."""
        provider = await self.get(provider_id)
        return list(provider.services) if provider else []

    async def keywords(self, provider_id: str) -> list[str]:
        """Words for the things a customer has there ("router", "car"), normalised."""
        provider = await self.get(provider_id)
        return [normalise(k) for k in provider.keywords] if provider else []

    async def match(self, text: str) -> Provider | None:
        """The provider that `text` names by id, name or alias, in any case.

        An exact match of the whole text wins; otherwise the longest name or alias found as
        whole words inside the text ("report it to nimbus please").
        """
        wanted = normalise(text)
        if not wanted:
            return None
        providers = await self.providers()
        best: tuple[int, Provider] | None = None
        for provider in providers:
            for name in _names(provider):
                if name == wanted:
                    return provider
                if re.search(rf"\b{re.escape(name)}\b", wanted):
                    if best is None or len(name) > best[0]:
                        best = (len(name), provider)
        return best[1] if best else None

    async def known_names(self) -> list[str]:
        """Names of the providers the owner has an account with, for questions to the owner."""
        return [p.name for p in await self.providers() if self._profile.account_for(p.id)]


def _names(provider: Provider) -> list[str]:
    names = [provider.id, provider.id.replace("-", " "), provider.name, *provider.aliases]
    return [n for n in {normalise(n) for n in names} if n]


async def display_name(svc: object, provider_id: str | None) -> str:
    """The provider's name for the owner ("HomeCare Appliances"), or its id if unknown."""
    if not provider_id:
        return ""
    try:
        provider = await svc.directory.get(provider_id)  # type: ignore[attr-defined]
    except DeskError:
        provider = None
    return provider.name if provider else provider_id


async def provider_meant(svc: object, tracker: object, owned_only: bool = False) -> Provider | None:
    """The provider the owner's latest message names: its `provider` entity first, then the
    words; with `owned_only`, only one the owner has an account with."""
    said = next(tracker.get_latest_entity_values("provider"), None)  # type: ignore[attr-defined]
    text = tracker.latest_message.get("text") or ""  # type: ignore[attr-defined]
    for candidate in (said, text):
        if candidate:
            found = await svc.directory.match(str(candidate))  # type: ignore[attr-defined]
            owned = found is not None and svc.profile.account_for(found.id)  # type: ignore[attr-defined]
            if found is not None and (owned or not owned_only):
                return found
    return None
