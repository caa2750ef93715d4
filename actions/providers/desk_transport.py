"""How every request reaches a service desk: identified, keyed, retried, and audited.

Every request identifies Stand-in as a machine customer and carries the account's API key;
every creating POST carries an idempotency key, so retries with backoff can never create twice.
Failures are raised as the `desk_errors` kinds. Each finished request is handed to the audit
sink (`desk_audit`). The per-resource requests (`desk_tickets`, ...) are built on `DeskTransport`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from pydantic import ValidationError

from actions.core.clock import utc_now
from actions.core.settings import SOFTWARE_NAME, Settings
from actions.core.version import __version__
from actions.providers.desk_audit import AuditEntry, AuditSink
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable

logger = logging.getLogger(__name__)

MACHINE_CUSTOMER = f"{SOFTWARE_NAME}/{__version__}"
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class _Progress:
    """What `_send` learnt so far, for the audit row whatever way it ends."""

    attempts: int = 0
    status: int | None = None
    error_code: str | None = None


class DeskTransport:
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
