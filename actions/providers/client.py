"""HTTP client for a provider's service desk (the reference desk speaks this contract).

Every request identifies Stand-in as a machine customer, carries the account's API key, and
every creating POST carries an idempotency key, so retries with backoff can never create twice.
Failures are sorted into what the caller must tell the owner:
- DeskUnavailable: the request did not go through (nothing reached the desk, or it said 5xx/429);
- DeskTimeout: no answer in time, so the outcome is unknown (retrying with the same key is safe);
- DeskRejected: the desk answered 4xx with its error shape.

Every request, once it has finished (answered or finally failed), is handed to the audit sink
(`AuditSink`, injected; the runtime passes the case memory's `record_request`): what was sent,
to which provider, for which conversation, and how it ended. Headers are never recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import aiohttp
from pydantic import BaseModel, Extra, Field, ValidationError

from actions import __version__
from actions.core.settings import SOFTWARE_NAME, Settings
from actions.store.case_memory import AuditEntry, utc_now

logger = logging.getLogger(__name__)

MACHINE_CUSTOMER = f"{SOFTWARE_NAME}/{__version__}"
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}
DIRECTORY = "directory"  # the audit's provider for directory reads, which serve every provider

# Called (in a worker thread) with each finished request; see CaseMemory.record_request.
AuditSink = Callable[[AuditEntry], object]


# What the audit log holds instead of an answer only the owner knows.
WITHHELD = "[withheld: identity answer, not kept]"


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


class MenuOption(_Model):
    digit: str
    label: str
    topic: str | None = None
    queue: str | None = None
    next: MenuNode | None = None


class MenuNode(_Model):
    prompt: str = ""
    options: list[MenuOption] = []


MenuOption.update_forward_refs()


class Provider(_Model):
    id: str
    name: str
    aliases: list[str] = []
    categories: list[Category] = []
    callbacks_offered: bool = False
    phone_number: str | None = None
    menu: MenuNode | None = None
    average_handle_time_s: int | None = None

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
    # "identity" when only the account holder can answer (an extra field of the reference desk).
    question_kind: str | None = None
    account_id: str | None = None
    escalated: bool = False
    created_at: datetime
    updated_at: datetime


class TicketNote(_Model):
    id: str
    text: str
    at: str | None = None
    answers_question: str | None = None


class NoteAdded(_Model):
    note: TicketNote
    ticket: Ticket


class MeterReadingCreate(_Model):
    meter_id: str = Field(..., min_length=1)
    value: float
    unit: str
    read_at: str


class MeterReading(_Model):
    id: str
    meter_id: str
    value: float
    unit: str
    read_at: str
    status: str = "accepted"
    previous_value: float | None = None


class Location(_Model):
    id: str
    name: str = ""
    city: str | None = None
    address: str | None = None
    timezone: str | None = None


class Slot(_Model):
    slot_id: str
    start: datetime
    end: datetime
    location: Location
    service: str | None = None
    provider: str | None = None


class AppointmentCreate(_Model):
    slot_id: str = Field(..., min_length=1)
    ticket_id: str | None = None
    notes: str | None = None
    service: str | None = None


class Appointment(_Model):
    id: str
    provider: str
    slot_id: str
    start: datetime
    end: datetime
    location: Location
    service: str | None = None
    ticket_id: str | None = None
    status: str
    account_id: str | None = None
    created_at: str | None = None
    updated_at: str


class Part(_Model):
    sku: str
    name: str
    price: float
    currency: str
    fits: list[str] = []


class PartOrderCreate(_Model):
    sku: str = Field(..., min_length=1)
    quantity: int = Field(1, ge=1, le=10)
    deliver_to_service_centre: str | None = None
    appointment_id: str | None = None


class PartOrder(_Model):
    id: str
    provider: str
    account_id: str | None = None
    sku: str
    name: str = ""
    quantity: int
    unit_price: float
    total: float
    currency: str
    deliver_to_service_centre: str | None = None
    appointment_id: str | None = None
    status: str
    created_at: str | None = None
    updated_at: str
    shipped_at: str | None = None


class WebhookSubscription(_Model):
    id: str
    url: str
    events: list[str] = []
    created_at: str | None = None


class CallAgent(_Model):
    id: str
    name: str


class CallStep(_Model):
    state: str
    at: datetime
    detail: str | None = None


class CallCallback(_Model):
    phone_number: str
    due_at: datetime
    not_before: datetime | None = None
    not_after: datetime | None = None
    status: str


class Call(_Model):
    """A call as the desk reports it (`GET /v1/calls/{id}`, and every call webhook's data)."""

    id: str
    provider: str
    state: str
    menu: MenuNode | None = None
    path: list[str] = []
    queue: str | None = None
    position: int | None = None
    estimated_wait_s: int | None = None
    agent: CallAgent | None = None
    ended_reason: str | None = None
    wrong_attempts: int = 0
    replayed: bool | None = None
    history: list[CallStep] = []
    callback: CallCallback | None = None
    transfer: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime

    @property
    def version(self) -> str:
        """Orders snapshots of one call: the desk's update time, then its number of steps
        (two steps can share a time: the last queue move and the agent picking up)."""
        stamp = self.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return f"{stamp}|{len(self.history):05d}"


@dataclass
class _Progress:
    """What `_send` learnt so far, for the audit row whatever way it ends."""

    attempts: int = 0
    status: int | None = None
    error_code: str | None = None


class ServiceDeskClient:
    """One client per process; it opens an aiohttp session per event loop and reuses it."""

    def __init__(self, settings: Settings, audit: AuditSink | None = None) -> None:
        self._audit = audit
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

    async def list_providers(
        self, api_key: str, conversation_id: str | None = None
    ) -> list[Provider]:
        body = await self._request(
            "GET", "/v1/providers", api_key, DIRECTORY, conversation_id=conversation_id
        )
        items = body.get("providers", body) if isinstance(body, dict) else body
        return [self._parse(Provider, item) for item in items]

    async def create_ticket(
        self,
        api_key: str,
        ticket: TicketCreate,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Ticket:
        body = await self._request(
            "POST",
            "/v1/tickets",
            api_key,
            ticket.provider,
            json=ticket.dict(exclude_none=True),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def get_ticket(
        self,
        api_key: str,
        ticket_id: str,
        account_provider: str | None = None,
        conversation_id: str | None = None,
    ) -> Ticket:
        """`account_provider`: the provider whose account `api_key` is (for the audit log)."""
        body = await self._request(
            "GET",
            f"/v1/tickets/{ticket_id}",
            api_key,
            account_provider or "unknown",
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def list_tickets(
        self,
        api_key: str,
        provider: str | None = None,
        status: str | None = None,
        account_provider: str | None = None,
        conversation_id: str | None = None,
    ) -> list[Ticket]:
        params = {k: v for k, v in (("provider", provider), ("status", status)) if v}
        body = await self._request(
            "GET",
            "/v1/tickets",
            api_key,
            account_provider or provider or "unknown",
            params=params,
            conversation_id=conversation_id,
        )
        items = body.get("tickets", []) if isinstance(body, dict) else body
        return [self._parse(Ticket, item) for item in items]

    async def add_ticket_note(
        self,
        api_key: str,
        ticket_id: str,
        text: str,
        idempotency_key: str,
        provider: str,
        conversation_id: str | None = None,
        withhold_text: bool = False,
    ) -> NoteAdded:
        """Add information to a ticket; while it awaits the customer, the note answers it.

        `withhold_text`: an identity answer goes to the company but never into the audit log."""
        body = await self._request(
            "POST",
            f"/v1/tickets/{ticket_id}/notes",
            api_key,
            provider,
            json={"text": text},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
            audit_body={"text": WITHHELD, "redacted": True} if withhold_text else None,
        )
        return self._parse(NoteAdded, body)

    async def cancel_ticket(
        self,
        api_key: str,
        ticket_id: str,
        idempotency_key: str,
        provider: str,
        reason: str | None = None,
        conversation_id: str | None = None,
    ) -> Ticket:
        body = await self._request(
            "POST",
            f"/v1/tickets/{ticket_id}/cancel",
            api_key,
            provider,
            json={"reason": reason} if reason else {},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def escalate_ticket(
        self,
        api_key: str,
        ticket_id: str,
        reason: str,
        idempotency_key: str,
        provider: str,
        conversation_id: str | None = None,
    ) -> Ticket:
        body = await self._request(
            "POST",
            f"/v1/tickets/{ticket_id}/escalate",
            api_key,
            provider,
            json={"reason": reason},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def account(
        self, api_key: str, provider: str | None = None, conversation_id: str | None = None
    ) -> dict[str, Any]:
        """The key's account (owner, devices, meters with their last readings), as the desk says."""
        body = await self._request(
            "GET", "/v1/account", api_key, provider or "unknown", conversation_id=conversation_id
        )
        return body if isinstance(body, dict) else {}

    async def submit_meter_reading(
        self,
        api_key: str,
        reading: MeterReadingCreate,
        idempotency_key: str,
        provider: str,
        conversation_id: str | None = None,
    ) -> MeterReading:
        body = await self._request(
            "POST",
            "/v1/meter-readings",
            api_key,
            provider,
            json=reading.dict(),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(MeterReading, body)

    async def desk_now(
        self, api_key: str, provider: str, conversation_id: str | None = None
    ) -> datetime:
        """The desk's own (simulated) clock, from `GET /health`."""
        body = await self._request(
            "GET", "/health", api_key, provider, conversation_id=conversation_id
        )
        now = body.get("now") if isinstance(body, dict) else None
        try:
            return datetime.fromisoformat(str(now).replace("Z", "+00:00"))
        except ValueError:
            raise DeskUnavailable(f"unexpected answer from the service desk: now={now!r}") from None

    async def list_slots(
        self,
        api_key: str,
        provider: str,
        service: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        conversation_id: str | None = None,
        location: str | None = None,
    ) -> list[Slot]:
        wanted = (
            ("provider", provider),
            ("service", service),
            ("from", from_),
            ("to", to),
            ("location", location),
        )
        params = {k: v for k, v in wanted if v}
        body = await self._request(
            "GET",
            "/v1/appointments/slots",
            api_key,
            provider,
            params=params,
            conversation_id=conversation_id,
        )
        items = body.get("slots", []) if isinstance(body, dict) else body
        return [self._parse(Slot, item) for item in items]

    async def book_appointment(
        self,
        api_key: str,
        provider: str,
        appointment: AppointmentCreate,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Appointment:
        body = await self._request(
            "POST",
            "/v1/appointments",
            api_key,
            provider,
            json=appointment.dict(exclude_none=True),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Appointment, body)

    async def list_appointments(
        self, api_key: str, provider: str, conversation_id: str | None = None
    ) -> list[Appointment]:
        body = await self._request(
            "GET", "/v1/appointments", api_key, provider, conversation_id=conversation_id
        )
        items = body.get("appointments", []) if isinstance(body, dict) else body
        return [self._parse(Appointment, item) for item in items]

    async def reschedule_appointment(
        self,
        api_key: str,
        provider: str,
        appointment_id: str,
        slot_id: str,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Appointment:
        body = await self._request(
            "POST",
            f"/v1/appointments/{appointment_id}/reschedule",
            api_key,
            provider,
            json={"slot_id": slot_id},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Appointment, body)

    async def cancel_appointment(
        self,
        api_key: str,
        provider: str,
        appointment_id: str,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Appointment:
        body = await self._request(
            "POST",
            f"/v1/appointments/{appointment_id}/cancel",
            api_key,
            provider,
            json={},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Appointment, body)

    async def list_parts(
        self,
        api_key: str,
        provider: str,
        model: str | None = None,
        conversation_id: str | None = None,
    ) -> list[Part]:
        params = {k: v for k, v in (("provider", provider), ("model", model)) if v}
        body = await self._request(
            "GET", "/v1/parts", api_key, provider, params=params, conversation_id=conversation_id
        )
        items = body.get("parts", []) if isinstance(body, dict) else body
        return [self._parse(Part, item) for item in items]

    async def order_part(
        self,
        api_key: str,
        provider: str,
        order: PartOrderCreate,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> PartOrder:
        body = await self._request(
            "POST",
            "/v1/parts/orders",
            api_key,
            provider,
            json=order.dict(exclude_none=True),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(PartOrder, body)

    async def list_part_orders(
        self, api_key: str, provider: str, conversation_id: str | None = None
    ) -> list[PartOrder]:
        body = await self._request(
            "GET", "/v1/parts/orders", api_key, provider, conversation_id=conversation_id
        )
        items = body.get("orders", []) if isinstance(body, dict) else body
        return [self._parse(PartOrder, item) for item in items]

    # --- calls -------------------------------------------------------------------------

    async def place_call(
        self,
        api_key: str,
        provider: str,
        reason: str,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Call:
        body = await self._request(
            "POST",
            "/v1/calls",
            api_key,
            provider,
            json={"provider": provider, "reason": reason},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Call, body)

    async def get_call(
        self,
        api_key: str,
        provider: str,
        call_id: str,
        conversation_id: str | None = None,
        record: bool = True,
    ) -> Call:
        body = await self._request(
            "GET",
            f"/v1/calls/{call_id}",
            api_key,
            provider,
            conversation_id=conversation_id,
            record=record,
        )
        return self._parse(Call, body)

    async def call_action(
        self,
        api_key: str,
        provider: str,
        call_id: str,
        action: str,
        body: dict[str, Any],
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Call:
        """POST /v1/calls/{id}/<action>: dtmf, callback, transfer or hangup."""
        if action not in ("dtmf", "callback", "transfer", "hangup"):
            raise ValueError(f"unknown call action {action!r}")
        answer = await self._request(
            "POST",
            f"/v1/calls/{call_id}/{action}",
            api_key,
            provider,
            json=body,
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Call, answer)

    async def list_webhooks(self, api_key: str, provider: str) -> list[WebhookSubscription]:
        body = await self._request("GET", "/v1/webhooks", api_key, provider)
        items = body.get("webhooks", []) if isinstance(body, dict) else body
        return [self._parse(WebhookSubscription, item) for item in items]

    async def create_webhook(
        self,
        api_key: str,
        provider: str,
        url: str,
        events: list[str],
        secret: str,
        idempotency_key: str,
    ) -> WebhookSubscription:
        # The secret is part of the body the desk needs; the audit row must not keep it.
        body = await self._request(
            "POST",
            "/v1/webhooks",
            api_key,
            provider,
            json={"url": url, "events": events, "secret": secret},
            idempotency_key=idempotency_key,
            audit_body={"url": url, "events": events, "secret": "***"},
        )
        return self._parse(WebhookSubscription, body)

    async def delete_webhook(self, api_key: str, provider: str, webhook_id: str) -> None:
        await self._request("DELETE", f"/v1/webhooks/{webhook_id}", api_key, provider)

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
        provider: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        conversation_id: str | None = None,
        audit_body: dict[str, Any] | None = None,
        record: bool = True,
    ) -> Any:
        """Send with retries, then record the request and its final outcome in the audit log.

        `record=False` only for the hold monitor's status polls: reads that change nothing and
        would otherwise fill the audit log with thousands of rows per hold."""
        at, started = utc_now(), time.monotonic()
        progress = _Progress()
        payload: Any = None
        outcome = "unknown"  # also what an unexpected exception or a cancellation leaves
        try:
            payload = await self._send(
                method, path, api_key, json, params, idempotency_key, progress
            )
            outcome = "ok"
            return payload
        except DeskRejected:
            outcome = "rejected"
            raise
        except DeskTimeout:
            outcome = "unknown"
            raise
        except DeskUnavailable:
            outcome = "unavailable"
            raise
        finally:
            resource = payload.get("id") if isinstance(payload, dict) else None
            entry = AuditEntry(
                at=at,
                provider=provider,
                conversation_id=conversation_id,
                method=method,
                path=path + (f"?{_query(params)}" if params else ""),
                idempotency_key=idempotency_key,
                request_body=audit_body if audit_body is not None else json,
                status=progress.status,
                outcome=outcome,
                error_code=progress.error_code if outcome != "ok" else None,
                resource_id=str(resource) if isinstance(resource, str) else None,
                attempts=progress.attempts,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            if record or outcome != "ok":
                await self._record(entry)

    async def _record(self, entry: AuditEntry) -> None:
        if self._audit is None:
            return
        try:
            await asyncio.to_thread(self._audit, entry)
        except Exception:
            # The request itself went as it went; the owner hears that. Losing the record of
            # it is an operator's problem, so it is logged loudly, with what was lost.
            logger.exception(
                "AUDIT LOG WRITE FAILED for %s %s (%s, outcome %s, key %s)",
                entry.method,
                entry.path,
                entry.provider,
                entry.outcome,
                entry.idempotency_key,
            )

    async def _send(
        self,
        method: str,
        path: str,
        api_key: str,
        json: dict[str, Any] | None,
        params: dict[str, str] | None,
        idempotency_key: str | None,
        progress: _Progress,
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
            progress.attempts = attempt
            delay = self._backoff_s * (2 ** (attempt - 1))
            try:
                session = self._session_for_loop()
                async with session.request(
                    method, self._base + path, json=json, params=params, headers=headers
                ) as resp:
                    payload = await self._json(resp)
                    progress.status = resp.status
                    progress.error_code = _error_code(payload)
                    if resp.status < 400:
                        return payload
                    if resp.status not in RETRYABLE_STATUSES:
                        raise _rejection(resp.status, payload)
                    last = DeskUnavailable(f"the service desk answered {resp.status}", resp.status)
                    delay = max(delay, _retry_after(resp.headers.get("Retry-After")))
            except asyncio.TimeoutError:
                outcome_unknown = True
                progress.status, progress.error_code = None, "timeout"
                last = DeskUnavailable(f"no answer within {self._timeout.total:g}s")
            except aiohttp.ClientConnectorError:
                progress.status, progress.error_code = None, "unreachable"
                last = DeskUnavailable("the service desk could not be reached")
            except aiohttp.ClientConnectionError as err:
                outcome_unknown = True
                progress.status, progress.error_code = None, "connection_broken"
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


def _query(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


def _error_code(payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else None


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
