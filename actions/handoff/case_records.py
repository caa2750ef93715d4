"""Gathering a case from Stand-in's own store, for actions.handoff.case_summary.

The audit log is the record of what was done in the owner's name, so a summary is built from
it and nothing is left out: every request that belongs to a case (however it ended, and every
resend of it), what the company answered (its status changes and questions, from the stored
webhooks and the case itself), what was spent and on which basis (the consent row used by the
order's request), and what is still open. The tracker is never read.

A request belongs to a case when it
- created the ticket (`POST /v1/tickets` whose resource id is the ticket id),
- names the ticket in its path (`/tickets/<id>/...`: notes, cancel, escalate) or body
  (`ticket_id`),
- is about one of the case's appointments (booked with the ticket id, or stored with it; its
  id as the resource id or in the path: reschedule, cancel), or
- is a parts order for one of those appointments (body `appointment_id`, or a stored order
  linked to one), or
- resent one of the above (the same idempotency key).
Reads (`GET`) change nothing and are left out of a case; a digest counts them apart. A case is
one ticket at one provider: only that provider's requests, appointments, orders and webhook
events belong to it (another company may use the same ids).

Each read takes an open connection: a summary makes all of its reads on one. Times are
timezone-aware UTC in every result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from actions.core.clock import aware_utc, naive_utc
from actions.handoff.request_lines import request_kind
from actions.providers.desk_audit import AuditEntry
from actions.store.audit_log import audit_entry
from actions.store.cases import FINAL_CASE_STATUSES, Case
from actions.store.schema import (
    appointments,
    audit_log,
    cases,
    consents,
    handoffs,
    orders,
    webhook_events,
)

TICKET_EVENTS = ("ticket.status_changed", "ticket.awaiting_customer")
BASIS = {"granted": "consent", "within_limit": "within_limit"}


class Reply(NamedTuple):
    """What the company said: a status, and its question to the owner if it asked one."""

    at: datetime
    status: str
    question: str | None


@dataclass(frozen=True)
class Spend:
    """Money spent by one successful parts order."""

    item: str  # the SKU
    amount: float | None  # None: no consent row (and no stored order) says how much
    currency: str | None
    basis: str | None  # "consent", "within_limit" (or the decision); None without a consent
    at: datetime | None = None
    order_id: str | None = None
    provider: str | None = None


@dataclass(frozen=True)
class ConsentLine:
    id: int
    subject: str
    provider: str | None
    description: str | None
    amount: float | None
    currency: str | None
    decision: str
    owner_words: str | None
    decided_at: datetime | None
    used_at: datetime | None
    used_by: str | None


class OpenCase(NamedTuple):
    ticket_id: str
    provider: str
    status: str


class WaitingHandoff(NamedTuple):
    point: str
    provider: str | None
    subject: str | None


def _fetch(conn: Connection, provider: str, *conditions: Any) -> list[AuditEntry]:
    query = (
        select(audit_log)
        .where(audit_log.c.method != "GET")
        .where(audit_log.c.provider == provider)
        .where(or_(*conditions))
        .order_by(audit_log.c.at, audit_log.c.id)
    )
    return [audit_entry(r) for r in conn.execute(query).mappings().all()]


def _body(entry: AuditEntry) -> Mapping[str, Any]:
    return entry.request_body if isinstance(entry.request_body, Mapping) else {}


def _about_ticket(entry: AuditEntry, ticket_id: str) -> bool:
    kind = request_kind(entry.method, entry.path)
    return (
        (kind == "ticket" and entry.resource_id == ticket_id)
        or f"/tickets/{ticket_id}/" in entry.path
        or _body(entry).get("ticket_id") == ticket_id
    )


def _about_appointments(entry: AuditEntry, appointment_ids: set[str], order_ids: set[str]) -> bool:
    if entry.resource_id is not None and entry.resource_id in appointment_ids | order_ids:
        return True
    if any(f"/appointments/{a}/" in entry.path for a in appointment_ids):
        return True
    return _body(entry).get("appointment_id") in appointment_ids


def case_entries(conn: Connection, provider: str, ticket_id: str) -> list[AuditEntry]:
    """Every request (not reads) to `provider` that belongs to the case, oldest first."""
    found: dict[int, AuditEntry] = {}
    appointment_ids = set(
        conn.execute(
            select(appointments.c.appointment_id)
            .where(appointments.c.provider == provider)
            .where(appointments.c.ticket_id == ticket_id)
        ).scalars()
    )
    for entry in _fetch(
        conn,
        provider,
        audit_log.c.resource_id == ticket_id,
        audit_log.c.path.contains(f"/tickets/{ticket_id}/", autoescape=True),
        audit_log.c.request_body.contains(ticket_id, autoescape=True),
    ):
        if _about_ticket(entry, ticket_id):
            found[entry.id or 0] = entry
            if request_kind(entry.method, entry.path) == "appointment" and entry.resource_id:
                appointment_ids.add(entry.resource_id)

    # The case's appointments, and what was done about them (a reschedule may give a new id).
    done: set[str] = set()
    order_ids: set[str] = set()
    while appointment_ids - done:
        new = appointment_ids - done
        done |= new
        order_ids |= set(
            conn.execute(
                select(orders.c.order_id)
                .where(orders.c.provider == provider)
                .where(orders.c.appointment_id.in_(sorted(new)))
            ).scalars()
        )
        conditions: list[Any] = [audit_log.c.resource_id.in_(sorted(new | order_ids))]
        for appointment_id in sorted(new):
            conditions.append(
                audit_log.c.path.contains(f"/appointments/{appointment_id}/", autoescape=True)
            )
            conditions.append(audit_log.c.request_body.contains(appointment_id, autoescape=True))
        for entry in _fetch(conn, provider, *conditions):
            if not _about_appointments(entry, done, order_ids):
                continue
            found[entry.id or 0] = entry
            kind = request_kind(entry.method, entry.path)
            if kind in ("appointment", "appointment_change") and entry.resource_id:
                appointment_ids.add(entry.resource_id)

    # Every resend of those requests (the same idempotency key), however it ended.
    keys = sorted({e.idempotency_key for e in found.values() if e.idempotency_key})
    if keys:
        for entry in _fetch(conn, provider, audit_log.c.idempotency_key.in_(keys)):
            found[entry.id or 0] = entry
    return sorted(found.values(), key=lambda e: (e.at, e.id or 0))


def consent_line(row: Mapping[str, Any]) -> ConsentLine:
    """A `consents` row as a summary lists it."""
    return ConsentLine(
        id=row["id"],
        subject=row["subject"],
        provider=row["provider"],
        description=row["description"],
        amount=row["amount"],
        currency=row["currency"],
        decision=row["decision"],
        owner_words=row["owner_words"],
        decided_at=aware_utc(row["decided_at"]),
        used_at=aware_utc(row["used_at"]),
        used_by=row["used_by"],
    )


def consents_used_by(conn: Connection, keys: Iterable[str]) -> list[ConsentLine]:
    """The consents used by the requests with these idempotency keys, in the order used."""
    keys = sorted(set(keys))
    if not keys:
        return []
    query = (
        select(consents)
        .where(consents.c.used_by.in_(keys))
        .order_by(consents.c.used_at, consents.c.id)
    )
    return [consent_line(r) for r in conn.execute(query).mappings().all()]


def _order_amount(row: Mapping[str, Any] | None) -> tuple[float | None, str | None]:
    """The total of a stored order, as the desk sent it (total, or unit price x quantity)."""
    if row is None or not row["data"]:
        return None, None
    try:
        data = json.loads(row["data"])
    except ValueError:
        return None, None
    currency = data.get("currency")
    quantity = data.get("quantity") or row["quantity"] or 1
    for value in (
        data.get("total"),
        _times(data.get("unit_price"), quantity),
        _times(data.get("price"), quantity),
    ):
        if isinstance(value, int | float):
            return float(value), currency
    return None, currency


def _times(price: Any, quantity: Any) -> float | None:
    if isinstance(price, int | float) and isinstance(quantity, int | float):
        return round(float(price) * float(quantity), 2)
    return None


def spends(conn: Connection, entries: Iterable[AuditEntry]) -> list[Spend]:
    """One spend per successful parts order (resends of one request count once)."""
    placed: dict[Any, AuditEntry] = {}
    for entry in entries:
        if request_kind(entry.method, entry.path) != "parts_order" or entry.outcome != "ok":
            continue
        placed.setdefault(entry.idempotency_key or ("row", entry.id), entry)
    if not placed:
        return []
    by_key = {
        c.used_by: c
        for c in consents_used_by(
            conn, (e.idempotency_key for e in placed.values() if e.idempotency_key)
        )
    }
    order_ids = sorted({e.resource_id for e in placed.values() if e.resource_id})
    stored = {
        (r["provider"], r["order_id"]): r
        for r in conn.execute(select(orders).where(orders.c.order_id.in_(order_ids)))
        .mappings()
        .all()
    }
    spent = []
    for entry in placed.values():
        body = _body(entry)
        order = stored.get((entry.provider, entry.resource_id or ""))
        consent = by_key.get(entry.idempotency_key) if entry.idempotency_key else None
        if consent is not None:
            amount, currency = consent.amount, consent.currency
            basis: str | None = BASIS.get(consent.decision, consent.decision)
        else:
            (amount, currency), basis = _order_amount(order), None
        item = body.get("sku") or (order["sku"] if order else None) or ""
        spent.append(
            Spend(
                item=str(item),
                amount=amount,
                currency=currency,
                basis=basis,
                at=entry.at,
                order_id=entry.resource_id,
                provider=entry.provider,
            )
        )
    return spent  # in the order the requests were sent


def totals(spent: Iterable[Spend]) -> dict[str, float]:
    """Currency -> the sum of the spends whose amount is known."""
    sums: dict[str, float] = {}
    for spend in spent:
        if spend.amount is not None and spend.currency:
            sums[spend.currency] = round(sums.get(spend.currency, 0.0) + spend.amount, 2)
    return sums


def replies(conn: Connection, case: Case) -> list[Reply]:
    """Status changes and questions from the company, oldest first, each change once."""
    query = (
        select(webhook_events)
        .where(webhook_events.c.provider == case.provider)
        .where(webhook_events.c.resource_id == case.ticket_id)
        .where(webhook_events.c.type.in_(TICKET_EVENTS))
    )
    found: list[Reply] = []
    for row in conn.execute(query).mappings().all():
        try:
            payload = json.loads(row["payload"]) if row["payload"] else {}
        except ValueError:
            continue
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(data, Mapping) or not data.get("status"):
            continue
        if data.get("id") not in (None, case.ticket_id):
            continue
        try:
            changed = naive_utc(data.get("updated_at"))
        except (TypeError, ValueError):
            changed = None
        when = changed or row["created_at"] or row["received_at"]  # received_at: never None
        at = when.replace(tzinfo=timezone.utc)
        found.append(Reply(at, str(data["status"]), data.get("question") or None))
    if case.question:
        found.append(Reply(case.updated_at, case.status, case.question))
    found.sort(key=lambda r: r.at)
    heard: list[Reply] = []
    for reply in found:
        if heard and (heard[-1].status, heard[-1].question) == (
            reply.status,
            reply.question,
        ):
            continue  # the same news again (a redelivery, or the case itself)
        heard.append(reply)
    return heard


def open_cases(
    conn: Connection, conversation_id: str | None, leave_out: Case | None = None
) -> list[OpenCase]:
    """Cases not final (of `conversation_id`, or all), most recently updated first."""
    query = (
        select(cases.c.ticket_id, cases.c.provider, cases.c.status)
        .where(cases.c.status.notin_(sorted(FINAL_CASE_STATUSES)))
        .order_by(cases.c.updated_at.desc(), cases.c.ticket_id, cases.c.provider)
    )
    if conversation_id is not None:
        query = query.where(cases.c.conversation_id == conversation_id)
    left_out = (leave_out.provider, leave_out.ticket_id) if leave_out else None
    return [
        OpenCase(r["ticket_id"], r["provider"], r["status"])
        for r in conn.execute(query).mappings().all()
        if (r["provider"], r["ticket_id"]) != left_out
    ]


def waiting_handoffs(conn: Connection, conversation_id: str | None) -> list[WaitingHandoff]:
    """Questions still put to the owner (of `conversation_id`, or all), oldest first."""
    query = (
        select(handoffs.c.point, handoffs.c.provider, handoffs.c.subject)
        .where(handoffs.c.status == "waiting")
        .order_by(handoffs.c.asked_at, handoffs.c.id)
    )
    if conversation_id is not None:
        query = query.where(handoffs.c.conversation_id == conversation_id)
    return [
        WaitingHandoff(r["point"], r["provider"], r["subject"])
        for r in conn.execute(query).mappings().all()
    ]
