"""HTTP client for a provider's service desk (the reference desk speaks this contract).

Every request identifies Stand-in as a machine customer, carries the account's API key, and
every creating POST carries an idempotency key, so retries with backoff can never create twice.
Failures are sorted into what the caller must tell the owner:
- DeskUnavailable: the request did not go through (nothing reached the desk, or it said 5xx/429);
- DeskTimeout: no answer in time, so the outcome is unknown (retrying with the same key is safe);
- DeskRejected: the desk answered 4xx with its error shape.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
from pydantic import BaseModel, Extra, Field, ValidationError

from actions import __version__
from actions.settings import SOFTWARE_NAME, Settings

logger = logging.getLogger(__name__)

MACHINE_CUSTOMER = f"{SOFTWARE_NAME}/{__version__}"
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class DeskError(Exception):
    """Base class for every service-desk failure."""


class DeskUnavailable(DeskError):
    """The request did not go through: connection failed or the desk answered 5xx/429."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DeskTimeout(DeskError):
    """No answer within the time limit: the request may or may not have been processed."""


class DeskRejected(DeskError):
    """A 4xx answer in the desk's error shape."""

    def __init__(self, status: int, code: str, message: str, details: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details)

    @property
    def fields(self) -> list[str]:
        """The request fields the desk named as invalid, if any."""
        entries = self.details.get("fields") or []
        return [str(e.get("field")) for e in entries if isinstance(e, dict) and e.get("field")]


class _Model(BaseModel):
    class Config:
        extra = Extra.ignore


class Category(_Model):
    id: str
    name: str
    description: str = ""


class Provider(_Model):
    id: str
    name: str
    aliases: list[str] = []
    categories: list[Category] = []
    callbacks_offered: bool = False

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


class OnBehalfOf(_Model):
    name: str
    account_id: str | None = None


class TicketCreate(_Model):
    provider: str
    category: str
    summary: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., max_length=5000)
    severity: str = "normal"
    device_id: str | None = None
    on_behalf_of: OnBehalfOf


class Ticket(_Model):
    id: str
    provider: str
    category: str
    summary: str
    status: str
    severity: str = "normal"
    question: str | None = None
    created_at: datetime
    updated_at: datetime


class ServiceDeskClient:
    """One client per process; it opens an aiohttp session per event loop and reuses it."""

    def __init__(self, settings: Settings) -> None:
        self._base = settings.service_desk_url
        self._timeout = aiohttp.ClientTimeout(total=settings.desk_timeout_s)
        self._attempts = settings.desk_attempts
        self._backoff_s = settings.desk_backoff_s
        self._session: aiohttp.ClientSession | None = None

    def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or session._loop is not loop:
            session = aiohttp.ClientSession(timeout=self._timeout)
            self._session = session
        return session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    # --- the contract's resources -------------------------------------------------------

    async def list_providers(self, api_key: str) -> list[Provider]:
        body = await self._request("GET", "/v1/providers", api_key)
        items = body.get("providers", body) if isinstance(body, dict) else body
        return [self._parse(Provider, item) for item in items]

    async def create_ticket(
        self, api_key: str, ticket: TicketCreate, idempotency_key: str
    ) -> Ticket:
        body = await self._request(
            "POST",
            "/v1/tickets",
            api_key,
            json=ticket.dict(exclude_none=True),
            idempotency_key=idempotency_key,
        )
        return self._parse(Ticket, body)

    async def get_ticket(self, api_key: str, ticket_id: str) -> Ticket:
        return self._parse(Ticket, await self._request("GET", f"/v1/tickets/{ticket_id}", api_key))

    async def list_tickets(
        self, api_key: str, provider: str | None = None, status: str | None = None
    ) -> list[Ticket]:
        params = {k: v for k, v in (("provider", provider), ("status", status)) if v}
        body = await self._request("GET", "/v1/tickets", api_key, params=params)
        items = body.get("tickets", []) if isinstance(body, dict) else body
        return [self._parse(Ticket, item) for item in items]

    # --- transport ----------------------------------------------------------------------

    @staticmethod
    def _parse(model: type, data: Any) -> Any:
        try:
            return model.parse_obj(data)
        except ValidationError as err:
            # A desk that breaks its own contract is a failure on its side, not the owner's.
            raise DeskUnavailable(f"unexpected answer from the service desk: {err}") from None

    async def _request(
        self,
        method: str,
        path: str,
        api_key: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {api_key}",
            "X-Machine-Customer": MACHINE_CUSTOMER,
            "Accept": "application/json",
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        last: DeskError = DeskUnavailable("no attempt made")
        # Once an attempt may have reached the desk unanswered, the outcome stays unknown even
        # if a later attempt is refused outright; only the idempotency key makes a resend safe.
        outcome_unknown = False
        for attempt in range(1, self._attempts + 1):
            delay = self._backoff_s * (2 ** (attempt - 1))
            try:
                session = self._session_for_loop()
                async with session.request(
                    method, self._base + path, json=json, params=params, headers=headers
                ) as resp:
                    payload = await self._json(resp)
                    if resp.status < 400:
                        return payload
                    if resp.status not in RETRYABLE_STATUSES:
                        raise _rejection(resp.status, payload)
                    last = DeskUnavailable(f"the service desk answered {resp.status}", resp.status)
                    delay = max(delay, _retry_after(resp.headers.get("Retry-After")))
            except asyncio.TimeoutError:
                outcome_unknown = True
                last = DeskUnavailable(f"no answer within {self._timeout.total:g}s")
            except aiohttp.ClientConnectorError:
                last = DeskUnavailable("the service desk could not be reached")
            except aiohttp.ClientConnectionError as err:
                outcome_unknown = True
                last = DeskUnavailable(f"the connection broke ({type(err).__name__})")
            logger.info(
                "%s %s attempt %d/%d failed: %s", method, path, attempt, self._attempts, last
            )
            if attempt < self._attempts:
                await asyncio.sleep(min(delay, 10.0))
        if outcome_unknown:
            raise DeskTimeout(str(last))
        raise last

    @staticmethod
    async def _json(resp: aiohttp.ClientResponse) -> Any:
        try:
            return await resp.json(content_type=None)
        except ValueError:
            return None


def _retry_after(value: str | None) -> float:
    try:
        return min(float(value or 0), 10.0)
    except ValueError:
        return 0.0


def _rejection(status: int, payload: Any) -> DeskRejected:
    error = payload.get("error", {}) if isinstance(payload, dict) else {}
    if not isinstance(error, dict):
        error = {}
    return DeskRejected(
        status,
        str(error.get("code", "rejected")),
        str(error.get("message", f"HTTP {status}")),
        error.get("details") if isinstance(error.get("details"), dict) else {},
    )
