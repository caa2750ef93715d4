"""Placing and steering phone calls, behind one interface.

The first implementation speaks the service desk's `/v1/calls` API; real SIP telephony can
implement the same `Dialer` later without the hold logic changing. Every creating request
carries an idempotency key chosen by the caller, so a retried press or transfer happens once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from actions.owner.profile import OwnerProfile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_models import Call


class Dialer(Protocol):
    async def place(self, provider: str, reason: str, key: str, conversation_id: str) -> Call: ...

    async def press(
        self, provider: str, call_id: str, digits: str, key: str, conversation_id: str | None
    ) -> Call: ...

    async def status(self, provider: str, call_id: str) -> Call: ...

    async def callback(
        self,
        provider: str,
        call_id: str,
        phone: str,
        not_before: datetime | None,
        not_after: datetime | None,
        key: str,
        conversation_id: str | None,
    ) -> Call: ...

    async def transfer(
        self, provider: str, call_id: str, phone: str, key: str, conversation_id: str | None
    ) -> Call: ...

    async def hang_up(
        self, provider: str, call_id: str, reason: str, key: str, conversation_id: str | None
    ) -> Call: ...

    async def now(self, provider: str) -> datetime: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class ServiceDeskDialer:
    """The service desk's calls API. Raises the client's DeskError subclasses, and
    ConfigError when the owner has no account (or no key) at the provider."""

    def __init__(self, client: ServiceDeskClient, profile: OwnerProfile) -> None:
        self._client = client
        self._profile = profile

    def _key(self, provider: str) -> str:
        return self._profile.credentials(provider)[1]

    async def place(self, provider: str, reason: str, key: str, conversation_id: str) -> Call:
        return await self._client.place_call(
            self._key(provider), provider, reason, key, conversation_id
        )

    async def press(
        self, provider: str, call_id: str, digits: str, key: str, conversation_id: str | None
    ) -> Call:
        return await self._client.call_action(
            self._key(provider), provider, call_id, "dtmf", {"digits": digits}, key, conversation_id
        )

    async def status(self, provider: str, call_id: str) -> Call:
        # Polls are reads that change nothing: kept out of the audit log.
        return await self._client.get_call(self._key(provider), provider, call_id, record=False)

    async def callback(
        self,
        provider: str,
        call_id: str,
        phone: str,
        not_before: datetime | None,
        not_after: datetime | None,
        key: str,
        conversation_id: str | None,
    ) -> Call:
        body = {"phone_number": phone, "not_before": _iso(not_before), "not_after": _iso(not_after)}
        body = {k: v for k, v in body.items() if v is not None}
        return await self._client.call_action(
            self._key(provider), provider, call_id, "callback", body, key, conversation_id
        )

    async def transfer(
        self, provider: str, call_id: str, phone: str, key: str, conversation_id: str | None
    ) -> Call:
        return await self._client.call_action(
            self._key(provider),
            provider,
            call_id,
            "transfer",
            {"phone_number": phone},
            key,
            conversation_id,
        )

    async def hang_up(
        self, provider: str, call_id: str, reason: str, key: str, conversation_id: str | None
    ) -> Call:
        return await self._client.call_action(
            self._key(provider),
            provider,
            call_id,
            "hangup",
            {"reason": reason},
            key,
            conversation_id,
        )

    async def now(self, provider: str) -> datetime:
        return await self._client.desk_now(self._key(provider), provider)
